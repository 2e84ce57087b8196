"""`make bench`: run every benchmark in bench/ one after the other and print each one's JSON line.

    .venv/bin/python bench/run.py [name …]      e.g. `bench/run.py intake queues`

Each bench is a standalone script (see bench/README.md); the soak test has its own command (`make soak`).
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run", "soak", "_harness"}


def main() -> int:
    wanted = set(sys.argv[1:])
    scripts = sorted(p for p in HERE.glob("*.py") if p.stem not in SKIP and not p.stem.startswith("_"))
    failed = 0
    for script in scripts:
        if wanted and script.stem not in wanted:
            continue
        print(f"== {script.stem}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.stem}: exit {result.returncode} in {time.monotonic() - started:.0f} s", flush=True)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
