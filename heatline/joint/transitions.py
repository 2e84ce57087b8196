"""The life of a joint case (难诉联办, 第九条/第十条) as one table and one function.

Dispute (纠纷类):       open ─mediate(agreed)→ solved ─callback→ called_back ─close→ closed
                        open ─mediate(not agreed, next step)→ open
Coordination (协调类):  open ─meeting(minutes, milestones)→ in_progress ─solve→ solved ─callback→
                        called_back ─close→ closed

Nothing else changes a case's status. Each call checks the table, who may act, updates by
compare-and-swap on (status, version), writes the append-only event, applies the clocks, moves the
linked requests to their own callbacks when the case's outcome is reached, and queues the outbox
rows — in one transaction. A lost race is a TransitionNotAllowed (409), never an overwrite.
"""

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.core.rules import rule
from heatline.joint import clocks
from heatline.joint.models import (
    OPEN_STATUSES,
    Agreement,
    CaseAction,
    CaseClock,
    CaseClockName,
    CaseContact,
    CaseDocument,
    CaseEvent,
    CaseMember,
    CaseMilestone,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseType,
    ContactChannel,
    DocumentKind,
    JointCase,
)
from heatline.outbox.services import notify, outbox_enqueue
from heatline.registry.models import PartnerBody, Role, Staff
from heatline.requests.models import Action as RequestAction
from heatline.requests.models import Cause, ServiceRequest
from heatline.requests.models import Status as RequestStatus
from heatline.requests.transitions import Params as RequestParams
from heatline.requests.transitions import request_transition

S = CaseStatus
A = CaseAction
D = CaseType.DISPUTE
C = CaseType.COORDINATION
_ANY_OPEN = (S.OPEN, S.IN_PROGRESS, S.SOLVED, S.CALLED_BACK)
_SIDE_ACTIONS = (A.ADD_PARTICIPANT, A.CONTACT, A.ATTACH, A.NOTE, A.LINK_REQUEST)

# (type, status, action) → the statuses it may lead to (mediation's and callback's depend on the answers).
ALLOWED: Final[dict[tuple[CaseType, CaseStatus, CaseAction], frozenset[CaseStatus]]] = {
    (D, S.OPEN, A.MEDIATE): frozenset({S.SOLVED, S.OPEN}),
    (C, S.OPEN, A.MEETING): frozenset({S.IN_PROGRESS}),
    (C, S.IN_PROGRESS, A.SOLVE): frozenset({S.SOLVED}),
    (D, S.SOLVED, A.CALLBACK): frozenset({S.SOLVED, S.CALLED_BACK, S.OPEN}),
    (C, S.SOLVED, A.CALLBACK): frozenset({S.SOLVED, S.CALLED_BACK, S.IN_PROGRESS}),
    (D, S.CALLED_BACK, A.CLOSE): frozenset({S.CLOSED}),
    (C, S.CALLED_BACK, A.CLOSE): frozenset({S.CLOSED}),
    **{
        (case_type, status, action): frozenset({status})
        for case_type in (D, C)
        for status in (S.IN_PROGRESS, S.SOLVED, S.CALLED_BACK) + ((S.OPEN,) if case_type == D else ())
        for action in (A.ADD_MILESTONE, A.COMPLETE_MILESTONE)
    },
    **{
        (case_type, status, action): frozenset({status})
        for case_type in (D, C)
        for status in _ANY_OPEN
        for action in _SIDE_ACTIONS
    },
    **{(case_type, S.CLOSED, A.NOTE): frozenset({S.CLOSED}) for case_type in (D, C)},
}

# What involved staff who do not lead the case may still do.
MEMBER_ACTIONS: Final = frozenset({A.CONTACT, A.ATTACH, A.NOTE, A.COMPLETE_MILESTONE})
LEAD_ROLES: Final = frozenset({Role.BRANCH, Role.DISTRICT, Role.DEPT_HEAD})


@dataclass
class MilestoneIn:
    title: str
    due_date: dt.date
    responsible: str = ""


