"""Bench of the map (issue 21): 200,000 geocoded households and 30,000 open requests on PostgreSQL.

    .venv/bin/python bench/map.py [--households 200000] [--open 30000] [-n 200] [--loads 7] [--reuse]

Measures, behind gunicorn (2 gthread workers, DEBUG off, as `heatline serve`):
- `GET /api/v1/map/requests?bbox=…&status=open` for many random boxes at city zoom (the whole town: the
  server answers grid clusters) and district zoom (~1.5 km: pins), company-wide and as a district: p50/p95;
- the map page's first paint in real Chromium (every layer on at load drawn), median of several loads;
- then screenshots of each layer into var/map-screens/*.png, on the full demo utility (history, watch list,
  hazard areas, incidents, crews) of `heatline demo --size 20000` in a second database.

Databases `hlbench_map` (200,000 households, rebuilt unless --reuse) and `hlbench_map_demo`. Loopback only.
Prints progress and one JSON line.
"""

import argparse
import json
import random
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, ROOT, fresh_database, gunicorn, heatline, log, percentile, psql, token_for

DB = "hlbench_map"
# DEBUG off as in production (WhiteNoise's manifest, no debug overhead); loopback http, so plain cookies.
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key",
    "HEATLINE_EXCHANGE_SECRET": "bench-only-exchange-secret",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "AXES_ENABLED": "false",
}
DEMO_DB = "hlbench_map_demo"
SCREENS = ROOT / "var" / "map-screens"

# 30,000 open requests spread over the geocoded households (one in ~7), ten per cent emergencies, due times
# from an hour late to a day ahead; numbers RM…, so a rerun adds only what is missing.
INSERT_OPEN = """
WITH h AS (
    SELECT hh.id, hh.address, hh.building_id, b.district_id, d.responsible_id,
           row_number() OVER (ORDER BY hh.id) - 1 AS k
    FROM registry_household hh
    JOIN registry_building b ON b.id = hh.building_id
    JOIN registry_district d ON d.id = b.district_id
), n AS (SELECT count(*) AS c FROM h), cats AS (SELECT array_agg(id ORDER BY id) AS ids FROM requests_category)
INSERT INTO requests_servicerequest (
    number, source, external_id, nature, kind, category_id, status, round, caller_name, phone, address,
    content, received_at, registered_at, dispatched_at, next_due_at, is_late_intake, is_resolved_at_intake,
    wants_callback, result, satisfaction, repeat_count, is_excluded, excluded_reason, is_imported, version,
    updated_at, assignee_id, household_id, building_id, district_id
)
SELECT 'RM' || lpad(g::text, 12, '0'), '963000', NULL, 'help',
       CASE WHEN g % 10 = 0 THEN 'emergency' ELSE 'routine' END,
       cats.ids[1 + g % array_length(cats.ids, 1)],
       (ARRAY['dispatched', 'contacted', 'on_site', 'completed'])[1 + g % 4],
       1, '李四', '139' || lpad(g::text, 8, '0'), h.address, '暖气不热,客厅16度',
       now() - (g % 600) * interval '1 minute', now() - (g % 600) * interval '1 minute',
       now() - (g % 600) * interval '1 minute', now() + ((g % 1500) - 60) * interval '1 minute',
       false, false, true, '', '', 0, false, '', false, 1, now(), h.responsible_id, h.id, h.building_id,
       h.district_id
FROM generate_series({start}, {stop}) AS g
CROSS JOIN cats CROSS JOIN n
JOIN h ON h.k = (g * 7) % n.c
ON CONFLICT DO NOTHING
"""


def prepare(households: int, open_requests: int, *, reuse: bool) -> str:
    url = PG + DB
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    if not (reuse and exists):
        log(f"fresh database {DB}")
        fresh_database(DB)
        heatline(url, "migrate", "-v0", "--skip-checks")
        started = time.perf_counter()
        log(f"demo register: {households:,} households (heatline demo --no-history)")
        heatline(url, "demo", "--size", str(households), "--no-history")
        log(f"register (geocoded around Heihe) in {time.perf_counter() - started:.0f} s")
    heatline(url, "migrate", "-v0", "--skip-checks")  # a reused database gets this branch's indexes
    have = int(psql("SELECT count(*) FROM requests_servicerequest WHERE number LIKE 'RM%'", DB))
    started = time.perf_counter()
    for start in range(have + 1, open_requests + 1, 5000):
        stop = min(start + 4999, open_requests)
        psql(INSERT_OPEN.format(start=start, stop=stop), DB)
        log(f"open requests {stop:,}/{open_requests:,} ({time.perf_counter() - started:.0f} s)")
    psql("VACUUM ANALYZE", DB)
    return url


