"""Bench of the reports on PostgreSQL: a season of requests generated in bulk SQL, then
(0) the daily roll-up built for the whole season (`reports_rollup --all`), timed,
(1) the dashboard's queries together (every figure, chart and section the page shows), p50/p95, reading
    the roll-up for past days and the requests live for the bench's "today": the whole season for a
    manager, a district's staff, source 12345 and one repair crew (emergencies go to their branch's crew),
    and the last 7 days, and
(2) an .xlsx export of 100,000 request rows.

    .venv/bin/python bench/reports.py --requests 1000000 [--repeat 20] [--export-rows 100000] [--reuse]

Loopback only, database `hlbench_reports` (dropped and recreated unless --reuse). Prints progress and
a JSON line of medians at the end.
"""

import argparse
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, heatline, log, percentile, psql

DB = "hlbench_reports"
SEASON_START = dt.date(2025, 10, 15)
SEASON_DAYS = 180
COMMUNITIES = 600
BUILDINGS = 6000
DISTRICTS = 30
BRANCHES = 3


def day_weights() -> list[float]:
    """Temperature-driven peaks: the first cold snap (early December) and the deep winter (mid January)."""
    return [
        0.6
        + 0.9 * math.exp(-((d - 45) ** 2) / 60.0)
        + 1.1 * math.exp(-((d - 92) ** 2) / 45.0)
        + 0.15 * math.sin(d)
        for d in range(SEASON_DAYS)
    ]


