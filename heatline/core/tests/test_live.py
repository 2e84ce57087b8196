"""The live feed (issue 20): which outbox rows become which events, for whom; the cursor over ids that
commit out of order; the stream itself under ASGI, and its answer under WSGI."""

import asyncio
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client, override_settings

from heatline.core.live import FEED, GAP_WAIT, Cursor, Feed, Viewer
from heatline.integrations.cti.services import CallEvent, call_event_record
from heatline.registry.tests.factories import Org
from heatline.requests.models import Clock
from heatline.requests.selectors import warn_times
from heatline.requests.tests.factories import emergency_request, registered_request

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2027, 1, 14, 21, 0, tzinfo=TZ)


def test_the_cursor_reads_each_id_once_and_waits_for_a_missing_one_before_giving_up() -> None:
    cursor = Cursor(floor=10)
    assert cursor.take([11, 13], now=0.0) == [11, 13]  # 12 not committed yet
    assert cursor.floor == 11
    assert cursor.take([13], now=1.0) == []  # read again from the floor: nothing new
    assert cursor.take([12, 13, 14], now=2.0) == [12, 14]  # 12 committed late: still read
    assert cursor.floor == 14 and not cursor.seen
    assert cursor.take([16], now=3.0) == [16]  # 15 rolled back: never comes
    assert cursor.floor == 14
    assert cursor.take([16], now=3.0 + GAP_WAIT) == []
    assert cursor.floor == 16 and not cursor.missing_since


def _events(feed: Feed) -> list[Any]:
    return feed.poll()


@pytest.mark.django_db
def test_a_request_step_reaches_its_district_and_the_company_wide_desks_not_another_district(
    org: Org,
) -> None:
    feed = Feed()
    assert feed.poll() == []  # the first poll only finds where the outbox ends
    service_request = registered_request(org)
    events = feed.poll()
    steps = [e for e in events if e.type == "request"]
    assert [e.data["action"] for e in steps] == ["register", "dispatch"]
    assert {e.data["number"] for e in steps} == {service_request.number}
    step = steps[-1]
    # no personal data travels: number, kind, status and action only
    assert set(step.data) == {"number", "action", "to", "status", "kind"}
    assert step.for_viewer(Viewer.of(org.responsible)) == {**step.data, "mine": True}
    assert step.for_viewer(Viewer.of(org.operator)) == {**step.data, "mine": False}
    assert step.for_viewer(Viewer.of(org.branch_manager)) is not None
    assert step.for_viewer(Viewer.of(org.other_responsible)) is None
    # the assignee's notification is for the assignee alone
    (notice,) = [e for e in events if e.type == "notify"]
    assert notice.for_viewer(Viewer.of(org.responsible)) is not None
    assert notice.for_viewer(Viewer.of(org.operator)) is None
    assert feed.poll() == []  # each row once


@pytest.mark.django_db
def test_an_emergency_is_the_crews_own(org: Org) -> None:
    feed = Feed()
    feed.poll()
    emergency = emergency_request(org)
    (dispatched,) = [e for e in feed.poll() if e.type == "request" and e.data["action"] == "dispatch"]
    assert emergency.team_id == org.crew.pk
    assert dispatched.data["kind"] == "emergency"
    assert dispatched.for_viewer(Viewer.of(org.crew_member)) == {**dispatched.data, "mine": True}


@pytest.mark.django_db
def test_a_ringing_call_is_for_its_agent_only_and_a_repeated_event_pops_up_once(org: Org) -> None:
    feed = Feed()
    feed.poll()
    event = CallEvent(
        call_id="C1",
        event="ringing",
        caller="13800000001",
        agent=org.operator.username,
        at=dt.datetime.now(TZ),
    )
    call = call_event_record(event=event, by=org.admin)
    call_event_record(event=event, by=org.admin)  # the phone system retries
    (ringing,) = feed.poll()
    assert ringing.type == "call"
    assert ringing.for_viewer(Viewer.of(org.operator)) == {"call": call.pk, "event": "ringing"}
    assert ringing.for_viewer(Viewer.of(org.admin)) is None


