"""Bench of high-risk area detection (第五条.1) on PostgreSQL.

A season of N requests over H households (default 500,000 over 200,000) plus a smaller previous season,
generated in bulk SQL; then `hazard_candidates` (the two GROUP BY / COUNT(DISTINCT) queries per level) and
the full `hazard_detect` (candidates + writing the areas), timed; target ≤ 5 s.

    .venv/bin/python bench/hazard.py --requests 500000 --households 200000 [--repeat 5] [--reuse]

Loopback only, database `hlbench_hazard` (dropped and recreated unless --reuse). Prints progress and a
JSON line of medians at the end.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, heatline, log, psql

DB = "hlbench_hazard"
DISTRICTS = 20
COMMUNITIES = 800
HOUSEHOLDS_PER_BUILDING = 24
# Share of requests whose completion cause is a hazard (pipe blockage / ageing equipment).
HAZARD_SHARE = 0.02


def generate(total: int, households: int) -> None:
    sql = lambda statement: psql(statement, DB)  # noqa: E731
    per = max(1, households // HOUSEHOLDS_PER_BUILDING // COMMUNITIES)
    buildings = per * COMMUNITIES
    log(f"register: {COMMUNITIES} communities, {buildings:,} buildings, {households:,} households")
    sql(
        "INSERT INTO registry_company (created_at, updated_at, name, hotline) VALUES (now(), now(), '黑河市热电', '963000')"
    )
    sql(
        "INSERT INTO registry_branch (created_at, updated_at, code, name, company_id) VALUES (now(), now(), 'B1', '第1分公司', 1)"
    )
    sql(
        "INSERT INTO registry_district (created_at, updated_at, code, name, branch_id) "
        f"SELECT now(), now(), 'D'||g, '片区'||g, 1 FROM generate_series(1,{DISTRICTS}) g"
    )
    sql(
        "INSERT INTO registry_community (created_at, updated_at, code, name, heated_area, is_old_estate, district_id) "
        f"SELECT now(), now(), 'C'||g, '小区'||g, 50000, false, ((g-1) % {DISTRICTS})+1 FROM generate_series(1,{COMMUNITIES}) g"
    )
    sql(
        "INSERT INTO registry_building (created_at, updated_at, number, floors, community_id, district_id) "
        f"SELECT now(), now(), ((g-1) % {per})+1, 6, ((g-1)/{per})+1, "
        f"(((g-1)/{per}) % {DISTRICTS})+1 FROM generate_series(1,{buildings}) g"
    )
    sql(
        "INSERT INTO registry_household (created_at, updated_at, account_number, room, address, contact_name, phone, "
        "phone2, heating_status, heated_area, indoor_pipe_owner, notes, building_id) "
        "SELECT now(), now(), 'A'||g, g % 600, 'addr '||g, '', '', '', 'heating', 80, 'household', '', "
        f"((g-1) % {buildings})+1 FROM generate_series(1,{households}) g"
    )
    for year in (2024, 2025):
        sql(
            "INSERT INTO core_heatingseason (created_at, updated_at, year, trial_start, first_heating_day, last_day) "
            f"VALUES (now(), now(), {year}, '{year}-09-25', '{year}-10-01', '{year + 1}-04-30')"
        )
    causes = dict(
        line.split("|") for line in sql("SELECT code, id FROM requests_cause").splitlines() if "|" in line
    )
    blockage, ageing, air = causes["pipe_blockage"], causes["equipment_ageing"], causes["radiator_air"]
    previous = total // 5
    for year, count in ((2024, previous), (2025, total)):
        log(f"requests of season {year}: {count:,}")
        started = time.monotonic()
        chunk = 100_000
        for offset in range(0, count, chunk):
            n = min(chunk, count - offset)
            sql(
                "INSERT INTO requests_servicerequest (number, source, nature, kind, status, round, caller_name, phone, "
                "address, content, received_at, registered_at, is_late_intake, is_resolved_at_intake, wants_callback, "
                "result, satisfaction, repeat_count, is_excluded, excluded_reason, version, updated_at, "
                "building_id, district_id, household_id, cause_id) "
                f"SELECT 'H{year}'||lpad((i + {offset})::text, 8, '0'), '963000', 'complaint', 'routine', 'closed', 1, "
                "'', '13800000000', '', '暖气不热', rcv, rcv, false, false, true, '', '', 0, false, '', 1, now(), "
                f"b, ((b-1) % {DISTRICTS})+1, h, "
                f"CASE WHEN r < {HAZARD_SHARE / 2} THEN {blockage} WHEN r < {HAZARD_SHARE} THEN {ageing} "
                f"     WHEN r < 0.5 THEN {air} END "
                "FROM (SELECT i, h, ((h-1) % " + str(buildings) + ")+1 b, r, "
                f"timestamptz '{year}-10-01 00:00+08' + random() * interval '210 days' rcv "
                f"FROM (SELECT i, 1 + floor(random() * {households})::int h, random() r "
                f"FROM generate_series(1, {n}) i) y) x"
            )
        log(f"  {count:,} rows in {time.monotonic() - started:.0f} s")
    log("ANALYZE")
    sql("ANALYZE")


def backend_cpu(pid: int) -> float:
    """CPU seconds used so far by a PostgreSQL backend (same machine): wall time on a shared box
    is inflated by other load; CPU time is what the query costs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(repeat: int) -> dict[str, object]:
    os.environ["DATABASE_URL"] = PG + DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from heatline.core.models import HeatingSeason
    from heatline.inspections.models import HazardArea
    from heatline.inspections.services import hazard_candidates, hazard_detect

    season = HeatingSeason.objects.get(year=2025)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    cpu: list[float] = []
    candidates: list[float] = []
    found = 0
    queries = 0
    for run in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), backend_cpu(pid) + time.process_time()
            found = len(hazard_candidates(season=season))
            candidates.append(time.perf_counter() - started)
            cpu.append(backend_cpu(pid) + time.process_time() - cpu_started)
        queries = len(captured)
        log(
            f"  candidates run {run + 1}: {candidates[-1]:.2f} s wall, {cpu[-1]:.2f} s cpu (db + python), "
            f"{found:,} areas, {queries} queries"
        )
    HazardArea.objects.filter(season=season).delete()
    started = time.perf_counter()
    hazard_detect(season=season)
    first = time.perf_counter() - started
    log(
        f"  detect (first run, creates {HazardArea.objects.filter(season=season).count():,} rows): {first:.2f} s"
    )
    reruns: list[float] = []
    for _ in range(max(1, repeat // 2)):
        started = time.perf_counter()
        hazard_detect(season=season)
        reruns.append(time.perf_counter() - started)
    log(f"  detect (rerun, updates): median {statistics.median(reruns):.2f} s")
    return {
        "candidates_median_s": round(statistics.median(candidates), 2),
        "candidates_cpu_median_s": round(statistics.median(cpu), 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "candidates_queries": queries,
        "detect_first_s": round(first, 2),
        "detect_rerun_median_s": round(statistics.median(reruns), 2),
        "areas": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500_000)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the generated database of an earlier run")
    args = parser.parse_args()
    started = time.monotonic()
    if not args.reuse:
        url = fresh_database(DB)
        log("migrate")
        heatline(url, "migrate", "-v0")
        generate(args.requests, args.households)
        log(f"generated in {time.monotonic() - started:.0f} s")
    results = measure(args.repeat)
    season_requests = int(psql("SELECT count(*) FROM requests_servicerequest WHERE number LIKE 'H2025%'", DB))
    households = int(psql("SELECT count(*) FROM registry_household", DB))
    print(
        json.dumps(
            {"season_requests": season_requests, "households": households, **results}, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    main()
