"""The last line of `make test`: how many browser tests ran in each pytest run (counts written by conftest.py)."""

import sys
from pathlib import Path

RUNS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "shifted": "shifted clock"}


def main() -> int:
    folder = Path(sys.argv[1])
    counts = {
        label: int(path.read_text())
        for name, label in RUNS.items()
        if (path := folder / f"{name}.count").exists()
    }
    total = sum(counts.values())
    parts = ", ".join(f"{count} on {label}" for label, count in counts.items())
    print(f"{total} browser tests ran ({parts})" if counts else "0 browser tests ran")
    return 0 if total else 1


if __name__ == "__main__":
    raise SystemExit(main())