@pytest.mark.django_db
def test_the_caller_pop_up_opens_for_the_called_agent_only(org: Org, client: Client) -> None:
    event = CallEvent(
        call_id="C2", event="ringing", caller=org.household.phone, agent=org.operator.username,
        at=dt.datetime.now(TZ),
    )  # fmt: skip
    call = call_event_record(event=event, by=org.admin)
    client.force_login(org.operator)
    page = client.get(f"/integrations/calls/{call.pk}/popup/").content.decode()
    assert org.household.phone in page and org.household.account_number in page
    client.force_login(org.responsible)
    assert client.get(f"/integrations/calls/{call.pk}/popup/").status_code == 403


@pytest.mark.django_db
def test_list_countdowns_carry_the_clocks_warning_time(org: Org, client: Client) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
        clock = Clock.objects.get(service_request=service_request, due_at=service_request.next_due_at)
        assert warn_times([service_request]) == {service_request.pk: clock.warn_at}
        # 第七条: contact within 30 minutes, so the warning is at 24 minutes
        assert clock.warn_at - clock.started_at == dt.timedelta(minutes=24)
        client.force_login(org.responsible)
        page = client.get("/requests/queue/").content.decode()
    assert f'data-warn="{clock.warn_at.isoformat()}"' in page
    assert f'data-number="{service_request.number}"' in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(HEATLINE_LIVE_POLL=0.05)
def test_the_stream_under_wsgi_needs_a_signed_in_user_and_delivers_a_committed_change(
    org: Org, client: Client
) -> None:
    assert client.get("/live/stream/").status_code == 401
    client.force_login(org.responsible)
    response = client.get("/live/stream/")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/event-stream"
    chunks = iter(response.streaming_content)
    assert next(chunks).decode().startswith("retry: 2000")
    while FEED.cursor is None:  # the feed has found the outbox's end
        time.sleep(0.02)
    registered_request(org, household=org.other_household)  # not theirs
    own = registered_request(org)
    frames = []
    while not any(b"event: request" in frame for frame in frames):
        frames.append(next(chunks))
    response.close()
    (frame,) = [f.decode() for f in frames if b"event: request" in f]
    assert own.number in frame and '"action": "register"' in frame and '"mine": true' in frame
    assert FEED.wait_idle(timeout=5)


async def _next_frame(chunks: Any, kind: str) -> dict[str, str]:
    buffer = ""
    while True:
        chunk = await asyncio.wait_for(chunks.__anext__(), timeout=10)
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
            if fields.get("event") == kind:
                return fields


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(HEATLINE_LIVE_POLL=0.05)
def test_the_stream_under_asgi_delivers_a_committed_change_to_the_right_browser(org: Org) -> None:
    async def scenario() -> tuple[dict[str, str], int]:
        client = AsyncClient()
        await client.aforce_login(org.responsible)
        response = await client.get("/live/stream/")
        assert response.status_code == 200 and response.streaming
        chunks = response.streaming_content.__aiter__()
        first = await asyncio.wait_for(chunks.__anext__(), timeout=10)
        assert (first.decode() if isinstance(first, bytes) else first).startswith("retry: 2000")
        while FEED.cursor is None:  # the feed has found the outbox's end
            await asyncio.sleep(0.02)
        await sync_to_async(registered_request)(org, household=org.other_household)  # not theirs
        own = await sync_to_async(registered_request)(org)
        frame = await _next_frame(chunks, "request")
        await chunks.aclose()
        return frame, own.pk

    frame, own_pk = asyncio.run(scenario())
    assert '"action": "register"' in frame["data"] and '"mine": true' in frame["data"]
    from heatline.requests.models import ServiceRequest

    assert ServiceRequest.objects.get(pk=own_pk).number in frame["data"]
    assert int(frame["id"]) > 0
    assert FEED.wait_idle(timeout=5)
