"""Writes of 难诉联办: opening a case (from requests or directly). Every later step goes through
`heatline.joint.transitions.case_transition`."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import ActionForbidden, InvalidInput, NotVisible
from heatline.joint import clocks
from heatline.joint.models import (
    OPEN_STATUSES,
    CaseAction,
    CaseClockName,
    CaseEvent,
    CaseMember,
    CaseRequest,
    CaseStatus,
    CaseType,
    JointCase,
)
from heatline.outbox.services import notify, outbox_enqueue
from heatline.registry.models import Branch, District, Role, Staff
from heatline.registry.scoping import may_see_district
from heatline.requests.models import ServiceRequest
from heatline.requests.selectors import request_get_visible

# Who opens joint cases: the branch that leads, the district's responsible person, a department head.
OPENER_ROLES = frozenset({Role.BRANCH, Role.DISTRICT, Role.DEPT_HEAD, Role.ADMIN})


def may_open(staff: Staff) -> bool:
    return staff.is_active and (staff.is_superuser or staff.role in OPENER_ROLES)


def requests_resolve(numbers: list[str], by: Staff) -> list[ServiceRequest]:
    """Request numbers typed by the user → the requests they may see (422 for any other)."""
    found: list[ServiceRequest] = []
    for number in dict.fromkeys(number.strip() for number in numbers if number.strip()):
        try:
            found.append(request_get_visible(number=number, viewer=by))
        except NotVisible:
            raise InvalidInput(
                _("工单%(number)s不存在或不在您的管辖范围内") % {"number": number}, field="requests"
            ) from None
    return found


def _branch_of(service_requests: list[ServiceRequest], district: District | None, by: Staff) -> Branch:
    """The branch of the area leads (第九条, 第十条): the requests' branch, else the district's, else mine."""
    branches = {sr.district.branch_id for sr in service_requests if sr.district is not None}
    if len(branches) > 1:
        raise InvalidInput(_("所选工单属于不同分公司,请分别立案"), field="requests")
    if any(sr.district is None for sr in service_requests):
        raise InvalidInput(_("工单尚未确定片区,请先派单"), field="requests")
    branch_id = next(iter(branches), None)
    if branch_id is None and district is not None:
        branch_id = district.branch_id
    if branch_id is None:
        branch_id = by.branch_id
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
    if branch is None:
        raise InvalidInput(_("请选择片区(由片区所属分公司牵头)"), field="district")
    return branch


def _follow_up(follow_up_id: int | None, branch: Branch, by: Staff) -> Staff | None:
    if follow_up_id is None:
        # The opener follows up when they work in the leading branch; otherwise its manager does.
        if by.role == Role.BRANCH and by.branch_id == branch.pk:
            return by
        if by.role == Role.DISTRICT and by.district is not None and by.district.branch_id == branch.pk:
            return by
        return branch.manager
    person = Staff.objects.filter(pk=follow_up_id, is_active=True).select_related("district").first()
    if person is None or not (
        person.branch_id == branch.pk
        or (person.district is not None and person.district.branch_id == branch.pk)
    ):
        raise InvalidInput(_("跟进人须为牵头分公司的在职员工"), field="follow_up")
    return person


@transaction.atomic
def case_open(
    *,
    type: str,
    summary: str,
    by: Staff,
    request_numbers: list[str] | None = None,
    district_id: int | None = None,
    follow_up_id: int | None = None,
) -> JointCase:
    """难诉联办: open a case — from one or more requests (all the cold homes below a closed valve)
    or directly. A coordination case's meeting clock starts at once (第十条: 3 working days)."""
    if not may_open(by):
        raise ActionForbidden(_("您无权发起联办案件"))
    if type not in CaseType.values:
        raise InvalidInput(_("案件类型无效"), field="type")
    summary = summary.strip()
    if not summary:
        raise InvalidInput(_("请填写案情摘要"), field="summary")
    service_requests = requests_resolve(request_numbers or [], by)
    district = None
    if district_id is not None:
        district = District.objects.filter(pk=district_id).first()
        if district is None or not may_see_district(by, district.pk):
            raise InvalidInput(_("片区不存在或不在您的管辖范围内"), field="district")
    branch = _branch_of(service_requests, district, by)
    if district is None and service_requests:
        district = service_requests[0].district
    follow_up = _follow_up(follow_up_id, branch, by)
    for service_request in service_requests:
        if CaseRequest.objects.filter(
            service_request=service_request, case__status__in=OPEN_STATUSES
        ).exists():
            raise InvalidInput(
                _("工单%(number)s已在其他未办结的联办案件中") % {"number": service_request.number},
                field="requests",
            )
    now = timezone.now()
    case = JointCase.objects.create(
        type=type,
        status=CaseStatus.OPEN,
        branch=branch,
        district=district,
        summary=summary,
        follow_up=follow_up,
        opened_by=by,
        opened_at=now,
    )
    members = {by.pk} | ({follow_up.pk} if follow_up else set())
    for service_request in service_requests:
        CaseRequest.objects.create(case=case, service_request=service_request, added_at=now)
        if service_request.assignee_id is not None:
            members.add(service_request.assignee_id)
    CaseMember.objects.bulk_create([CaseMember(case=case, staff_id=pk) for pk in members])
    extra = {"requests": [sr.number for sr in service_requests], "type": type}
    if type == CaseType.COORDINATION:
        due = clocks.meeting_due(now)
        clocks.clock_start(case=case, name=CaseClockName.MEETING, started_at=now, due_at=due)
        extra["meeting_due_at"] = due.isoformat()
    CaseEvent.objects.create(
        case=case,
        actor=by,
        at=now,
        action=CaseAction.OPEN,
        from_status="",
        to_status=CaseStatus.OPEN,
        note=summary[:2000],
        extra=extra,
    )
    outbox_enqueue(
        topic="joint.opened",
        key=case.number,
        payload={"case": case.pk, "type": type, "branch": branch.pk, "requests": extra["requests"]},
    )
    for recipient in {branch.manager_id, case.follow_up_id} - {None, by.pk}:
        assert recipient is not None
        notify(
            recipient_id=recipient,
            title=_("新联办案件 %(number)s") % {"number": case.number},
            body=summary[:200],
            link=f"/joint/{case.pk}/",
            dedupe_key=f"joint-opened:{case.pk}:{recipient}",
        )
    return case
