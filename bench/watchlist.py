"""Bench of 未诉先办 on PostgreSQL: a register and last season's ledger and low-temperature requests generated
in bulk SQL, then
(1) `watchlist_build` for the new season (fresh build and rebuild), median of --repeat runs,
(2) the progress page (/proactive/) p50/p95 as the manager (company) and a district's staff (the counts are
    kept 30 s per scope, so this is the page as users get it), and the uncached grouped count on its own,
(3) a ledger import of --import-rows rows (.csv, then the same rows as .xlsx): read + check, then commit in one
    transaction.

    .venv/bin/python bench/watchlist.py --households 200000 --readings 600000 --requests 50000 [--repeat 3]

Loopback only (no server: the page is rendered through Django's test client in-process), database
`hlbench_watchlist`, dropped and recreated unless --reuse. Prints progress and a JSON line of medians.
"""

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, heatline, log, percentile, psql

DB = "hlbench_watchlist"
DISTRICTS = 20
BRANCHES = 2
COMMUNITIES = 500
BUILDINGS = 5000
LAST_START = dt.date(2025, 10, 15)


def generate(*, households: int, readings: int, requests: int) -> None:
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
        f"SELECT now(), now(), 'D'||lpad(g::text, 2, '0'), '片区'||g, ((g-1) % {BRANCHES})+1 "
        f"FROM generate_series(1,{DISTRICTS}) g"
    )
    sql(
        "INSERT INTO registry_community (created_at, updated_at, code, name, heated_area, is_old_estate, district_id) "
        f"SELECT now(), now(), 'C'||g, '小区'||g, 50000, false, ((g-1) % {DISTRICTS})+1 FROM generate_series(1,{COMMUNITIES}) g"
    )
    per = BUILDINGS // COMMUNITIES
    sql(
        "INSERT INTO registry_building (created_at, updated_at, number, floors, community_id, district_id) "
        f"SELECT now(), now(), ((g-1) % {per})+1, 6, ((g-1)/{per})+1, ((((g-1)/{per})) % {DISTRICTS})+1 "
        f"FROM generate_series(1,{BUILDINGS}) g"
    )
    sql(
        "INSERT INTO registry_household (created_at, updated_at, account_number, room, address, contact_name, phone, "
        "phone2, heating_status, heated_area, indoor_pipe_owner, notes, building_id) "
        f"SELECT now(), now(), 'A'||g, g, '小区'||(((g-1) % {BUILDINGS})/{per}+1)||'-'||(((g-1) % {BUILDINGS}) % {per}+1)||'号楼'||g||'室', "
        f"'', '', '', 'heating', 80, 'household', '', ((g-1) % {BUILDINGS})+1 FROM generate_series(1,{households}) g"
    )
    sql(
        "INSERT INTO core_heatingseason (created_at, updated_at, year, first_heating_day, last_day) VALUES "
        "(now(), now(), 2024, '2024-10-15', '2025-04-15'), (now(), now(), 2025, '2025-10-15', '2026-04-15'), "
        "(now(), now(), 2026, '2026-10-15', '2027-04-15')"
    )
    season = sql("SELECT id FROM core_heatingseason WHERE year = 2025")
    rooms = "ARRAY['客厅','主卧','次卧','厨房']"
    log(f"ledger: {readings:,} readings of last season (rooms of every household, a fifth under 20 ℃)")
    sql(
        "INSERT INTO proactive_reading (household_id, season_id, source, measured_on, measured_at, room, temperature, "
        "cause_text, instrument_id, is_calibrated, counts_for_refund, not_counting_reason, dedupe_key) "
        f"SELECT ((g-1) % {households})+1, {season}, 'ledger', date '{LAST_START}' + (g % 170), NULL, "
        f"({rooms})[((g-1)/{households}) % 4 + 1], round((19 + random() * 5)::numeric, 1), "
        "CASE WHEN g % 7 = 0 THEN '暖气片积气' WHEN g % 11 = 0 THEN '入户管道循环慢' ELSE '' END, '', false, false, "
        f"'台账', 'L|'||g FROM generate_series(1,{readings}) g"
    )
    category = sql("SELECT id FROM requests_category WHERE code = 'low_temperature'")
    log(f"requests: {requests:,} low-temperature requests last season (963000 / 12345 / 12319)")
    sql(
        "INSERT INTO requests_servicerequest (number, source, external_id, nature, kind, status, round, caller_name, phone, "
        "address, content, received_at, registered_at, is_late_intake, is_resolved_at_intake, wants_callback, result, "
        "repeat_count, is_excluded, excluded_reason, version, updated_at, satisfaction, building_id, category_id, "
        "district_id, household_id) "
        "SELECT 'RXB'||lpad(g::text, 8, '0'), src, CASE WHEN src = '963000' THEN NULL ELSE 'EXT'||g END, 'complaint', "
        "'routine', 'closed', 1, '', '13800000000', '', '暖气不热', rcv, rcv, false, false, true, '', 0, false, '', 1, "
        f"now(), '', b, {category}, (((b-1)/{per}) % {DISTRICTS})+1, h "
        "FROM (SELECT g, CASE WHEN random() < .6 THEN '963000' WHEN random() < .8 THEN '12345' ELSE '12319' END src, "
        f"timestamptz '{LAST_START} 08:00+08' + random() * interval '170 days' rcv, h, ((h-1) % {BUILDINGS})+1 b "
        f"FROM (SELECT g, 1 + floor(random() * {households} / 3)::int h FROM generate_series(1,{requests}) g) y) x"
    )
    log("ANALYZE")
    sql("ANALYZE")


