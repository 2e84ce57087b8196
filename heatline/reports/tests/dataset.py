"""A small fixed season day, built through the real services, whose figures are computed by hand.

2025-11-20 (Asia/Shanghai), T0 = 08:00:
  A  org.district   routine, contacted 08:10, done, reported 08:30, callback 09:00 solved+satisfied → closed
  B  org.district   received 07:50, registered 08:00 (late intake), contact breached (sweep 08:40), contacted 08:45
  C  org.district   emergency, never arrived: arrival breached (sweep 10:00)
  D  org.district   consultation answered on the phone (直办) → closed, solved
  E  org.district   excluded from assessment (不纳入考核); contact breached (sweep 08:40)
  F  other_district routine, contacted 08:10, done, reported 08:30, callback 09:00 unsolved+unsatisfied →
     round 2 dispatched at 09:00; its round-2 contact breached (sweep 10:00)
Figures are read at NOW = 10:00.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from heatline.registry.tests.factories import Org
from heatline.requests.jobs import clocks_sweep
from heatline.requests.models import Action, Nature, ServiceRequest
from heatline.requests.tests.factories import advance, emergency_request, registered_request
from heatline.requests.transitions import Params

T0 = datetime(2025, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOW = T0 + timedelta(hours=2)


@dataclass
class Day:
    a: ServiceRequest
    b: ServiceRequest
    c: ServiceRequest
    d: ServiceRequest
    e: ServiceRequest
    f: ServiceRequest


def build_day(org: Org) -> Day:
    with time_machine.travel(T0, tick=False) as traveller:
        a = registered_request(org)
        b = registered_request(org, received_at=T0 - timedelta(minutes=10))
        c = emergency_request(org)
        d = registered_request(org, nature=Nature.CONSULT, resolved_at_intake="已电话答复收费标准")
        e = registered_request(org)
        e = advance(e, (Action.EXCLUDE, org.admin, Params(note="无理诉求,经审批不纳入考核")))
        f = registered_request(org, household=org.other_household)

        traveller.move_to(T0 + timedelta(minutes=10))
        a = advance(a, (Action.CONTACT, org.responsible, None))
        f = advance(f, (Action.CONTACT, org.other_responsible, None))
        traveller.move_to(T0 + timedelta(minutes=20))
        complete = Params(cause="radiator_air", result="暖气片放气,室温恢复")
        a = advance(a, (Action.ARRIVE, org.worker, None), (Action.COMPLETE, org.worker, complete))
        f = advance(
            f,
            (Action.ARRIVE, org.other_responsible, None),
            (Action.COMPLETE, org.other_responsible, complete),
        )
        traveller.move_to(T0 + timedelta(minutes=30))
        a = advance(a, (Action.REPORT, org.worker, None))
        f = advance(f, (Action.REPORT, org.other_responsible, None))
        traveller.move_to(T0 + timedelta(minutes=40))
        clocks_sweep(now=timezone.now())
        traveller.move_to(T0 + timedelta(minutes=45))
        b = advance(b, (Action.CONTACT, org.responsible, None))
        traveller.move_to(T0 + timedelta(hours=1))
        a = advance(a, (Action.CALLBACK, org.operator, Params(solved=True, satisfaction="satisfied")))
        f = advance(f, (Action.CALLBACK, org.operator, Params(solved=False, satisfaction="unsatisfied")))
        traveller.move_to(NOW)
        clocks_sweep(now=timezone.now())
    return Day(a=a, b=b, c=c, d=d, e=e, f=f)
