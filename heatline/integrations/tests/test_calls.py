"""The phone system's calls (issue 20, CTI part): events applied once in any order, missed calls on the
callback list with click-to-call, the request registered during a call linked to it, answer figures."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client, override_settings

from heatline.integrations.cti.selectors import call_figures, missed_calls_open
from heatline.integrations.models import Call, CallStatus
from heatline.registry.models import Role, Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org
from heatline.requests.tests.factories import registered_request

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)


def pbx(org: Org) -> Client:
    from io import StringIO

    out = StringIO()
    call_command("apitoken", "pbx", "--system-role", "pbx", stdout=out)
    assert Staff.objects.get(username="pbx").role == Role.PBX
    return Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})


def post(client: Client, call_id: str, event: str, at: dt.datetime, **extra: str) -> dict:
    body = {
        "call_id": call_id,
        "event": event,
        "caller": "13800000001",
        "agent": "t_operator",
        "at": at.isoformat(),
    }
    response = client.post("/api/v1/calls/events", body | extra, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_an_answered_call_is_kept_with_its_times_and_the_request_registered_during_it(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        client = pbx(org)
        post(client, "c1", "ringing", T0)
        post(client, "c1", "answered", T0 + dt.timedelta(seconds=8))
        service_request = registered_request(org, by=org.operator)
        post(client, "c1", "answered", T0 + dt.timedelta(seconds=30))  # a retry changes nothing
        done = post(
            client,
            "c1",
            "hangup",
            T0 + dt.timedelta(minutes=3),
            recording_url="https://pbx.example.cn/r/c1.wav",
        )
    assert done["status"] == CallStatus.ENDED and done["duration_seconds"] == 172
    assert done["service_request"] == service_request.number and done["agent"] == "t_operator"
    call = Call.objects.get(call_id="c1")
    assert call.answered_at == T0 + dt.timedelta(seconds=8) and call.recording_url.endswith("c1.wav")
    # the request page plays the recording and dials the caller through the softphone
    page_client = Client()
    page_client.force_login(org.operator)
    with (
        time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False),
        override_settings(HEATLINE_DIAL_URL="sip:{number}"),
    ):
        page = page_client.get(f"/requests/{service_request.number}/").content.decode()
    assert 'src="https://pbx.example.cn/r/c1.wav"' in page and 'href="sip:13800000001"' in page


@pytest.mark.django_db
def test_a_call_hung_up_unanswered_goes_on_the_callback_list_and_leaves_it_once_called(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        client = pbx(org)
        post(client, "c2", "hangup", T0 + dt.timedelta(seconds=40))  # the hang-up arrives first
        post(client, "c2", "ringing", T0)
        assert list(missed_calls_open().values_list("call_id", flat=True)) == ["c2"]
        assert Call.objects.get(call_id="c2").ringing_at == T0
        response = client.post(
            "/api/v1/calls/events",
            {"call_id": "c2", "event": "answered", "caller": "13800000001", "at": T0.isoformat()},
            content_type="application/json",
        )
        assert response.status_code == 409  # it was missed: no late answer
        operator = Client()
        operator.force_login(org.operator)
        with override_settings(HEATLINE_DIAL_URL="sip:{number}@pbx.example.cn"):
            page = operator.get("/integrations/calls/").content.decode()
        assert 'href="sip:13800000001@pbx.example.cn"' in page
        call = Call.objects.get(call_id="c2")
        assert operator.post(f"/integrations/calls/{call.pk}/called-back").status_code == 302
        assert not missed_calls_open().exists()
        operator.post(f"/integrations/calls/{call.pk}/called-back")  # twice: refused, still recorded once
        assert Call.objects.get(pk=call.pk).called_back_by == org.operator


@pytest.mark.django_db
def test_answer_figures(org: Org) -> None:
    with time_machine.travel(T0 + dt.timedelta(minutes=40), tick=False):
        client = pbx(org)
        for index, answer_after in enumerate([5, 14, 40, None]):
            call_id = f"f{index}"
            post(client, call_id, "ringing", T0 + dt.timedelta(minutes=index))
            if answer_after is not None:
                post(client, call_id, "answered", T0 + dt.timedelta(minutes=index, seconds=answer_after))
            post(client, call_id, "hangup", T0 + dt.timedelta(minutes=index + 1))
        post(client, "still-ringing", "ringing", T0 + dt.timedelta(minutes=30))
    figures, per_hour = call_figures(start=T0 - dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=1))
    assert (figures.offered, figures.answered, figures.answered_in_15s, figures.abandoned) == (4, 3, 2, 1)
    assert figures.answer_rate == 0.75 and figures.answer_rate_15s == 0.5 and per_hour == {9: 1}


@pytest.mark.django_db
def test_who_may_post_events_and_bad_events(org: Org) -> None:
    operator = Client(headers={"Authorization": f"Bearer {api_token_create(staff=org.operator)}"})
    body = {"call_id": "x", "event": "ringing", "caller": "138", "at": T0.isoformat()}
    with time_machine.travel(T0, tick=False):
        assert operator.post("/api/v1/calls/events", body, content_type="application/json").status_code == 403
        client = pbx(org)
        for bad in ({"event": "transfer"}, {"at": (T0 + dt.timedelta(hours=2)).isoformat()},
                    {"recording_url": "javascript:alert(1)"}):  # fmt: skip
            response = client.post("/api/v1/calls/events", body | bad, content_type="application/json")
            assert response.status_code == 422, bad
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_calls_page_masks_numbers_for_management_and_is_closed_to_field_staff(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        client = pbx(org)
        post(client, "m1", "hangup", T0)
        manager = Client()
        manager.force_login(org.manager)
        page = manager.get("/integrations/calls/").content.decode()
        assert "138****0001" in page and "13800000001" not in page
        worker = Client()
        worker.force_login(org.worker)
        assert worker.get("/integrations/calls/").status_code == 403
