"""Bench of Open311 `POST requests` (form-encoded, api_key) on PostgreSQL behind gunicorn (2 workers):
C concurrent loopback clients post N requests at an address of the register, so each one is
registered, classified and dispatched with its clocks and outbox rows, as in production.

    .venv/bin/python bench/open311.py [-n 2000] [-c 8] [--rounds 3] [--reuse]

`bench/http_load.py` only sends JSON, so this script has its own small form-encoded client
(standard library threads). Database `hlbench_open311` (dropped and recreated unless --reuse).
Prints progress and a JSON line of medians over the rounds at the end.
"""

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, gunicorn, heatline, log, percentile

DB = "hlbench_open311"
SETUP = "from heatline.registry.tests.factories import org; o = org(); print(o.household.address)"


def load(url: str, *, form: dict[str, str], n: int, clients: int, offset: int) -> dict[str, float]:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    counter = iter(range(n))

    def client() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            body = dict(form, phone=f"139{offset + index:08d}", description=f"客厅只有16度,第{index}次测试")
            data = urllib.parse.urlencode(body).encode()
            request = urllib.request.Request(
                url, data=data, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                    code = response.status
            except urllib.error.HTTPError as error:
                code = error.code
            except OSError:
                code = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                codes[code] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "requests": n,
        "errors": n - codes.get(201, 0),
        "seconds": round(seconds, 2),
        "rate": round(n / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "codes": dict(codes),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("-c", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    options = parser.parse_args()
    url = PG + DB
    if not options.reuse:
        log(f"fresh database {DB}")
        url = fresh_database(DB)
        heatline(url, "migrate", "-v0")
    address = heatline(url, "shell", "-c", SETUP).strip().splitlines()[-1]
    key = heatline(url, "open311key", "bench").strip().splitlines()[-1]
    form = {"api_key": key, "service_code": "low_temperature", "address_string": address}
    results = []
    with gunicorn(url, workers=2) as base:
        endpoint = base + "/open311/v2/requests.json"
        load(endpoint, form=form, n=50, clients=options.c, offset=0)  # warm-up
        for round_number in range(options.rounds):
            result = load(
                endpoint, form=form, n=options.n, clients=options.c, offset=(round_number + 1) * options.n
            )
            log(f"round {round_number + 1}: {json.dumps(result)}")
            results.append(result)
    print(
        json.dumps(
            {
                "bench": "open311_post_requests",
                "clients": options.c,
                "requests_per_round": options.n,
                "rounds": options.rounds,
                "median_rate_per_s": statistics.median(r["rate"] for r in results),
                "median_p50_ms": statistics.median(r["p50_ms"] for r in results),
                "median_p95_ms": statistics.median(r["p95_ms"] for r in results),
                "errors": sum(int(r["errors"]) for r in results),
            }
        )
    )


if __name__ == "__main__":
    main()
