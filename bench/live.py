"""Bench of the live desk (issue 20) on PostgreSQL, behind what `heatline serve` runs (gunicorn, 2 gthread
workers of 128 threads, DEBUG off) and the worker with its default pace:

1. emergency → crew's screen: the crew leader's queue open in Debian's Chromium; 50 emergencies registered
   through the API one after the other; each one's delay from the API's answer (committed) to its row in the
   page (taken in the page by a MutationObserver). Figure: p50, p95 (target ≤ 1 s).
2. 200 concurrent streams: 200 operator streams open at once on /live/stream/; 20 requests registered;
   every stream must receive every one. Figures: delay from the API's answer to each stream's frame (p50,
   p95), the web processes' memory.
3. hot spot: 5 requests from one building (the default rule, 5 within 2 h); the delay from the 5th's answer
   to the alert listed by GET /api/v1/hotspots (target ≤ 5 s).

    .venv/bin/python bench/live.py [--tries 50] [--streams 200]

Loopback only; database `hlbench_live` (recreated with a small demo utility).
"""

import argparse
import asyncio
import datetime as dt
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    PYTHON,
    ROOT,
    env_for,
    fresh_database,
    gunicorn,
    heatline,
    http,
    log,
    psql,
    token_for,
)

DB = "hlbench_live"
PASSWORD = "heatline-demo"
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key",
    "HEATLINE_EXCHANGE_SECRET": "bench-only-exchange-secret",
    # loopback http: the cookies may not be https-only here
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def session_cookie(base: str, username: str) -> str:
    """Sign in through the login form; the session cookie's value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    opener.open(
        urllib.request.Request(
            base + "/accounts/login/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": base + "/accounts/login/"},
        )
    ).read()
    return next(c.value for c in jar if c.name == "sessionid")


def register(api: str, token: str, body: dict[str, Any]) -> tuple[str, float]:
    status, answer = http("POST", api + "/requests", token=token, body=body)
    assert status in (200, 201), (status, answer)
    return str(answer["number"]), time.time()


def emergency(i: int, account: str) -> dict[str, Any]:
    return {
        "source": "963000",
        "caller_name": "王五",
        "phone": f"1391111{i:04d}",
        "household": account,
        "content": f"卫生间暖气片跑水了 {i}",
        "category": "indoor_leak",
    }


def crew_screen(base: str, api: str, token: str, account: str, tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "apt-get install chromium"
    delays = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        page = browser.new_context(base_url=base, locale="zh-CN").new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", "crew")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        page.goto("/requests/queue/")
        page.wait_for_selector("body[data-live-connected]")
        page.evaluate(
            """() => { window.arrivals = {}; new MutationObserver(() => {
              document.querySelectorAll('tr[data-number]').forEach((row) => {
                if (!(row.dataset.number in window.arrivals)) window.arrivals[row.dataset.number] = Date.now();
              }); }).observe(document.body, { childList: true, subtree: true }); }"""
        )
        for i in range(tries):
            number, saved = register(api, token, emergency(i, account))
            page.wait_for_selector(f'tr[data-number="{number}"]', timeout=15000)
            delays.append(page.evaluate(f"window.arrivals['{number}']") / 1000 - saved)
            if (i + 1) % 10 == 0:
                log(f"  {i + 1}/{tries} emergencies, median so far {statistics.median(delays) * 1000:.0f} ms")
        rings = page.evaluate("window.heatlineRings || 0")
        browser.close()
    return {
        "tries": tries,
        "p50_ms": round(statistics.median(delays) * 1000),
        "p95_ms": round(p95(delays) * 1000),
        "max_ms": round(max(delays) * 1000),
        "rings": rings,
    }


async def _stream(host: str, port: int, cookie: str, frames: dict[str, float], ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (
            f"GET /live/stream/ HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            f"Cookie: sessionid={cookie}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    ready.set()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace")
            if text.startswith("data: ") and '"action": "register"' in text:
                number = json.loads(text[6:])["number"]
                frames.setdefault(number, time.time())
    finally:
        writer.close()


def rss_mb(pattern: str) -> float:
    total = 0
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    for pid in out:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


async def many_streams(
    base: str, api: str, token: str, account: str, streams: int, events: int
) -> dict[str, Any]:
    parsed = urllib.parse.urlparse(base)
    host, port = parsed.hostname or "127.0.0.1", int(parsed.port or 80)
    cookie = session_cookie(base, "operator")
    received: list[dict[str, float]] = [{} for _ in range(streams)]
    readies = [asyncio.Event() for _ in range(streams)]
    tasks = [
        asyncio.create_task(_stream(host, port, cookie, received[i], readies[i])) for i in range(streams)
    ]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), timeout=60)
    log(f"  {streams} streams open")
    await asyncio.sleep(2)  # every web process's feed has found the outbox's end
    memory = rss_mb("gunicorn heatline.wsgi")
    saved: dict[str, float] = {}
    for i in range(events):
        number, at = await asyncio.to_thread(register, api, token, emergency(1000 + i, account))
        saved[number] = at
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays = [frames[n] - saved[n] for frames in received for n in saved if n in frames]
    missing = sum(1 for frames in received for n in saved if n not in frames)
    return {
        "streams": streams,
        "events": events,
        "frames": len(delays),
        "missing": missing,
        "p50_ms": round(statistics.median(delays) * 1000) if delays else None,
        "p95_ms": round(p95(delays) * 1000) if delays else None,
        "web_rss_mb": memory,
    }


def hot_spot(api: str, token: str, account: str) -> dict[str, Any]:
    """Another building than the emergencies' (whose alerts are open already): its first alert."""
    building = psql(
        "SELECT building_id FROM registry_household WHERE building_id <> (SELECT building_id FROM "
        f"registry_household WHERE account_number = '{account}') "
        "GROUP BY building_id HAVING count(*) >= 5 ORDER BY building_id DESC LIMIT 1",
        DB,
    )
    accounts = psql(
        f"SELECT string_agg(account_number, ',') FROM (SELECT account_number FROM registry_household "
        f"WHERE building_id = {building} ORDER BY id LIMIT 5) s",
        DB,
    ).split(",")
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    last, number = 0.0, ""
    for i, account in enumerate(accounts):
        number, last = register(
            api,
            token,
            {
                "source": "963000",
                "caller_name": "赵六",
                "phone": f"1392222{i:04d}",
                "household": account,
                "content": "家里暖气不热,客厅只有15度",
            },
        )
    while time.time() - last < 30:
        status, alerts = http("GET", api + "/hotspots?since=" + urllib.parse.quote(since), token=token)
        assert status == 200, (status, alerts)
        if any(
            alert["kind"] in ("unit", "building") and number in {r["number"] for r in alert["requests"]}
            for alert in alerts
        ):
            return {"requests": len(accounts), "delay_ms": round((time.time() - last) * 1000)}
        time.sleep(0.1)
    return {"requests": len(accounts), "delay_ms": None}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tries", type=int, default=50)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--events", type=int, default=20)
    options = parser.parse_args()
    url = fresh_database(DB)
    log("migrate, demo utility, static files")
    heatline(url, "migrate", "-v0", "--skip-checks")
    heatline(url, "demo", "--size", "2000", "--no-history")
    heatline(url, "collectstatic", "--noinput", "-v0", **SERVER_ENV)
    account = psql("SELECT account_number FROM registry_household ORDER BY id LIMIT 1 OFFSET 100", DB)
    token = token_for(url, "operator")
    results: dict[str, Any] = {"bench": "live"}
    worker = subprocess.Popen(
        [PYTHON, "-m", "heatline.cli", "worker"], cwd=ROOT, env=env_for(url, **SERVER_ENV)
    )
    try:
        with gunicorn(url, workers=2, threads=128, **SERVER_ENV) as base:
            api = base + "/api/v1"
            log(f"emergency → crew's screen, {options.tries} tries in Chromium")
            results["crew_screen"] = crew_screen(base, api, token, account, options.tries)
            log(f"{options.streams} concurrent streams, {options.events} requests")
            results["streams"] = asyncio.run(
                many_streams(base, api, token, account, options.streams, options.events)
            )
            log("hot spot: 5 requests from one building")
            results["hot_spot"] = hot_spot(api, token, account)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
