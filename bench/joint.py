"""Bench of 难诉联办 on PostgreSQL: opening and moving cases through the real services, the worker's
clock sweep over many overdue cases, the branch manager's case list and the report counts.

    .venv/bin/python bench/joint.py [--cases 2000] [--flows 50] [--repeat 15]

Loopback only, database `hlbench_joint` (dropped and recreated). Prints progress and a JSON line of
medians at the end.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import fresh_database, heatline, log, percentile

DB = "hlbench_joint"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000, help="cases in the database for list/sweep/counts")
    parser.add_argument("--flows", type=int, default=50, help="dispute flows timed end to end")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    deadline = time.monotonic() + 900

    url = fresh_database(DB)
    log(f"migrate {DB}")
    heatline(url, "migrate", "-v0")
    log("demo register (300 households, no history)")
    heatline(url, "demo", "--size", "300", "--no-history")

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="heatline.settings", DEBUG="true")
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from heatline.joint.jobs import joint_clocks
    from heatline.joint.models import Agreement, CaseAction, CaseClock, CaseType, JointCase
    from heatline.joint.selectors import case_counts
    from heatline.joint.services import case_open
    from heatline.joint.transitions import Params, case_transition
    from heatline.registry.models import District, PartnerBody, Staff

    manager = Staff.objects.get(username="branch")
    district = District.objects.filter(branch_id=manager.branch_id).first()
    assert district is not None
    partners = list(PartnerBody.objects.values_list("pk", flat=True)[:2])

    # 1. A dispute flow end to end: open → mediate → callback → close.
    log(f"{args.flows} dispute flows through the services")
    flow_ms: list[float] = []
    for _ in range(args.flows):
        started = time.perf_counter()
        case = case_open(type=CaseType.DISPUTE, summary="邻里阀门纠纷", by=manager, district_id=district.pk)
        case = case_transition(
            case=case,
            action=CaseAction.MEDIATE,
            by=manager,
            params=Params(held_at=timezone.now(), partner_ids=partners, agreement=Agreement.VALVE_ADJUSTED),
        )
        case = case_transition(
            case=case, action=CaseAction.CALLBACK, by=manager, params=Params(reached=True, solved=True)
        )
        case_transition(case=case, action=CaseAction.CLOSE, by=manager)
        flow_ms.append((time.perf_counter() - started) * 1000)

    # 2. Many coordination cases, moved back in time so their meeting clocks are overdue.
    log(f"{args.cases} coordination cases")
    for index in range(args.cases):
        case_open(type=CaseType.COORDINATION, summary=f"协调{index}", by=manager, district_id=district.pk)
        if index and index % 500 == 0:
            log(f"  {index}")
        if time.monotonic() > deadline:
            log("time bound reached while generating")
            break
    past = timezone.now() - timedelta(days=10)
    CaseClock.objects.update(due_at=past, warn_at=past - timedelta(days=1))
    log("worker sweep (warn + breach) over every overdue clock")
    sweep_started = time.perf_counter()
    sweeps = 0
    while joint_clocks(timezone.now()):
        sweeps += 1
    sweep_s = time.perf_counter() - sweep_started
    breached = CaseClock.objects.exclude(breached_at=None).count()

    # 3. The branch manager's list page (first page, all statuses) and the report counts.
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    list_ms: list[float] = []
    counts_ms: list[float] = []
    log(f"list page and counts, {args.repeat} times each ({JointCase.objects.count()} cases)")
    for _ in range(args.repeat):
        started = time.perf_counter()
        response = client.get("/joint/?status=overdue")
        assert response.status_code == 200
        list_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        case_counts(manager, timezone.now() - timedelta(days=30), timezone.now())
        counts_ms.append((time.perf_counter() - started) * 1000)
    connection.close()

    result = {
        "database": "postgresql",
        "cases": JointCase.objects.count(),
        "dispute_flow_ms_median": round(statistics.median(flow_ms), 1),
        "dispute_flow_ms_p95": round(percentile(flow_ms, 0.95), 1),
        "sweep_clocks": breached,
        "sweep_seconds": round(sweep_s, 2),
        "sweep_batches": sweeps,
        "list_page_ms_median": round(statistics.median(list_ms), 1),
        "list_page_ms_p95": round(percentile(list_ms, 0.95), 1),
        "case_counts_ms_median": round(statistics.median(counts_ms), 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
