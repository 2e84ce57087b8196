"""Writes of the phone system's calls: `ringing` → `answered` → `hangup`, in any order and any number of
times (the phone system retries): each event is applied once, a late one never moves a call back."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import InvalidInput, TransitionNotAllowed
from heatline.integrations.models import Call, CallStatus
from heatline.outbox.services import outbox_enqueue
from heatline.registry.models import Staff
from heatline.requests.models import ServiceRequest

EVENTS = ("ringing", "answered", "hangup")
# A request registered by the agent for this caller from ringing until this long after hang-up is the call's.
LINK_AFTER_HANGUP = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class CallEvent:
    call_id: str
    event: str
    caller: str
    agent: str  # username or extension
    at: dt.datetime
    recording_url: str = ""


def _agent(name: str) -> Staff | None:
    if not name:
        return None
    return Staff.objects.filter(Q(username=name) | Q(phone=name), is_active=True).order_by("id").first()


def call_event_record(*, event: CallEvent, by: Staff) -> Call:
    """Apply one event of the phone system to its call (created by whichever event comes first)."""
    if event.event not in EVENTS:
        raise InvalidInput(_("未知的呼叫事件:%(event)s") % {"event": event.event}, field="event")
    if event.at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput(_("事件时间不能晚于当前时间"), field="at")
    if event.recording_url and not event.recording_url.startswith(("https://", "http://")):
        raise InvalidInput(_("录音地址须为 http(s) 链接"), field="recording_url")
    agent = _agent(event.agent)
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_id=event.call_id).first()
        if call is None:
            try:
                with transaction.atomic():
                    call = Call.objects.create(
                        call_id=event.call_id, caller=event.caller, ringing_at=event.at
                    )
            except IntegrityError:  # the same call's other event won the race
                call = Call.objects.select_for_update().get(call_id=event.call_id)
        if agent is not None and (call.agent_id is None or event.event == "answered"):
            call.agent = agent
        if event.agent and not call.agent_extension:
            call.agent_extension = event.agent[:20]
        if event.recording_url:
            call.recording_url = event.recording_url[:500]
        if event.event == "ringing":
            call.ringing_at = min(call.ringing_at, event.at)
        elif event.event == "answered":
            if call.status == CallStatus.MISSED:
                raise TransitionNotAllowed(_("该来电已挂断为未接来电"))
            call.answered_at = call.answered_at or event.at
            if call.status == CallStatus.RINGING:
                call.status = CallStatus.ANSWERED
        else:  # hangup
            call.ended_at = call.ended_at or event.at
            if call.answered_at is not None:
                call.status = CallStatus.ENDED
                call.duration_seconds = max(int((call.ended_at - call.answered_at).total_seconds()), 0)
            else:
                call.status = CallStatus.MISSED
            _link_request(call)
        call.save()
        if call.agent_id is not None:
            # The agent's open browser pops the caller up on ringing and closes the pop-up on hang-up.
            outbox_enqueue(
                topic="live.call",
                key=call.call_id[:64],
                payload={"call": call.pk, "event": event.event, "agent_id": call.agent_id},
                dedupe_key=f"call:{call.pk}:{event.event}",  # the phone system repeats events
            )
    return call


def _link_request(call: Call) -> None:
    """The request the agent registered for this caller while the call lasted (or just after)."""
    if call.service_request_id is not None or call.agent_id is None or call.ended_at is None:
        return
    found = (
        ServiceRequest.objects.filter(
            phone=call.caller,
            created_by_id=call.agent_id,
            registered_at__gte=call.ringing_at,
            registered_at__lte=call.ended_at + LINK_AFTER_HANGUP,
        )
        .order_by("registered_at")
        .first()
    )
    if found is not None:
        call.service_request = found


def call_called_back(*, call: Call, by: Staff) -> Call:
    """The hotline has called a missed caller back: the call leaves the callback list (compare-and-swap)."""
    now = timezone.now()
    updated = Call.objects.filter(pk=call.pk, status=CallStatus.MISSED, called_back_at=None).update(
        called_back_at=now, called_back_by=by
    )
    if updated != 1:
        raise TransitionNotAllowed(_("该未接来电已回拨"))
    call.refresh_from_db()
    audit_record(by=by, obj=call, action="call_called_back", extra={"caller": call.caller})
    return call
