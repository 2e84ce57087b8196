"""API of integrations (mounted by heatline/api.py): the phone system's call events."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from heatline.api import current_staff
from heatline.core.errors import ActionForbidden
from heatline.integrations.cti.services import CallEvent, call_event_record
from heatline.registry.models import Role

router = Router(tags=["integrations"])


class CallEventIn(Schema):
    call_id: str = Field(min_length=1, max_length=64)
    event: str = Field(description="ringing | answered | hangup")
    caller: str = Field(min_length=1, max_length=20)
    agent: str = Field(default="", max_length=150, description="the agent's username or extension")
    at: dt.datetime
    recording_url: str = Field(default="", max_length=500)


class CallOut(Schema):
    call_id: str
    status: str
    caller: str
    agent: str
    ringing_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int | None
    service_request: str | None


@router.post("/calls/events", response=CallOut)
def post_call_event(request: HttpRequest, body: CallEventIn) -> CallOut:
    """One event of the phone system (token of a `pbx` account): each applied once, in any order."""
    staff = current_staff(request)
    if staff.role not in (Role.PBX, Role.ADMIN) and not staff.is_superuser:
        raise ActionForbidden()
    at = body.at if timezone.is_aware(body.at) else timezone.make_aware(body.at)
    call = call_event_record(
        event=CallEvent(
            call_id=body.call_id,
            event=body.event,
            caller=body.caller.strip(),
            agent=body.agent.strip(),
            at=at,
            recording_url=body.recording_url.strip(),
        ),
        by=staff,
    )
    return CallOut(
        call_id=call.call_id,
        status=call.status,
        caller=call.caller,
        agent=call.agent.username if call.agent else call.agent_extension,
        ringing_at=call.ringing_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        duration_seconds=call.duration_seconds,
        service_request=call.service_request.number if call.service_request else None,
    )