def generate(total: int, households: int) -> None:
    sql = lambda statement: psql(statement, DB)  # noqa: E731
    log("register: company, branches, districts, communities, buildings, households")
    sql(
        "INSERT INTO registry_company (created_at, updated_at, name, hotline) VALUES (now(), now(), '黑河市热电', '963000')"
    )
    sql(
        f"INSERT INTO registry_branch (created_at, updated_at, code, name, company_id) "
        f"SELECT now(), now(), 'B'||g, '第'||g||'分公司', 1 FROM generate_series(1,{BRANCHES}) g"
    )
    sql(
        f"INSERT INTO registry_district (created_at, updated_at, code, name, branch_id) "
        f"SELECT now(), now(), 'D'||g, '片区'||g, ((g-1) % {BRANCHES})+1 FROM generate_series(1,{DISTRICTS}) g"
    )
    sql(
        f"INSERT INTO registry_community (created_at, updated_at, code, name, heated_area, is_old_estate, district_id) "
        f"SELECT now(), now(), 'C'||g, '小区'||g, 40000 + (g % 9) * 15000, g % 5 = 0, ((g-1) % {DISTRICTS})+1 "
        f"FROM generate_series(1,{COMMUNITIES}) g"
    )
    per = BUILDINGS // COMMUNITIES
    sql(
        f"INSERT INTO registry_building (created_at, updated_at, number, floors, community_id, district_id) "
        f"SELECT now(), now(), ((g-1) % {per})+1, 6, ((g-1)/{per})+1, ((((g-1)/{per})) % {DISTRICTS})+1 "
        f"FROM generate_series(1,{BUILDINGS}) g"
    )
    sql(
        "INSERT INTO registry_household (created_at, updated_at, account_number, room, address, contact_name, phone, "
        "phone2, heating_status, heated_area, indoor_pipe_owner, notes, building_id) "
        f"SELECT now(), now(), 'A'||g, g % 600, '小区'||(((g-1) % {BUILDINGS})/{per}+1)||' '||(((g-1) % {BUILDINGS}) % {per}+1)||'号楼 '||(g % 600)||'室', "
        f"'', '', '', 'heating', 80, 'household', '', ((g-1) % {BUILDINGS})+1 FROM generate_series(1,{households}) g"
    )
    categories = int(sql("SELECT count(*) FROM requests_category"))
    weights = day_weights()
    scale = total / sum(weights)
    counts = [max(1, round(w * scale)) for w in weights]
    counts[-1] += total - sum(counts)
    now_sql = f"timestamptz '{(SEASON_START + dt.timedelta(days=SEASON_DAYS)).isoformat()} 12:00+08'"
    log(f"requests: {sum(counts):,} over {SEASON_DAYS} days ({categories} categories)")
    started = time.monotonic()
    for day_index, n in enumerate(counts):
        day = SEASON_START + dt.timedelta(days=day_index)
        recent = day_index >= SEASON_DAYS - 10
        sql(
            "INSERT INTO requests_servicerequest (number, source, nature, kind, status, round, caller_name, phone, address, "
            "content, received_at, registered_at, closed_at, next_due_at, is_late_intake, is_resolved_at_intake, "
            "wants_callback, result, is_solved, satisfaction, repeat_count, is_excluded, excluded_reason, version, "
            "updated_at, building_id, category_id, district_id, household_id) "
            f"SELECT 'RX{day:%Y%m%d}'||lpad(i::text, 6, '0'), "
            "CASE WHEN r1 < .6 THEN '963000' WHEN r1 < .85 THEN '12345' WHEN r1 < .9 THEN '12319' "
            "     WHEN r1 < .95 THEN 'service_point' ELSE 'public' END, "
            "CASE WHEN r2 < .4 THEN 'complaint' WHEN r2 < .85 THEN 'help' ELSE 'consult' END, "
            "CASE WHEN r3 < .08 THEN 'emergency' ELSE 'routine' END, "
            f"CASE WHEN r4 < .01 THEN 'returned' WHEN r2 >= .925 THEN 'closed' "
            f"     WHEN {str(recent).lower()} AND r4 < .5 THEN 'dispatched' ELSE 'closed' END, "
            "1, '', '13800000000', '', '暖气不热', rcv, rcv + (r5 ^ 3) * interval '8 minutes', "
            "rcv + interval '30 hours', "
            f"CASE WHEN {str(recent).lower()} AND r4 < .5 AND r4 >= .01 AND r2 < .925 THEN rcv + interval '48 hours' END, "
            "(r5 ^ 3) * 8 > 5, r2 >= .925, true, '', r6 < .9, "
            "CASE WHEN r7 < .8 THEN 'satisfied' WHEN r7 < .92 THEN 'basic' ELSE 'unsatisfied' END, "
            "CASE WHEN r8 < .05 THEN 1 ELSE 0 END, r8 > .99, '', 1, now(), "
            f"((h-1) % {BUILDINGS})+1, 1 + floor(r9 * {categories})::int, "
            f"(((((h-1) % {BUILDINGS})/{per})) % {DISTRICTS})+1, h "
            "FROM (SELECT i, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6, random() r7, "
            f"random() r8, random() r9, 1 + floor(random() * {households})::int h, "
            f"timestamptz '{day.isoformat()} 00:00+08' + random() * interval '1 day' rcv "
            f"FROM generate_series(1, {n}) i) x"
        )
        if day_index % 20 == 19:
            log(f"  day {day_index + 1}/{SEASON_DAYS} · {time.monotonic() - started:.0f} s")
    sql(
        "UPDATE requests_servicerequest SET closed_at = NULL, is_solved = NULL, satisfaction = '' "
        "WHERE status <> 'closed'"
    )
    log("teams: one repair crew a branch; emergencies go to their branch's crew")
    sql(
        "INSERT INTO registry_team (created_at, updated_at, code, name, kind, branch_id, is_on_duty) "
        "SELECT now(), now(), 'T'||b.id, b.name||'抢修突击队', 'repair_crew', b.id, true FROM registry_branch b"
    )
    sql(
        "UPDATE requests_servicerequest r SET team_id = t.id FROM registry_district d "
        "JOIN registry_team t ON t.branch_id = d.branch_id WHERE r.district_id = d.id AND r.kind = 'emergency'"
    )
    log("clocks: intake, contact/arrival, repair, report, callback")
    sql(
        "INSERT INTO requests_clock (name, round, started_at, due_at, warn_at, met_at, breached_at, extended_count, service_request_id) "
        "SELECT 'intake', 1, received_at, received_at + interval '5 minutes', received_at + interval '4 minutes', "
        "registered_at, CASE WHEN is_late_intake THEN received_at + interval '5 minutes' END, 0, id "
        "FROM requests_servicerequest"
    )
    log("  contact/arrival")
    sql(
        "INSERT INTO requests_clock (name, round, started_at, due_at, warn_at, met_at, breached_at, cancelled_at, extended_count, service_request_id) "
        "SELECT CASE WHEN kind = 'emergency' THEN 'arrival' ELSE 'contact' END, 1, registered_at, due, due, met, "
        "CASE WHEN met > due OR (met IS NULL AND due < " + now_sql + ") THEN due END, "
        "CASE WHEN status = 'returned' AND met IS NULL THEN registered_at + interval '10 minutes' END, 0, id "
        "FROM (SELECT id, kind, status, registered_at, "
        "registered_at + CASE WHEN kind = 'emergency' THEN interval '60 minutes' ELSE interval '30 minutes' END due, "
        "CASE WHEN status = 'returned' THEN NULL ELSE registered_at + random() * interval '40 minutes' END met "
        "FROM requests_servicerequest WHERE NOT is_resolved_at_intake) x"
    )
    log("  repair")
    sql(
        "INSERT INTO requests_clock (name, round, started_at, due_at, warn_at, met_at, breached_at, cancelled_at, extended_count, service_request_id) "
        "SELECT 'repair', 1, registered_at, due, due, met, CASE WHEN met > due OR (met IS NULL AND due < "
        + now_sql
        + ") THEN due END, "
        "CASE WHEN status = 'returned' THEN registered_at + interval '10 minutes' END, 0, id "
        "FROM (SELECT id, status, registered_at, registered_at + interval '48 hours' due, "
        "CASE WHEN status = 'closed' THEN registered_at + random() * interval '52 hours' END met "
        "FROM requests_servicerequest WHERE NOT is_resolved_at_intake) x"
    )
    log("  report, callback, callbacks")
    for name, hours in (("report", 2), ("callback", 24)):
        sql(
            "INSERT INTO requests_clock (name, round, started_at, due_at, warn_at, met_at, extended_count, service_request_id) "
            f"SELECT '{name}', 1, received_at + interval '20 hours', received_at + interval '{20 + hours} hours', "
            f"received_at + interval '{20 + hours} hours', received_at + interval '21 hours', 0, id "
            "FROM requests_servicerequest WHERE status = 'closed' AND NOT is_resolved_at_intake"
        )
    sql(
        "INSERT INTO requests_callback (round, at, channel, outcome, is_solved, satisfaction, comment, service_request_id) "
        "SELECT 1, received_at + interval '30 hours', 'phone', 'answered', is_solved, satisfaction, '', id "
        "FROM requests_servicerequest WHERE status = 'closed' AND NOT is_resolved_at_intake"
    )
    log("VACUUM ANALYZE")
    sql("VACUUM ANALYZE")