def _django(url: str, code: str) -> None:
    import subprocess

    from bench._harness import PYTHON, env_for

    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env_for(url), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    for line in result.stdout.splitlines():
        log(line.strip())


def _extent() -> tuple[float, float, float, float]:
    row = psql(
        "SELECT min(lon), min(lat), max(lon), max(lat) FROM registry_building WHERE lat IS NOT NULL", DB
    )
    west, south, east, north = (float(v) for v in row.split("|"))
    return west, south, east, north


def _get(url: str, token: str) -> tuple[float, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, body


def bbox_figures(base: str, token: str, boxes: list[str]) -> dict[str, Any]:
    for box in boxes[:5]:
        _get(f"{base}/api/v1/map/requests?bbox={box}&status=open", token)  # warm
    times, features, clustered = [], [], 0
    for box in boxes:
        ms, body = _get(f"{base}/api/v1/map/requests?bbox={box}&status=open", token)
        times.append(ms)
        features.append(len(body["features"]))
        clustered += bool(body.get("clustered"))
    return {
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "features_median": statistics.median(features),
        "clustered_share": round(clustered / len(boxes), 2),
        "n": len(boxes),
    }


def random_boxes(
    rng: random.Random, extent: tuple[float, float, float, float], n: int, span: float
) -> list[str]:
    west, south, east, north = extent
    boxes = []
    for _ in range(n):
        width, height = (
            span * rng.uniform(0.8, 1.2),
            span * 0.64 * rng.uniform(0.8, 1.2),
        )  # ~ a screen's ratio
        x = rng.uniform(west - width / 4, max(west, east - width * 3 / 4))
        y = rng.uniform(south - height / 4, max(south, north - height * 3 / 4))
        boxes.append(f"{x:.5f},{y:.5f},{x + width:.5f},{y + height:.5f}")
    return boxes


def _browser() -> Any:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    return playwright, browser


def _signed_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=base)
    page = context.new_page()
    page.set_default_timeout(60000)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "heatline-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return page


def first_paint(base: str, loads: int) -> dict[str, Any]:
    playwright, browser = _browser()
    try:
        page = _signed_in(browser, base, "operator")
        painted = []
        for index in range(loads + 1):
            page.goto("/map/")
            page.wait_for_function("document.getElementById('map').dataset.paintedAt")
            value = float(page.evaluate("document.getElementById('map').dataset.paintedAt"))
            if index:  # the first load fills the browser's cache of the static files
                painted.append(value)
            log(f"first paint {value:.0f} ms")
        count = page.locator("#map-count-requests").inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "scale-30000-open-requests-clusters.png"))
        page.evaluate("window.heatlineMap.map.setZoom(16)")
        page.wait_for_timeout(2500)
        page.screenshot(path=str(SCREENS / "scale-district-zoom-pins.png"))
        return {
            "median_ms": statistics.median(painted),
            "max_ms": max(painted),
            "loads": loads,
            "requests": count,
        }
    finally:
        browser.close()
        playwright.stop()


LAYERS = [
    ("requests", ["requests", "buildings", "pipes", "incidents"], []),
    ("heat", ["heat", "buildings"], ["requests", "incidents", "pipes"]),
    ("watchlist", ["watchlist", "buildings"], ["requests", "incidents", "pipes"]),
    ("hazard-areas", ["hazard_areas", "buildings"], ["requests", "incidents", "pipes"]),
    ("incidents", ["incidents", "buildings"], ["requests", "pipes"]),
    ("pipes", ["pipes", "buildings"], ["requests", "incidents"]),
    ("crews", ["crews", "buildings", "pipes"], ["requests", "incidents"]),
]


