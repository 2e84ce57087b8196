"""Demo joint cases (难诉联办), opened and moved through the real services: a dispute awaiting
mediation, a mediated one awaiting its callback, a closed one, a coordination case waiting for its
meeting (moved back in time so its clock is overdue) and one in progress with milestones."""

import datetime as dt
import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from heatline.joint.clocks import meeting_due
from heatline.joint.models import Agreement, CaseAction, CaseClock, CaseClockName, CaseType, JointCase
from heatline.joint.services import case_open
from heatline.joint.transitions import MilestoneIn, Params, case_transition
from heatline.registry.models import PartnerBody, PartnerKind, Staff
from heatline.requests.models import ServiceRequest, Status

MARK = "【演示】"


def _requests(branch_id: int, count: int, taken: set[int]) -> list[ServiceRequest]:
    rows = list(
        ServiceRequest.objects.filter(
            district__branch_id=branch_id, status__in=(Status.DISPATCHED, Status.CONTACTED, Status.ON_SITE)
        )
        .exclude(pk__in=taken)
        .exclude(joint_links__isnull=False)
        .order_by("-received_at")[:count]
    )
    taken.update(row.pk for row in rows)
    return rows


def _partner(kind: str) -> int | None:
    return PartnerBody.objects.filter(kind=kind).values_list("pk", flat=True).first()


@transaction.atomic
def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if JointCase.objects.filter(summary__startswith=MARK).exists():
        progress("joint: demo cases present")
        return
    manager = Staff.objects.filter(username="branch").select_related("branch").first()
    if manager is None or manager.branch_id is None:
        progress("joint: no branch manager 'branch', skipped")
        return
    district_id = (
        ServiceRequest.objects.filter(district__branch_id=manager.branch_id)
        .values_list("district_id", flat=True)
        .first()
    )
    partners = [pk for pk in (_partner(k) for k in PartnerKind.values) if pk is not None]
    street, police = _partner(PartnerKind.STREET), _partner(PartnerKind.POLICE)
    housing = _partner(PartnerKind.HOUSING_BUREAU)
    present = [pk for pk in (street, police) if pk] or partners[:2]
    taken: set[int] = set()
    now = timezone.now()

    def open_case(kind: str, summary: str, count: int) -> JointCase:
        requests = _requests(manager.branch_id or 0, count, taken)
        return case_open(
            type=kind,
            summary=MARK + summary,
            by=manager,
            request_numbers=[r.number for r in requests],
            district_id=None if requests else district_id,
        )

    # 1. A dispute awaiting mediation, with a contact to the street community recorded.
    waiting = open_case(CaseType.DISPUTE, "5楼住户私自关闭立管阀门,楼下4户室温偏低", 2)
    if present:
        case_transition(
            case=waiting,
            action=CaseAction.CONTACT,
            by=manager,
            params=Params(
                partner_id=present[0], person="王主任", channel="phone", outcome="社区约定明日上门调解"
            ),
        )
    # 2. A dispute mediated on site, awaiting its 24-hour callback.
    mediated = open_case(CaseType.DISPUTE, "邻居报停后暖气片拆改,隔壁户室温低", 1)
    case_transition(
        case=mediated,
        action=CaseAction.MEDIATE,
        by=manager,
        params=Params(
            held_at=timezone.now(),
            partner_ids=present,
            parties_present="当事双方、社区网格员、民警",
            agreement=Agreement.VALVE_ADJUSTED,
            agreement_detail="报停户同意恢复阀门开度,由分公司加装温控阀",
        ),
    )
    # 3. A dispute mediated, called back and closed.
    closed = open_case(CaseType.DISPUTE, "老旧楼单户关阀导致下游不热", 1)
    closed = case_transition(
        case=closed,
        action=CaseAction.MEDIATE,
        by=manager,
        params=Params(held_at=timezone.now(), partner_ids=present, agreement=Agreement.HEATING_RESTORED),
    )
    closed = case_transition(
        case=closed,
        action=CaseAction.CALLBACK,
        by=manager,
        params=Params(reached=True, solved=True, note="室温21度"),
    )
    case_transition(case=closed, action=CaseAction.CLOSE, by=manager)
    # 4. A coordination case whose meeting is overdue (opened six days ago).
    late = open_case(CaseType.COORDINATION, "楼道立管改造受阻,3户不同意入户施工", 2)
    opened = now - timedelta(days=6)
    JointCase.objects.filter(pk=late.pk).update(opened_at=opened)
    due = meeting_due(opened)
    CaseClock.objects.filter(case=late, name=CaseClockName.MEETING).update(
        started_at=opened, due_at=due, warn_at=opened + (due - opened) * 0.8
    )
    # 5. A coordination case in progress: meeting held, milestones, one done.
    going = open_case(CaseType.COORDINATION, "小区外网更换需物业、社区配合协调停水停暖", 1)
    today = timezone.localdate()
    going = case_transition(
        case=going,
        action=CaseAction.MEETING,
        by=manager,
        params=Params(
            held_at=timezone.now(),
            partner_ids=[pk for pk in (housing, street) if pk] or partners[:1],
            parties_present="住建局、街道、物业、分公司",
            responsible_party="物业公司",
            plan="物业发布施工公告,分公司分段更换外网,社区做好住户解释",
            milestones=[
                MilestoneIn(title="发布施工公告", due_date=today, responsible="物业公司"),
                MilestoneIn(
                    title="第一段管网更换",
                    due_date=today + dt.timedelta(days=rng.randint(3, 6)),
                    responsible="分公司",
                ),
                MilestoneIn(
                    title="恢复供热并测温", due_date=today + dt.timedelta(days=10), responsible="分公司"
                ),
            ],
        ),
    )
    first = going.milestones.order_by("due_date").first()
    if first is not None:
        case_transition(
            case=going, action=CaseAction.COMPLETE_MILESTONE, by=manager, params=Params(milestone_id=first.pk)
        )
    progress("joint: 5 demo cases")
