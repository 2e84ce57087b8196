"""Bench of intake (issue 3) on PostgreSQL behind gunicorn (2 workers): POST /api/v1/requests from 8
concurrent API clients (target ≥ 200 requests/s, p95 ≤ 50 ms), and the as-you-type household search
GET /api/v1/households?q= on 200,000 households (target < 100 ms).

    .venv/bin/python bench/intake.py [--households 200000] [-n 2000] [-c 8] [--runs 3] [--reuse] [--peer]

With --peer, django-helpdesk (built by ../shared/bench/peer-django-helpdesk-setup.sh with PEER_PG=1, in
PEER_DIR, default ~/peers/django-helpdesk) is measured in the same run, alternating with Heatline, and the
ratio of the medians is printed.

Loopback only; database `hlbench_requests` (recreated with `heatline demo --no-history` unless --reuse).
Load comes from /work/shared/bench/http_load.py. Prints progress and one JSON line of medians.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, free_port, fresh_database, gunicorn, heatline, log, psql, token_for

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


PEER_DIR = Path(os.environ.get("PEER_DIR", Path.home() / "peers" / "django-helpdesk"))
PEER_BODY = json.dumps(
    {
        "queue": 1,
        "title": "暖气不热 {i}",
        "description": "家里暖气不热,客厅只有16度",
        "submitter_email": "r{i}@example.cn",
        "priority": 3,
    },
    ensure_ascii=False,
)


def peer_server() -> tuple[subprocess.Popen[bytes], str]:
    """django-helpdesk under gunicorn with 2 workers, as Heatline is run."""
    port = free_port()
    process = subprocess.Popen(
        [str(PEER_DIR / ".venv" / "bin" / "gunicorn"), "peer.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=PEER_DIR, env=dict(os.environ, PEER_PG="1"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/helpdesk/", timeout=2).read()
            break
        except urllib.error.HTTPError:
            break
        except Exception:
            time.sleep(0.2)
    return process, base


def peer_load(base: str, n: int, c: int) -> dict[str, Any]:
    token = (PEER_DIR / "token").read_text().strip()
    command = [sys.executable, str(HTTP_LOAD), "--url", base + "/helpdesk/api/tickets/", "--method", "POST"]
    command += ["--auth", f"token:{token}", "-n", str(n), "-c", str(c), "--body", PEER_BODY]
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
    parser.add_argument("--peer", action="store_true", help="measure django-helpdesk in the same run")
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
    with gunicorn(
        url,
        workers=2,
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key",
        HEATLINE_EXCHANGE_SECRET="bench-only-exchange-secret",
    ) as base:
        api = base + "/api/v1"
        log("warm-up")
        load(api + "/requests", token=token, n=50, c=2, method="POST", body=body.replace("{run}", "W"))
        runs, peer_runs = [], []
        for run in range(options.runs):
            figures = load(
                api + "/requests", token=token, n=options.n, c=options.c, method="POST",
                body=body.replace("{run}", str(run)),
            )  # fmt: skip
            log(f"intake run {run + 1}: {figures}")
            assert figures["errors"] == 0, figures
            runs.append(figures)
            if options.peer:  # alternating, so that both see the same machine
                process, peer_base = peer_server()
                try:
                    peer_load(peer_base, 50, 2)
                    figures = peer_load(peer_base, min(options.n, 1000), options.c)
                finally:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=20)
                log(f"peer run {run + 1}: {figures}")
                peer_runs.append(figures)
        results["intake"] = {"clients": options.c, "requests": options.n, **medians(runs)}
        if peer_runs:
            results["peer_django_helpdesk"] = medians(peer_runs)
            results["rate_ratio"] = round(
                results["intake"]["rate"] / results["peer_django_helpdesk"]["rate"], 1
            )

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
