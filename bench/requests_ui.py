"""Bench of the request pages (HTMX UI) on PostgreSQL behind gunicorn (2 workers), signed in as staff:
the intake pop-up (/intake/?caller=…), the as-you-type household search partial (account number and
address fragment), the category suggestion partial, the request list (all / overdue), the work queue,
the callbacks page and a request detail. Sequential requests, p50/p95 per page.

    .venv/bin/python bench/requests_ui.py --households 200000 [--repeat 40] [--reuse]

Loopback only, database `hlbench_requests_ui` (dropped and recreated unless --reuse). Prints progress
and a JSON line of medians at the end.
"""

import argparse
import http.cookiejar
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, gunicorn, heatline, log, percentile, psql

DB = "hlbench_requests_ui"
PASSWORD = "heatline-demo"


class Session:
    """A signed-in browser: cookies (session, CSRF) kept between requests."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/accounts/login/")[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        body = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        request = urllib.request.Request(self.base + "/accounts/login/", data=body, method="POST")
        request.add_header("Referer", self.base + "/accounts/login/")
        with self.opener.open(request, timeout=30) as response:
            if "/accounts/login/" in response.geturl():
                raise RuntimeError(f"login failed for {username}")

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()


def timed(session: Session, path: str, repeat: int) -> dict[str, float]:
    session.get(path)  # warm-up
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, _body = session.get(path)
        durations.append((time.perf_counter() - started) * 1000)
        assert status == 200, (path, status)
    return {
        "p50_ms": round(percentile(durations, 0.5), 1),
        "p95_ms": round(percentile(durations, 0.95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep the existing database and its data")
    options = parser.parse_args()
    url = PG + DB
    if not options.reuse:
        log(f"fresh database {DB}")
        fresh_database(DB)
        heatline(url, "migrate", "-v0")
        log(f"demo data: {options.households:,} households (heatline demo)")
        started = time.perf_counter()
        heatline(url, "demo", "--size", str(options.households))
        log(f"demo ready in {time.perf_counter() - started:.0f} s")
    psql("ANALYZE", DB)
    households = int(psql("SELECT count(*) FROM registry_household", DB))
    requests = int(psql("SELECT count(*) FROM requests_servicerequest", DB))
    account = psql("SELECT account_number FROM registry_household ORDER BY id DESC LIMIT 1", DB)
    fragment = psql("SELECT substr(address, 1, 4) FROM registry_household ORDER BY id DESC LIMIT 1", DB)
    caller = psql(
        "SELECT phone FROM requests_servicerequest WHERE household_id IS NOT NULL ORDER BY id LIMIT 1", DB
    )
    number = psql("SELECT number FROM requests_servicerequest ORDER BY id DESC LIMIT 1", DB)
    log(f"{households:,} households, {requests:,} requests; caller {caller}, account {account}")
    results: dict[str, dict[str, float]] = {}
    with gunicorn(url, workers=2) as base:
        operator = Session(base, "operator")
        district = Session(base, "district")
        pages = [
            (operator, "intake_caller", "/intake/?caller=" + urllib.parse.quote(caller)),
            (operator, "search_account", "/intake/households/?q=" + urllib.parse.quote(account[:6])),
            (operator, "search_address", "/intake/households/?q=" + urllib.parse.quote(fragment)),
            (operator, "suggest", "/intake/suggest/?content=" + urllib.parse.quote("卫生间暖气片跑水了")),
            (operator, "list", "/requests/"),
            (operator, "list_overdue", "/requests/?overdue=on"),
            (operator, "callbacks", "/requests/callbacks/"),
            (district, "queue", "/requests/queue/"),
            (operator, "detail", f"/requests/{number}/"),
        ]
        for session, name, path in pages:
            results[name] = timed(session, path, options.repeat)
            log(f"{name:15s} p50 {results[name]['p50_ms']:7.1f} ms  p95 {results[name]['p95_ms']:7.1f} ms")
    print(
        json.dumps(
            {"bench": "requests_ui", "households": households, "requests": requests, "pages": results},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
