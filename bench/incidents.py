"""Bench of incidents (issue 10) on PostgreSQL:

1. linking 500 calls to one incident from 8 concurrent API clients (POST /api/v1/incidents/{id}/links,
   gunicorn with 2 workers): within a minute, zero lost or duplicated links;
2. resolving an incident with 2,000 linked requests in one transaction (target ≤ 5 s).

    .venv/bin/python bench/incidents.py [--links 500] [-c 8] [--resolve-size 2000] [--runs 3] [--resolve-runs 3] [--workers 2]

Loopback only; database `hlbench_incidents` (recreated). Prints progress and one JSON line of medians.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, gunicorn, heatline, http, log, psql

DB = "hlbench_incidents"
URL = PG + DB


def setup_django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build_register(households: int) -> dict[str, Any]:
    """One branch, one station feeding 40 buildings, `households` households, an operator and a crew."""
    from heatline.registry import models as m
    from heatline.registry.services import api_token_create

    company = m.Company.objects.create(name="热力公司")
    branch = m.Branch.objects.create(company=company, code="B1", name="一分公司")
    district = m.District.objects.create(branch=branch, code="D1", name="江北片区")
    crew = m.Team.objects.create(code="T1", name="抢修队", kind=m.TeamKind.REPAIR_CREW, branch=branch)
    operator = m.Staff.objects.create(username="operator", role=m.Role.OPERATOR, name="话务员")
    crew_leader = m.Staff.objects.create(username="crew", role=m.Role.CREW, team=crew, name="队长")
    station = m.Station.objects.create(code="S1", name="一号换热站", branch=branch)
    community = m.Community.objects.create(code="C1", name="幸福小区", district=district)
    buildings = [
        m.Building.objects.create(community=community, number=str(n + 1), district=district, station=station)
        for n in range(40)
    ]
    m.Household.objects.bulk_create(
        [
            m.Household(
                account_number=f"{1000000 + n}",
                building=buildings[n % 40],
                room=str(101 + n // 40),
                address=f"幸福小区{n % 40 + 1}号楼{101 + n // 40}",
                phone=f"138{n:08d}",
            )
            for n in range(households)
        ],
        batch_size=1000,
    )
    return {
        "station": station.pk,
        "crew": crew.pk,
        "operator": operator,
        "crew_leader": crew_leader,
        "operator_token": api_token_create(staff=operator),
        "crew_token": api_token_create(staff=crew_leader),
    }


def bench_links(base: str, world: dict[str, Any], *, links: int, clients: int, run: int) -> dict[str, float]:
    status, body = http(
        "POST",
        base + "/api/v1/incidents",
        token=world["crew_token"],
        body={"title": f"主管爆管 {run}", "station_id": world["station"], "crew_id": world["crew"]},
    )
    assert status == 201, body
    incident_id = body["id"]
    latencies: list[float] = []
    failures: list[Any] = []
    lock = threading.Lock()
    counter = iter(range(links))

    def client() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            started = time.perf_counter()
            code, answer = http(
                "POST",
                f"{base}/api/v1/incidents/{incident_id}/links",
                token=world["operator_token"],
                body={
                    "phone": f"137{run:02d}{n:06d}",
                    "content": "家里暖气不热",
                    "household": f"{1000000 + n}",
                },
            )
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if code != 201:
                    failures.append((code, answer))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    wall = time.perf_counter() - started
    stored = int(psql(f"SELECT count(*) FROM incidents_incidentlink WHERE incident_id = {incident_id}", DB))
    distinct = int(
        psql(
            f"SELECT count(DISTINCT service_request_id) FROM incidents_incidentlink WHERE incident_id = {incident_id}",
            DB,
        )
    )
    dispatched = int(
        psql(
            "SELECT count(*) FROM requests_servicerequest r JOIN incidents_incidentlink l ON l.service_request_id = r.id"
            f" WHERE l.incident_id = {incident_id} AND r.status <> 'registered'",
            DB,
        )
    )
    log(
        f"links run {run}: {links} in {wall:.1f} s, failures {len(failures)}, stored {stored}, "
        f"distinct {distinct}, dispatched {dispatched}"
    )
    if failures:
        log(f"first failure: {failures[0]}")
    ordered = sorted(latencies)
    return {
        "wall_s": wall,
        "per_s": links / wall,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "lost": links - stored,
        "duplicated": stored - distinct,
        "failures": len(failures),
        "dispatched": dispatched,
    }


def bench_resolve(world: dict[str, Any], *, size: int, run: int) -> dict[str, float]:
    """Link `size` calls through the real service, then time one resolve (restore + report to all)."""
    from heatline.incidents.services import IncidentInput, incident_link_call, incident_open, incident_resolve
    from heatline.requests.services import Intake

    incident = incident_open(
        data=IncidentInput(title=f"换热站故障 {run}", station_id=world["station"], crew_id=world["crew"]),
        by=world["crew_leader"],
    )
    started = time.perf_counter()
    for n in range(size):
        incident_link_call(
            incident=incident,
            intake=Intake(
                source="963000", phone=f"139{run:02d}{n:06d}", content="不热", household=f"{1000000 + n}"
            ),
            by=world["operator"],
        )
        if n and n % 500 == 0:
            log(f"  linked {n}/{size}")
    log(f"resolve run {run}: {size} calls linked in {time.perf_counter() - started:.0f} s")
    incident.refresh_from_db()
    started = time.perf_counter()
    result = incident_resolve(
        incident=incident, by=world["crew_leader"], result="抢修完毕", cause="network_leak"
    )
    seconds = time.perf_counter() - started
    reported = int(
        psql(
            "SELECT count(*) FROM requests_servicerequest r JOIN incidents_incidentlink l ON l.service_request_id = r.id"
            f" WHERE l.incident_id = {incident.pk} AND r.status = 'reported'",
            DB,
        )
    )
    callbacks = int(
        psql(
            "SELECT count(*) FROM requests_clock c JOIN incidents_incidentlink l ON l.service_request_id = c.service_request_id"
            f" WHERE l.incident_id = {incident.pk} AND c.name = 'callback' AND c.met_at IS NULL",
            DB,
        )
    )
    log(
        f"resolve run {run}: {seconds:.2f} s, reported {result.reported} (db {reported}), "
        f"callback clocks {callbacks}"
    )
    return {"seconds": seconds, "reported": reported, "callback_clocks": callbacks}


def median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=500)
    parser.add_argument("-c", "--clients", type=int, default=8)
    parser.add_argument("--resolve-size", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--resolve-runs", type=int, default=3)
    args = parser.parse_args()

    log(f"fresh database {DB}")
    fresh_database(DB)
    heatline(URL, "migrate", "-v0", "--skip-checks")
    setup_django()
    households = max(args.links, args.resolve_size)
    world = build_register(households)
    psql("ANALYZE", DB)
    log(f"register ready: {households} households under one station")

    link_runs: list[dict[str, float]] = []
    with gunicorn(URL, workers=args.workers) as base:
        for run in range(args.runs):
            link_runs.append(bench_links(base, world, links=args.links, clients=args.clients, run=run))
    resolve_runs = [bench_resolve(world, size=args.resolve_size, run=run) for run in range(args.resolve_runs)]
    print(
        json.dumps(
            {
                "links": args.links,
                "clients": args.clients,
                "gunicorn_workers": args.workers,
                "link_wall_s_median": median(link_runs, "wall_s"),
                "link_per_s_median": median(link_runs, "per_s"),
                "link_p50_ms_median": median(link_runs, "p50_ms"),
                "link_p95_ms_median": median(link_runs, "p95_ms"),
                "lost_total": sum(run["lost"] for run in link_runs),
                "duplicated_total": sum(run["duplicated"] for run in link_runs),
                "failures_total": sum(run["failures"] for run in link_runs),
                "dispatched_total": sum(run["dispatched"] for run in link_runs),
                "resolve_size": args.resolve_size,
                "resolve_s_median": median(resolve_runs, "seconds") if resolve_runs else None,
                "resolve_reported_min": min((run["reported"] for run in resolve_runs), default=None),
            }
        )
    )


if __name__ == "__main__":
    main()