def build_rollup(days: bool = True) -> dict[str, object]:
    """The whole season's roll-up, as `heatline reports_rollup --all` builds it nightly."""
    from heatline.reports.models import DailyFigure
    from heatline.reports.rollup import period_refresh, rollup_refresh_chunked

    first = SEASON_START
    last = SEASON_START + dt.timedelta(days=SEASON_DAYS - 1)
    started = time.perf_counter()

    def progress(a: dt.date, b: dt.date, rows: int) -> None:
        log(f"  roll-up {a} – {b}: {rows:,} rows · {time.perf_counter() - started:.1f} s")

    rows = rollup_refresh_chunked(first, last, progress=progress) if days else 0
    days_seconds = time.perf_counter() - started
    households = period_refresh(first, last - dt.timedelta(days=1))  # the bench's yesterday
    seconds = time.perf_counter() - started
    log(f"  households and buildings: {households:,} households · {seconds - days_seconds:.1f} s")
    psql("VACUUM ANALYZE reports_dailyfigure, reports_periodhousehold, reports_periodbuilding", DB)
    result = {
        "days": SEASON_DAYS,
        "rows": rows,
        "seconds": round(seconds, 1),
        "days_seconds": round(days_seconds, 1),
        "households": households,
        "table_rows": DailyFigure.objects.count(),
    }
    log(f"roll-up: {result}")
    return result