@dataclass
class Params:
    """What an action carries. Only the fields an action reads are checked."""

    note: str = ""
    held_at: datetime | None = None  # mediate / meeting: when it took place
    partner_ids: list[int] = field(default_factory=list)  # mediate / meeting: bodies present
    parties_present: str = ""  # mediate / meeting: people present (households, officers…)
    agreement: str = ""  # mediate: Agreement
    agreement_detail: str = ""  # mediate: what was agreed
    next_step: str = ""  # mediate (not agreed): what happens next
    responsible_party: str = ""  # meeting: who is responsible
    plan: str = ""  # meeting: the agreed plan
    milestones: list[MilestoneIn] = field(default_factory=list)  # meeting / add_milestone
    milestone_id: int | None = None  # complete_milestone
    result: str = ""  # solve: what solved the problem (also the linked requests' result)
    cause: str | None = None  # mediate / solve: the linked requests' cause code
    reached: bool | None = None  # callback: the requester answered
    solved: bool | None = None  # callback: the requester confirms the problem is solved
    partner_id: int | None = None  # add_participant / contact
    person: str = ""  # contact: who was spoken to
    contact_at: datetime | None = None  # contact: when
    channel: str = ""  # contact: how
    outcome: str = ""  # contact: outcome
    document: "UploadedFile[bytes] | None" = None  # attach (and minutes with a meeting)
    document_kind: str = DocumentKind.OTHER
    document_title: str = ""
    service_requests: list[ServiceRequest] = field(default_factory=list)  # link_request (resolved, visible)


def allowed_actions(case: JointCase) -> list[CaseAction]:
    case_type, status = CaseType(case.type), CaseStatus(case.status)
    return [action for (kind, state, action) in ALLOWED if kind == case_type and state == status]


def leads(staff: Staff, case: JointCase) -> bool:
    """The leading branch's manager, the follow-up person, the opener (and administrators)."""
    if not staff.is_active:
        return False
    if staff.is_superuser or staff.role == Role.ADMIN:
        return True
    if staff.role == Role.BRANCH and staff.branch_id == case.branch_id:
        return True
    return staff.pk in (case.follow_up_id, case.opened_by_id) and staff.role in LEAD_ROLES


def may_act(*, staff: Staff, case: JointCase, action: str) -> bool:
    if not staff.is_active or (staff.role == Role.MANAGER and not staff.is_superuser):
        return False
    if leads(staff, case):
        return True
    if action in MEMBER_ACTIONS:
        return CaseMember.objects.filter(case=case, staff=staff).exists()
    return False


def _require(condition: bool, message: str, field_name: str) -> None:
    if not condition:
        raise InvalidInput(message, field=field_name)


def _partners(ids: list[int]) -> list[PartnerBody]:
    """Bodies from the register; anything else is refused (难诉联办 works with registered partners only)."""
    unique = list(dict.fromkeys(ids))
    found = {partner.pk: partner for partner in PartnerBody.objects.filter(pk__in=unique)}
    missing = [pk for pk in unique if pk not in found]
    _require(
        not missing,
        _("联动单位不在登记册中:%(ids)s") % {"ids": ", ".join(str(pk) for pk in missing)},
        "partners",
    )
    return [found[pk] for pk in unique]


def _join(case: JointCase, partners: list[PartnerBody], now: datetime) -> None:
    for partner in partners:
        CaseParticipant.objects.get_or_create(case=case, partner=partner, defaults={"added_at": now})


