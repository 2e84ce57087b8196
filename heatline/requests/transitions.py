"""The request life cycle 接收 → 派单 → 处置 → 回访 (第七条, 第八条) as one table and one function.

Nothing else changes a request's status. Each call checks the table, who may act, updates by
compare-and-swap, writes the append-only event, applies the clocks and queues the outbox row, in
one transaction. A lost race is a TransitionNotAllowed (409), never an overwrite.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.core.rules import rule_int
from heatline.outbox.services import notify, outbox_enqueue
from heatline.registry.models import District, Staff
from heatline.requests import clocks
from heatline.requests.models import (
    Action,
    Callback,
    CallbackChannel,
    CallbackOutcome,
    Cause,
    ClockName,
    RequestEvent,
    Satisfaction,
    ServiceRequest,
    Status,
)
from heatline.requests.permissions import may_act
from heatline.requests.routing import assignment_for

S = Status
A = Action
_OPEN_WORK = (S.DISPATCHED, S.CONTACTED, S.ON_SITE)

# (status, action) → the statuses it may lead to (callback's depends on the answers).
ALLOWED: Final[dict[tuple[Status, Action], frozenset[Status]]] = {
    (S.REGISTERED, A.DISPATCH): frozenset({S.DISPATCHED}),
    (S.REGISTERED, A.CLOSE_AT_INTAKE): frozenset({S.CLOSED}),
    (S.REGISTERED, A.RETURN): frozenset({S.RETURNED}),
    (S.DISPATCHED, A.RETURN): frozenset({S.RETURNED}),
    (S.DISPATCHED, A.CONTACT): frozenset({S.CONTACTED}),
    (S.DISPATCHED, A.ARRIVE): frozenset({S.ON_SITE}),
    (S.CONTACTED, A.ARRIVE): frozenset({S.ON_SITE}),
    (S.CONTACTED, A.COMPLETE): frozenset({S.COMPLETED}),  # solved by guidance on the phone
    (S.ON_SITE, A.COMPLETE): frozenset({S.COMPLETED}),
    (S.COMPLETED, A.REPORT): frozenset({S.REPORTED}),
    (S.REPORTED, A.CALLBACK): frozenset({S.REPORTED, S.CLOSED, S.DISPATCHED}),
    **{(status, A.REASSIGN): frozenset({status}) for status in _OPEN_WORK},
    **{(status, A.WAIT): frozenset({status}) for status in _OPEN_WORK},
    **{(status, A.EXTEND): frozenset({status}) for status in (*_OPEN_WORK, S.COMPLETED, S.REPORTED)},
    **{(status, A.NOTE): frozenset({status}) for status in S},
    **{
        (status, A.LINK_REPEAT): frozenset({status})
        for status in (S.REGISTERED, *_OPEN_WORK, S.COMPLETED, S.REPORTED)
    },
    **{(status, A.EXCLUDE): frozenset({status}) for status in S},
}


@dataclass
class Params:
    """What an action carries. Only the fields an action reads are checked."""

    note: str = ""
    cause: str | None = None  # complete: a cause code
    result: str = ""  # complete / close_at_intake: what was done
    appointment_at: datetime | None = None  # contact / wait: the time the resident chose
    district_id: int | None = None  # dispatch (unknown address) / reassign
    assignee_id: int | None = None  # reassign
    outcome: str = CallbackOutcome.ANSWERED  # callback
    channel: str = CallbackChannel.PHONE
    solved: bool | None = None
    satisfaction: str | None = None
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def allowed_actions(service_request: ServiceRequest) -> list[Action]:
    status = Status(service_request.status)
    return [action for (state, action) in ALLOWED if state == status]


def _require(condition: bool, message: str, field_name: str) -> None:
    if not condition:
        raise InvalidInput(message, field=field_name)


def _dispatch(
    service_request: ServiceRequest, params: Params, now: datetime, changes: dict[str, Any]
) -> None:
    district = service_request.district
    if params.district_id is not None:
        district = District.objects.filter(pk=params.district_id).select_related("responsible").first()
        _require(district is not None, _("片区不存在"), "district")
    _require(
        district is not None or service_request.kind == "emergency", _("地址未知,请选择片区"), "district"
    )
    assignment = assignment_for(service_request, district=district)
    changes.update(
        district=district,
        assignee=assignment.assignee,
        team=assignment.team,
        department=assignment.department or service_request.department,
        dispatched_at=now,
    )


def _decide_callback(
    service_request: ServiceRequest, params: Params, by: Staff, now: datetime, changes: dict[str, Any]
) -> Status:
    _require(params.outcome in CallbackOutcome.values, _("回访结果无效"), "outcome")
    _require(params.channel in CallbackChannel.values, _("回访方式无效"), "channel")
    answered = params.outcome == CallbackOutcome.ANSWERED
    if answered:
        _require(params.solved is not None, _("请填写是否解决"), "solved")
        _require(params.satisfaction in Satisfaction.values, _("请填写满意度"), "satisfaction")
    Callback.objects.create(
        service_request=service_request,
        round=service_request.round,
        at=now,
        by=by,
        channel=params.channel,
        outcome=params.outcome,
        is_solved=params.solved if answered else None,
        satisfaction=(params.satisfaction or "") if answered else "",
        comment=params.comment,
    )
    if not answered:
        attempts = (
            service_request.callbacks.filter(round=service_request.round)
            .exclude(outcome=CallbackOutcome.ANSWERED)
            .count()
        )
        if params.outcome == CallbackOutcome.REFUSED or attempts >= rule_int("callback_max_attempts"):
            # SPEC §6: unreached after N attempts is its own outcome; the request closes as unreached.
            clocks.clock_meet(service_request=service_request, names=(ClockName.CALLBACK,), at=now)
            changes.update(
                closed_at=now,
                satisfaction="unreached" if params.outcome != CallbackOutcome.REFUSED else "refused",
            )
            return S.CLOSED
        return S.REPORTED
    clocks.clock_meet(service_request=service_request, names=(ClockName.CALLBACK,), at=now)
    changes.update(is_solved=params.solved, satisfaction=params.satisfaction)
    if params.solved and params.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC):
        changes["closed_at"] = now
        return S.CLOSED
    # 第八条: not satisfied → the head of the responsible department, a new round, until solved.
    service_request.round += 1
    changes["round"] = service_request.round
    assignment = assignment_for(service_request, district=service_request.district)
    changes.update(
        assignee=assignment.assignee, team=None, dispatched_at=now, completed_at=None, reported_at=None
    )
    return S.DISPATCHED


@transaction.atomic
def request_transition(
    *, service_request: ServiceRequest, action: Action | str, by: Staff, params: Params | None = None
) -> ServiceRequest:
    """Move a request one step along 接收 → 派单 → 处置 → 回访 (第七条, 第八条)."""
    params = params or Params()
    try:
        action = Action(action)
    except ValueError:
        raise InvalidInput(_("未知的操作:%(action)s") % {"action": action}, field="action") from None
    old = Status(service_request.status)
    targets = ALLOWED.get((old, action))
    if targets is None:
        raise TransitionNotAllowed(old.label, action.label)
    if not may_act(staff=by, service_request=service_request, action=action):
        raise ActionForbidden(_("您无权对该工单执行“%(action)s”") % {"action": action.label})
    now = timezone.now()
    changes: dict[str, Any] = {}
    extra: dict[str, Any] = dict(params.extra)
    new = next(iter(targets)) if len(targets) == 1 else old

    if action == A.DISPATCH:
        _dispatch(service_request, params, now, changes)
    elif action == A.CONTACT:
        changes.update(contacted_at=now, appointment_at=params.appointment_at)
    elif action == A.ARRIVE:
        changes["arrived_at"] = now
    elif action == A.COMPLETE:
        _require(bool(params.cause), _("请选择原因"), "cause")
        cause = Cause.objects.filter(code=params.cause, is_active=True).first()
        _require(cause is not None, _("原因代码不存在:%(code)s") % {"code": params.cause}, "cause")
        _require(bool(params.result.strip()), _("请填写处置结果"), "result")
        changes.update(completed_at=now, cause=cause, result=params.result.strip()[:4000])
        extra.update(cause=params.cause)
    elif action == A.REPORT:
        changes["reported_at"] = now
    elif action == A.CALLBACK:
        new = _decide_callback(service_request, params, by, now, changes)
        extra.update(
            outcome=params.outcome,
            solved=params.solved,
            satisfaction=params.satisfaction,
            round=service_request.round,
        )
    elif action == A.REASSIGN:
        _require(
            params.assignee_id is not None or params.district_id is not None, _("请选择改派对象"), "assignee"
        )
        _require(bool(params.note.strip()), _("请填写改派原因"), "note")
        if params.district_id is not None:
            district = District.objects.filter(pk=params.district_id).select_related("responsible").first()
            _require(district is not None, _("片区不存在"), "district")
            changes["district"] = district
            if params.assignee_id is None:
                changes["assignee"] = district.responsible if district else None
        if params.assignee_id is not None:
            assignee = Staff.objects.filter(pk=params.assignee_id, is_active=True).first()
            _require(assignee is not None, _("承办人不存在"), "assignee")
            changes["assignee"] = assignee
        extra.update(
            old_assignee=service_request.assignee_id,
            new_assignee=getattr(changes.get("assignee"), "pk", service_request.assignee_id),
            old_district=service_request.district_id,
        )
    elif action == A.CLOSE_AT_INTAKE:
        _require(bool(params.result.strip()), _("请填写答复内容"), "result")
        changes.update(
            closed_at=now, result=params.result.strip(), is_resolved_at_intake=True, is_solved=True
        )
    elif action == A.RETURN:
        _require(bool(params.note.strip()), _("退单须填写理由"), "note")
        changes["closed_at"] = now
    elif action == A.WAIT:
        _require(params.appointment_at is not None, _("请填写用户约定的时间"), "appointment_at")
        changes["appointment_at"] = params.appointment_at
    elif action == A.EXCLUDE:
        _require(bool(params.note.strip()), _("请填写不纳入考核的原因"), "note")
        changes.update(is_excluded=True, excluded_reason=params.note.strip()[:200])
    elif action == A.LINK_REPEAT:
        changes["repeat_count"] = F("repeat_count") + 1

    same_row = ServiceRequest.objects.filter(
        pk=service_request.pk, status=old, version=service_request.version
    )
    if same_row.update(status=new, version=F("version") + 1, updated_at=now, **changes) != 1:
        # Someone acted first; the caller reloads and sees the new state.
        raise TransitionNotAllowed(old.label, action.label, _("工单已被他人处理,请刷新后重试"))
    RequestEvent.objects.create(
        service_request=service_request,
        actor=by,
        at=now,
        action=action,
        from_status=old,
        to_status=new,
        note=params.note or params.comment or params.result,
        extra=_jsonable(extra),
    )
    service_request.refresh_from_db()
    if action == A.DISPATCH or (action == A.CALLBACK and new == S.DISPATCHED):
        clocks.clocks_start_handling(
            service_request=service_request,
            at=now,
            repair_from=(service_request.registered_at if service_request.round == 1 else now),
        )
    if new in (S.CLOSED, S.RETURNED):
        clocks.clocks_cancel(service_request=service_request, at=now)
    clocks.clocks_apply(service_request=service_request, action=action, at=now)
    service_request.refresh_from_db()
    _enqueue(service_request, action=action, old=old, new=new, by=by)
    return service_request


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in extra.items()
    }


def moved_message(service_request: ServiceRequest, *, action: Action, old: str, new: str) -> dict[str, Any]:
    """The `request.moved` outbox message of one step (the platforms' exchange and webhooks read it)."""
    return {
        "topic": "request.moved",
        "key": service_request.number,
        "payload": {
            "number": service_request.number,
            "source": service_request.source,
            "external_id": service_request.external_id,
            "action": str(action),
            "from": str(old),
            "to": str(new),
            "round": service_request.round,
            "result": service_request.result if action in (A.REPORT, A.COMPLETE) else "",
            "satisfaction": service_request.satisfaction if action == A.CALLBACK else "",
        },
    }


def _enqueue(service_request: ServiceRequest, *, action: Action, old: Status, new: Status, by: Staff) -> None:
    outbox_enqueue(**moved_message(service_request, action=action, old=old, new=new))
    moved_to_someone = action in (A.DISPATCH, A.REASSIGN) or (action == A.CALLBACK and new == S.DISPATCHED)
    if moved_to_someone and service_request.assignee_id and service_request.assignee_id != by.pk:
        notify(
            recipient_id=service_request.assignee_id,
            title=_("新工单 %(number)s") % {"number": service_request.number},
            body=service_request.content[:200],
            link=f"/requests/{service_request.number}/",
        )
