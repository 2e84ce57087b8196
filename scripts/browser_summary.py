"""The last line of `make test`: how many browser tests ran in each pytest run (counts written by conftest.py)."""

import sys
from pathlib import Path

RUNS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "shifted": "shifted clock"}


def main() -> int:
    folder = Path(sys.argv[1])
    parts = []
    for name, label in RUNS.items():
        path = folder / f"{name}.count"
        if path.exists():
            parts.append(f"{int(path.read_text())} on {label}")
    if not parts:
        print("0 browser tests ran")
        return 1
    total = sum(
        int((folder / f"{name}.count").read_text()) for name in RUNS if (folder / f"{name}.count").exists()
    )
    print(f"{total} browser tests ran ({', '.join(parts)})")
    return 0 if total else 1


if __name__ == "__main__":
    raise SystemExit(main())