def measure(
    repeat: int, export_rows: int, only: set[str] | None = None, rollup: bool = True
) -> dict[str, object]:
    os.environ["DATABASE_URL"] = PG + DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from heatline.registry.models import Role, Staff, Team
    from heatline.reports import selectors as s
    from heatline.reports.exports import REQUEST_HEADERS, request_rows
    from heatline.reports.xlsx_stream import write_xlsx_stream

    results: dict[str, object] = {}
    results["rollup"] = build_rollup(days=rollup)
    manager, _ = Staff.objects.get_or_create(
        username="bench_manager", defaults={"role": Role.MANAGER, "is_active": True}
    )
    district, _ = Staff.objects.get_or_create(
        username="bench_district", defaults={"role": Role.DISTRICT, "is_active": True, "district_id": 1}
    )
    end = SEASON_START + dt.timedelta(days=SEASON_DAYS - 1)
    now = dt.datetime.combine(end, dt.time(12), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first_team = Team.objects.order_by("id").values_list("id", flat=True).first()
    scenarios = {
        "season_all": (manager, {"from": SEASON_START.isoformat(), "to": end.isoformat()}),
        "season_district": (district, {"from": SEASON_START.isoformat(), "to": end.isoformat()}),
        "season_12345": (
            manager,
            {"from": SEASON_START.isoformat(), "to": end.isoformat(), "source": "12345"},
        ),
        "last_7_days": (manager, {"from": (end - dt.timedelta(days=6)).isoformat(), "to": end.isoformat()}),
        "season_team": (
            manager,
            {"from": SEASON_START.isoformat(), "to": end.isoformat(), "team": str(first_team)},
        ),
    }
    for name, (viewer, params) in scenarios.items():
        if only and name not in only:
            continue
        flt = s.report_filter_parse(params=params, viewer=viewer)
        timings: list[float] = []
        queries = 0
        for _ in range(repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                s.dashboard(flt=flt, viewer=viewer, now=now, use_cache=False)
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:4]
        log(
            f"  {name} slowest queries (last run): "
            + " | ".join(f"{q['time']}s {q['sql'][:90]}" for q in slowest)
        )
        s.dashboard(flt=flt, viewer=viewer, now=now)  # fills the one-minute cache
        warm: list[float] = []
        for _ in range(repeat):
            started = time.perf_counter()
            s.dashboard(flt=flt, viewer=viewer, now=now)
            warm.append((time.perf_counter() - started) * 1000)
        results[name] = {
            "p50_ms": round(percentile(timings, 0.5), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "queries": queries,
            "cached_p95_ms": round(percentile(warm, 0.95), 2),
        }
        log(f"dashboard {name}: {results[name]}")
    flt = s.report_filter_parse(params=scenarios["season_all"][1], viewer=manager)
    queryset = s.drilldown_requests(flt=flt, viewer=manager, params={})[:export_rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        started = time.perf_counter()
        rows = write_xlsx_stream(
            out=str(path),
            title="诉求明细",
            headers=REQUEST_HEADERS,
            rows=request_rows(queryset, viewer=manager),
            progress=lambda n: log(f"  export {n:,} rows · {time.perf_counter() - started:.1f} s"),
        )
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    results["export"] = {
        "rows": rows,
        "seconds": round(seconds, 1),
        "bytes": size,
    }
    log(f"export: {results['export']}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the generated database of an earlier run")
    parser.add_argument(
        "--no-rollup",
        action="store_true",
        help="keep the day roll-up of an earlier run (household/building counts are rebuilt)",
    )
    parser.add_argument("--scenarios", default="", help="comma-separated subset of the dashboard scenarios")
    args = parser.parse_args()
    started = time.monotonic()
    if not args.reuse:
        url = fresh_database(DB)
        log("migrate")
        heatline(url, "migrate", "-v0")
        generate(args.requests, args.households)
        log(f"generated in {time.monotonic() - started:.0f} s")
    else:
        log("migrate (reused database)")
        heatline(PG + DB, "migrate", "-v0")
    only = {name for name in args.scenarios.split(",") if name} or None
    results = measure(args.repeat, args.export_rows, only, rollup=not args.no_rollup)
    total = int(psql("SELECT count(*) FROM requests_servicerequest", DB))
    clocks = int(psql("SELECT count(*) FROM requests_clock", DB))
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(json.dumps({"requests": total, "clocks": clocks, "load": load, **results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