def measure(*, repeat: int, page_repeat: int, import_rows: int, households: int) -> dict[str, object]:
    os.environ["DATABASE_URL"] = PG + DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from heatline.core.seasons import season_get
    from heatline.proactive.ledger import ledger_commit, ledger_read
    from heatline.proactive.models import Reading, WatchEntry
    from heatline.proactive.selectors import _progress_count
    from heatline.proactive.services import watchlist_build
    from heatline.registry.models import District, Role, Staff

    setup_test_environment()
    if not Staff.objects.filter(username="bench_manager").exists():
        Staff.objects.create(username="bench_manager", role=Role.MANAGER)
        Staff.objects.bulk_create(
            Staff(username=f"bench_w{d.pk}_{i}", role=Role.WORKER, district=d, branch_id=d.branch_id)
            for d in District.objects.all()
            for i in range(3)
        )
    season = season_get(2026)
    assert season is not None
    results: dict[str, object] = {}

    fresh: list[float] = []
    for index in range(repeat):
        WatchEntry.objects.filter(season=season).delete()
        started = time.perf_counter()
        result = watchlist_build(season=season, by=None)
        fresh.append(time.perf_counter() - started)
        log(f"build {index + 1}/{repeat}: {fresh[-1]:.2f} s, {result.total:,} households on the list")
    rebuild: list[float] = []
    for index in range(repeat):
        started = time.perf_counter()
        watchlist_build(season=season, by=None)
        rebuild.append(time.perf_counter() - started)
        log(f"rebuild {index + 1}/{repeat}: {rebuild[-1]:.2f} s")
    results["entries"] = WatchEntry.objects.filter(season=season).count()
    results["build_s_median"] = round(statistics.median(fresh), 2)
    results["rebuild_s_median"] = round(statistics.median(rebuild), 2)

    client = Client(HTTP_HOST="localhost")
    for name, user in (
        ("progress_manager", Staff.objects.get(username="bench_manager")),
        ("progress_district", Staff.objects.filter(role=Role.WORKER).first()),
    ):
        assert user is not None
        client.force_login(user)
        client.get("/proactive/?season=2026")  # warm
        timings: list[float] = []
        for _ in range(page_repeat):
            started = time.perf_counter()
            response = client.get("/proactive/?season=2026")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        uncached: list[float] = []
        for _ in range(max(3, page_repeat // 8)):
            started = time.perf_counter()
            _progress_count(viewer=user, season=season)
            uncached.append((time.perf_counter() - started) * 1000)
        results[f"{name}_count_uncached_p50_ms"] = round(percentile(uncached, 0.5), 1)
        results[f"{name}_p50_ms"] = round(percentile(timings, 0.5), 1)
        results[f"{name}_p95_ms"] = round(percentile(timings, 0.95), 1)
        log(f"{name}: p50 {results[f'{name}_p50_ms']} ms, p95 {results[f'{name}_p95_ms']} ms")

    if import_rows:
        lines = ["户号,地址,测温日期,房间,温度,原因"]
        for g in range(import_rows):
            day = dt.date(2024, 11, 1) + dt.timedelta(days=g % 150)
            lines.append(
                f"A{g % households + 1},,{day.isoformat()} 09:00,{('客厅', '主卧', '次卧')[g % 3]}-{g},{18 + g % 5},暖气片积气"
            )
        content = ("\n".join(lines) + "\n").encode()
        started = time.perf_counter()
        report = ledger_read(content=content, file_name="bench.csv")
        read_s = time.perf_counter() - started
        imported, _duplicate = ledger_commit(report=report, by=None)
        total_s = time.perf_counter() - started
        started = time.perf_counter()
        again, _ = ledger_commit(report=ledger_read(content=content, file_name="bench.csv"), by=None)
        results["import_rows"] = import_rows
        results["import_read_s"] = round(read_s, 2)
        results["import_total_s"] = round(total_s, 2)
        results["import_again_s"] = round(time.perf_counter() - started, 2)
        results["import_again_added"] = again
        log(
            f"import {import_rows:,}: read {read_s:.1f} s, total {total_s:.1f} s, imported {imported:,}, again {again}"
        )
        Reading.objects.filter(season__year=2024).delete()

        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for line in lines:
            sheet.append(line.split(","))
        buffer = io.BytesIO()
        workbook.save(buffer)
        started = time.perf_counter()
        report = ledger_read(content=buffer.getvalue(), file_name="bench.xlsx")
        xlsx_read_s = time.perf_counter() - started
        imported, _duplicate = ledger_commit(report=report, by=None)
        results["import_xlsx_read_s"] = round(xlsx_read_s, 2)
        results["import_xlsx_total_s"] = round(time.perf_counter() - started, 2)
        log(
            f"import {import_rows:,} (.xlsx): read {xlsx_read_s:.1f} s, total {results['import_xlsx_total_s']} s"
        )
        Reading.objects.filter(season__year=2024).delete()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--readings", type=int, default=600_000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-repeat", type=int, default=40)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the generated database of an earlier run")
    args = parser.parse_args()
    started = time.monotonic()
    if not args.reuse:
        url = fresh_database(DB)
        log("migrate")
        heatline(url, "migrate", "-v0")
        generate(households=args.households, readings=args.readings, requests=args.requests)
    results = measure(
        repeat=args.repeat,
        page_repeat=args.page_repeat,
        import_rows=args.import_rows,
        households=args.households,
    )
    results.update(households=args.households, readings=args.readings, requests=args.requests)
    results["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