def screenshots(base: str) -> list[str]:
    playwright, browser = _browser()
    written = []
    try:
        page = _signed_in(browser, base, "admin")
        for name, on, off in LAYERS:
            page.goto("/map/")
            page.wait_for_function("document.getElementById('map').dataset.paintedAt")
            for layer in off:
                page.uncheck(f'input[data-layer="{layer}"]')
            for layer in on:
                page.check(f'input[data-layer="{layer}"]')
            page.wait_for_timeout(2000)
            path = SCREENS / f"layer-{name}.png"
            page.screenshot(path=str(path))
            written.append(str(path.relative_to(ROOT)))
            log(f"screenshot {path.relative_to(ROOT)}")
        district = _signed_in(browser, base, "district")
        district.goto("/map/")
        district.wait_for_function("document.getElementById('map').dataset.paintedAt")
        district.wait_for_timeout(1000)
        path = SCREENS / "district-scope.png"
        district.screenshot(path=str(path))
        written.append(str(path.relative_to(ROOT)))
        page.goto("/incidents/new/")
        page.wait_for_function("document.getElementById('incident-map').dataset.buildings")
        page.locator("#incident-map").scroll_into_view_if_needed()
        path = SCREENS / "incident-form.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(str(path.relative_to(ROOT)))
    finally:
        browser.close()
        playwright.stop()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--open", type=int, default=30_000)
    parser.add_argument("-n", type=int, default=200, help="random boxes per zoom level")
    parser.add_argument("--loads", type=int, default=7, help="page loads for the first-paint median")
    parser.add_argument("--reuse", action="store_true", help="keep hlbench_map when it exists")
    parser.add_argument("--no-screens", action="store_true")
    options = parser.parse_args()

    url = prepare(options.households, options.open, reuse=options.reuse)
    households = int(psql("SELECT count(*) FROM registry_household", DB))
    geocoded = int(
        psql(
            "SELECT count(*) FROM registry_household h JOIN registry_building b ON b.id = h.building_id "
            "WHERE b.lat IS NOT NULL",
            DB,
        )
    )
    open_count = int(psql("SELECT count(*) FROM requests_servicerequest WHERE status <> 'closed'", DB))
    buildings = int(psql("SELECT count(*) FROM registry_building", DB))
    log(
        f"{households:,} households ({geocoded:,} geocoded) in {buildings:,} buildings, {open_count:,} open requests"
    )
    extent = _extent()
    rng = random.Random(21)
    results: dict[str, Any] = {
        "bench": "map",
        "households": households,
        "geocoded_households": geocoded,
        "buildings": buildings,
        "open_requests": open_count,
    }
    operator, district = token_for(url, "operator"), token_for(url, "district")
    town = max(extent[2] - extent[0], extent[3] - extent[1]) * 1.1
    log("collectstatic (DEBUG off: WhiteNoise serves the manifest's compressed files)")
    heatline(url, "collectstatic", "--noinput", "-v0", **SERVER_ENV)
    # gthread workers as `heatline serve` runs them: each open page also holds its live stream.
    with gunicorn(url, workers=2, threads=64, **SERVER_ENV) as base:
        for name, token, span in (
            ("bbox_city_operator", operator, town),
            ("bbox_district_operator", operator, 0.02),
            ("bbox_district_district", district, 0.02),
            ("bbox_street_operator", operator, 0.005),
        ):
            figures = bbox_figures(base, token, random_boxes(rng, extent, options.n, span))
            log(f"{name:24s} {figures}")
            results[name] = figures
        results["first_paint"] = first_paint(base, options.loads)
        log(f"first paint {results['first_paint']}")

    if not options.no_screens:
        demo_url = fresh_database(DEMO_DB)
        heatline(demo_url, "migrate", "-v0", "--skip-checks")
        log("demo utility for the screenshots: heatline demo --size 20000")
        heatline(demo_url, "demo", "--size", "20000")
        _django(demo_url, _SCREEN_DATA)
        with gunicorn(demo_url, workers=2, threads=64, **SERVER_ENV) as base:
            results["screenshots"] = screenshots(base)
    print(json.dumps(results, ensure_ascii=False))


# The demo's incidents are mostly closed by the time it ends, and its field actions are older than a day:
# open one fault over a drawn area and move a few crews so that every layer has something to show.
_SCREEN_DATA = """
import django; django.setup()
from django.utils import timezone
from heatline.incidents.services import IncidentInput, incident_open
from heatline.registry.models import Building, Staff
from heatline.requests.models import RequestEvent
crew = Staff.objects.get(username="crew")
b = Building.objects.filter(lat__isnull=False).order_by("id")[40]
ring = [[b.lon - 0.002, b.lat - 0.0012], [b.lon + 0.002, b.lat - 0.0012], [b.lon + 0.002, b.lat + 0.0012],
        [b.lon - 0.002, b.lat + 0.0012]]
incident = incident_open(data=IncidentInput(title="演示:主干管爆管", area=ring), by=crew)
print(f"incident {incident.number}: {incident.buildings.count()} buildings")
RequestEvent.objects.filter(action__in=["contact", "arrive", "complete"]).filter(
    pk__in=list(RequestEvent.objects.filter(action__in=["contact", "arrive", "complete"]).order_by("-id")
                .values_list("pk", flat=True)[:200])).update(at=timezone.now())
"""


if __name__ == "__main__":
    main()