def _aware(moment: datetime | None) -> datetime | None:
    """A time typed without a zone is the utility's local time."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, clocks.local_zone())
    return moment


def _held_at(case: JointCase, params: Params, now: datetime, label: str) -> datetime:
    held = _aware(params.held_at)
    _require(held is not None, _("请填写%(what)s时间") % {"what": label}, "held_at")
    assert held is not None
    _require(
        held >= case.opened_at,
        _("%(what)s时间不能早于立案时间(%(opened)s)")
        % {"what": label, "opened": timezone.localtime(case.opened_at).strftime("%Y-%m-%d %H:%M")},
        "held_at",
    )
    _require(held <= now, _("%(what)s时间不能晚于当前时间") % {"what": label}, "held_at")
    return held


def _cause_code(params: Params, default: str) -> str:
    code = params.cause or default
    _require(
        Cause.objects.filter(code=code, is_active=True).exists(),
        _("原因代码不存在:%(code)s") % {"code": code},
        "cause",
    )
    return code


def _milestones(case: JointCase, items: list[MilestoneIn], not_before: dt.date) -> list[CaseMilestone]:
    created = []
    for item in items:
        title = item.title.strip()
        _require(bool(title), _("请填写节点内容"), "milestones")
        _require(
            item.due_date >= not_before,
            _("节点“%(title)s”的期限早于会议日期") % {"title": title},
            "milestones",
        )
        created.append(
            CaseMilestone.objects.create(
                case=case, title=title[:200], due_date=item.due_date, responsible=item.responsible[:100]
            )
        )
    return created


def _start_callback(case: JointCase, started_at: datetime) -> None:
    """第九条: callback within 24 h. After a failed callback round the clock starts again."""
    due = clocks.callback_due(started_at)
    clock = CaseClock.objects.filter(case=case, name=CaseClockName.CALLBACK).first()
    if clock is None:
        clocks.clock_start(case=case, name=CaseClockName.CALLBACK, started_at=started_at, due_at=due)
    elif clock.met_at is not None:
        CaseClock.objects.filter(pk=clock.pk).update(
            started_at=started_at,
            due_at=due,
            warn_at=clocks.warn_time(started_at, due, rule("warn_ratio")),
            warned_at=None,
            met_at=None,
            breached_at=None,
        )


def _requests_follow(case: JointCase, *, by: Staff, now: datetime, cause: str, result: str) -> list[str]:
    """Linked open requests follow the case's outcome to their own callbacks (第八条):
    dispatch (if still unassigned) → arrive → complete (cause + result) → report, through request_transition."""
    moved: list[str] = []
    links = CaseRequest.objects.filter(case=case, followed_at=None).select_related("service_request")
    text = _("联办案件%(number)s:%(result)s") % {"number": case.number, "result": result}
    for link in links:
        service_request = link.service_request
        status = RequestStatus(service_request.status)
        steps: list[tuple[RequestAction, RequestParams | None]] = []
        if status == RequestStatus.REGISTERED and service_request.district_id is not None:
            steps.append((RequestAction.DISPATCH, None))
            status = RequestStatus.DISPATCHED
        if status == RequestStatus.DISPATCHED:
            steps.append((RequestAction.ARRIVE, None))
            status = RequestStatus.ON_SITE
        if status in (RequestStatus.CONTACTED, RequestStatus.ON_SITE):
            steps.append((RequestAction.COMPLETE, RequestParams(cause=cause, result=text)))
            status = RequestStatus.COMPLETED
        if status == RequestStatus.COMPLETED:
            steps.append((RequestAction.REPORT, RequestParams(note=text)))
        for action, request_params in steps:
            service_request = request_transition(
                service_request=service_request, action=action, by=by, params=request_params
            )
        CaseRequest.objects.filter(pk=link.pk).update(followed_at=now)
        if steps:
            moved.append(service_request.number)
    return moved


def _link(case: JointCase, service_requests: list[ServiceRequest], now: datetime) -> list[str]:
    numbers = []
    for service_request in service_requests:
        _require(
            service_request.district is not None and service_request.district.branch_id == case.branch_id,
            _("工单%(number)s不属于牵头分公司") % {"number": service_request.number},
            "requests",
        )
        elsewhere = (
            CaseRequest.objects.filter(service_request=service_request, case__status__in=OPEN_STATUSES)
            .exclude(case=case)
            .exists()
        )
        _require(
            not elsewhere,
            _("工单%(number)s已在其他未办结的联办案件中") % {"number": service_request.number},
            "requests",
        )
        _link_row, created = CaseRequest.objects.get_or_create(
            case=case, service_request=service_request, defaults={"added_at": now}
        )
        if created:
            numbers.append(service_request.number)
            if service_request.assignee_id is not None:
                CaseMember.objects.get_or_create(case=case, staff_id=service_request.assignee_id)
    return numbers


@transaction.atomic
def case_transition(
    *, case: JointCase, action: CaseAction | str, by: Staff, params: Params | None = None
) -> JointCase:
    """Move a joint case one step (第九条 mediation and callback; 第十条 meeting, milestones, follow-up)."""
    params = params or Params()
    try:
        action = CaseAction(action)
    except ValueError:
        raise InvalidInput(_("未知的操作:%(action)s") % {"action": action}, field="action") from None
    old = CaseStatus(case.status)
    targets = ALLOWED.get((CaseType(case.type), old, action))
    if targets is None:
        raise TransitionNotAllowed(old.label, action.label)
    if not may_act(staff=by, case=case, action=action):
        raise ActionForbidden(_("您无权对该联办案件执行“%(action)s”") % {"action": action.label})
    now = timezone.now()
    changes: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    new = next(iter(targets)) if len(targets) == 1 else old
    after: list[Any] = []  # rows that point at the event, written once it exists
    note = params.note.strip()

    if action == A.MEDIATE:
        held = _held_at(case, params, now, _("调解"))
        partners = _partners(params.partner_ids)
        _require(params.agreement in Agreement.values, _("请选择调解结果"), "agreement")
        _join(case, partners, now)
        extra.update(
            held_at=held,
            partners=[partner.pk for partner in partners],
            parties_present=params.parties_present.strip(),
            agreement=params.agreement,
        )
        changes.update(mediated_at=held, agreement=params.agreement)
        if params.agreement == Agreement.NOT_AGREED:
            _require(bool(params.next_step.strip()), _("未达成一致时请填写下一步安排"), "next_step")
            changes["next_step"] = params.next_step.strip()
            extra["next_step"] = params.next_step.strip()
            new = S.OPEN
        else:
            detail = params.agreement_detail.strip() or str(Agreement(params.agreement).label)
            cause = _cause_code(params, "neighbour_stopped")
            changes.update(agreement_detail=detail, solved_at=held, next_step="")
            extra["agreement_detail"] = detail
            new = S.SOLVED
            after.append(("callback_from", held))
            after.append(("follow", cause, detail))
    elif action == A.MEETING:
        held = _held_at(case, params, now, _("会议"))
        partners = _partners(params.partner_ids)
        _require(bool(partners), _("请选择参会的联动单位"), "partners")
        _require(bool(params.responsible_party.strip()), _("请填写责任主体"), "responsible_party")
        _require(bool(params.plan.strip()), _("请填写处置方案"), "plan")
        _join(case, partners, now)
        created = _milestones(case, params.milestones, timezone.localtime(held).date())
        changes.update(
            meeting_at=held,
            responsible_party=params.responsible_party.strip()[:200],
            plan=params.plan.strip(),
        )
        extra.update(
            held_at=held,
            partners=[partner.pk for partner in partners],
            parties_present=params.parties_present.strip(),
            responsible_party=params.responsible_party.strip(),
            plan=params.plan.strip(),
            milestones=[{"id": m.pk, "title": m.title, "due_date": m.due_date} for m in created],
        )
        after.append(("meet", CaseClockName.MEETING, held))
        if params.document is not None:
            params.document_kind = DocumentKind.MINUTES
    elif action == A.ADD_MILESTONE:
        _require(bool(params.milestones), _("请填写节点"), "milestones")
        created = _milestones(case, params.milestones, timezone.localtime(now).date())
        extra["milestones"] = [{"id": m.pk, "title": m.title, "due_date": m.due_date} for m in created]
    elif action == A.COMPLETE_MILESTONE:
        milestone = CaseMilestone.objects.filter(case=case, pk=params.milestone_id or 0).first()
        _require(milestone is not None, _("节点不存在"), "milestone_id")
        assert milestone is not None
        if CaseMilestone.objects.filter(pk=milestone.pk, done_at=None).update(done_at=now, done_by=by) != 1:
            raise TransitionNotAllowed(message=_("该节点已完成"))
        extra.update(milestone=milestone.pk, title=milestone.title, due_date=milestone.due_date)
        note = note or milestone.title
    elif action == A.SOLVE:
        result = params.result.strip() or note
        _require(bool(result), _("请填写解决情况"), "result")
        cause = _cause_code(params, "other")
        changes["solved_at"] = now
        extra["result"] = result
        note = result
        after.append(("callback_from", now))
        after.append(("follow", cause, result))
    elif action == A.CALLBACK:
        _require(params.reached is not None, _("请填写是否联系上诉求人"), "reached")
        if params.reached:
            _require(params.solved is not None, _("请填写诉求人是否认可已解决"), "solved")
            after.append(("meet", CaseClockName.CALLBACK, now))
            if params.solved:
                changes["called_back_at"] = now
                new = S.CALLED_BACK
            else:
                # Not solved in the requester's eyes: back to work; the next outcome starts a new callback.
                changes.update(solved_at=None)
                new = S.OPEN if case.type == CaseType.DISPUTE else S.IN_PROGRESS
        extra.update(reached=params.reached, solved=params.solved)
    elif action == A.CLOSE:
        open_milestones = list(
            CaseMilestone.objects.filter(case=case, done_at=None).values_list("title", flat=True)
        )
        _require(
            not open_milestones,
            _("尚有未完成的节点,不能办结:%(titles)s") % {"titles": "、".join(open_milestones)},
            "milestones",
        )
        changes["closed_at"] = now
    elif action == A.ADD_PARTICIPANT:
        _require(params.partner_id is not None, _("请选择联动单位"), "partner_id")
        partners = _partners([params.partner_id or 0])
        _join(case, partners, now)
        extra["partner"] = partners[0].pk
        note = note or str(partners[0])
    elif action == A.CONTACT:
        _require(params.partner_id is not None, _("请选择联动单位"), "partner_id")
        partner = _partners([params.partner_id or 0])[0]
        _require(params.channel in ContactChannel.values, _("请选择联络方式"), "channel")
        _require(bool(params.outcome.strip()), _("请填写联络结果"), "outcome")
        contact_at = _aware(params.contact_at) or now
        _require(contact_at <= now, _("联络时间不能晚于当前时间"), "contact_at")
        _join(case, [partner], now)
        extra.update(partner=partner.pk, person=params.person.strip(), at=contact_at, channel=params.channel)
        note = params.outcome.strip()
        after.append(("contact", partner, contact_at))
    elif action == A.ATTACH:
        _require(params.document is not None, _("请选择文件"), "document")
    elif action == A.LINK_REQUEST:
        _require(bool(params.service_requests), _("请填写工单号"), "requests")
        extra["requests"] = _link(case, params.service_requests, now)
    elif action == A.NOTE:
        _require(bool(note), _("请填写备注"), "note")
    if params.document is not None:
        _require(params.document_kind in DocumentKind.values, _("材料类型无效"), "document_kind")

    same_row = JointCase.objects.filter(pk=case.pk, status=old, version=case.version)
    if same_row.update(status=new, version=F("version") + 1, updated_at=now, **changes) != 1:
        # Someone acted first; the caller reloads and sees the new state.
        raise TransitionNotAllowed(old.label, action.label, _("案件已被他人处理,请刷新后重试"))
    case.refresh_from_db()
    for step in after:
        if step[0] == "callback_from":
            _start_callback(case, step[1])
        elif step[0] == "meet":
            clocks.clock_meet(case=case, name=step[1], at=step[2])
        elif step[0] == "follow":
            moved = _requests_follow(case, by=by, now=now, cause=step[1], result=step[2])
            if moved:
                extra["requests_moved"] = moved
    event = CaseEvent.objects.create(
        case=case,
        actor=by,
        at=now,
        action=action,
        from_status=old,
        to_status=new,
        note=note,
        extra=_jsonable(extra),
    )
    for step in after:
        if step[0] == "contact":
            CaseContact.objects.create(
                case=case,
                partner=step[1],
                person=params.person.strip()[:50],
                at=step[2],
                channel=params.channel,
                outcome=params.outcome.strip(),
                recorded_by=by,
                event=event,
            )
    if params.document is not None:
        CaseDocument.objects.create(
            case=case,
            event=event,
            kind=params.document_kind,
            title=(params.document_title.strip() or params.document.name or "")[:200],
            file=params.document,
            uploaded_by=by,
            uploaded_at=now,
        )
    _enqueue(case, action=action, old=old, new=new, by=by)
    return case


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, (datetime, dt.date)):
            return value.isoformat()
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        return value

    return {key: convert(value) for key, value in extra.items()}


def _enqueue(case: JointCase, *, action: CaseAction, old: CaseStatus, new: CaseStatus, by: Staff) -> None:
    outbox_enqueue(
        topic="joint.moved",
        key=case.number,
        payload={"case": case.pk, "type": case.type, "action": str(action), "from": str(old), "to": str(new)},
    )
    if old != new and case.follow_up_id is not None and case.follow_up_id != by.pk:
        notify(
            recipient_id=case.follow_up_id,
            title=_("联办案件 %(number)s:%(status)s") % {"number": case.number, "status": new.label},
            body=case.summary[:200],
            link=f"/joint/{case.pk}/",
        )
