"""Bench of intake (issue 3) on PostgreSQL behind gunicorn (2 workers): POST /api/v1/requests from 8
concurrent API clients (target ≥ 200 requests/s, p95 ≤ 50 ms), and the as-you-type household search
GET /api/v1/households?q= on 200,000 households (target < 100 ms).

    .venv/bin/python bench/intake.py [--households 200000] [-n 2000] [-c 8] [--runs 3] [--reuse]

Loopback only; database `hlbench_requests` (recreated with `heatline demo --no-history` unless --reuse).
Load comes from /work/shared/bench/http_load.py. Prints progress and one JSON line of medians.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, gunicorn, heatline, log, psql, token_for

DB = "hlbench_requests"
HTTP_LOAD = Path("/work/shared/bench/http_load.py")


def prepare(households: int, *, reuse: bool) -> str:
    """The database with the demo register of `households` households (no request history)."""
    url = PG + DB
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    if reuse and exists:
        return url
    log(f"fresh database {DB}")
    fresh_database(DB)
    heatline(url, "migrate", "-v0", "--skip-checks")
    log(f"demo register: {households:,} households")
    started = time.perf_counter()
    heatline(url, "demo", "--size", str(households), "--no-history")
    log(f"register ready in {time.perf_counter() - started:.0f} s")
    psql("ANALYZE", DB)
    return url


def load(
    url: str, *, token: str, n: int, c: int, method: str = "GET", body: str | None = None
) -> dict[str, Any]:
    command = [sys.executable, str(HTTP_LOAD), "--url", url, "--method", method, "--auth", f"bearer:{token}"]
    command += ["-n", str(n), "-c", str(c)]
    if body is not None:
        command += ["--body", body]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        key: round(statistics.median(float(run[key]) for run in runs), 1)
        for key in ("rate", "p50_ms", "p95_ms")
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("-n", type=int, default=2000, help="intake requests per run")
    parser.add_argument("-c", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=200, help="search requests per query")
    parser.add_argument("--reuse", action="store_true")
    options = parser.parse_args()

    url = prepare(options.households, reuse=options.reuse)
    households = int(psql("SELECT count(*) FROM registry_household", DB))
    account = psql("SELECT account_number FROM registry_household ORDER BY id LIMIT 1 OFFSET 1000", DB)
    address = psql("SELECT address FROM registry_household ORDER BY id DESC LIMIT 1", DB)
    community_building = address.split("单元")[0][:-1]  # e.g. 幸福里小区12号楼
    token = token_for(url, "operator")
    stamp = time.strftime("%H%M%S")
    body = json.dumps(
        {
            "source": "12345",
            "external_id": f"BENCH-{stamp}-R{{run}}-{{i}}",
            "caller_name": "李四",
            "phone": "1390000{i}",
            "household": account,
            "content": "家里暖气不热,客厅只有16度 {i}",
        },
        ensure_ascii=False,
    )
    results: dict[str, Any] = {"bench": "intake", "households": households}
    # As in production: DEBUG off (no query log kept per request).
    with gunicorn(url, workers=2, DEBUG="false", SECRET_KEY="bench-only-secret-key") as base:
        api = base + "/api/v1"
        log("warm-up")
        load(api + "/requests", token=token, n=50, c=2, method="POST", body=body.replace("{run}", "W"))
        runs = []
        for run in range(options.runs):
            figures = load(
                api + "/requests", token=token, n=options.n, c=options.c, method="POST",
                body=body.replace("{run}", str(run)),
            )  # fmt: skip
            log(f"intake run {run + 1}: {figures}")
            assert figures["errors"] == 0, figures
            runs.append(figures)
        results["intake"] = {"clients": options.c, "requests": options.n, **medians(runs)}

        queries = {
            "account_prefix": account[:6],
            "account_exact": account,
            "address_fragment": community_building,
            "address_two_words": community_building.replace("小区", "小区 "),
        }
        results["household_search"] = {}
        for name, q in queries.items():
            path = api + "/households?q=" + urllib.parse.quote(q)
            load(path, token=token, n=10, c=1)
            figures = load(path, token=token, n=options.searches, c=1)
            log(f"search {name} ({q}): {figures}")
            results["household_search"][name] = {k: figures[k] for k in ("p50_ms", "p95_ms")}
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
