"""The request pages (list, work queue, callbacks, detail with its actions) through the Django test client."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from heatline.registry.tests.factories import Org
from heatline.requests.models import (
    Action,
    Attachment,
    Callback,
    ClockName,
    Extension,
    ExtensionStatus,
    ServiceRequest,
    Status,
)
from heatline.requests.tests.factories import (
    advance,
    completed_request,
    emergency_request,
    registered_request,
    reported_request,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _client_for(staff: Any) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _act(client: Client, service_request: ServiceRequest, action: str, **data: Any) -> Any:
    return client.post(reverse("requests:act", args=[service_request.number, action]), data)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_field_worker_records_contact_arrival_and_completion_with_a_photo(org: Org, media: Path) -> None:
    # given: a routine request dispatched to the worker's district
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = registered_request(org)
        client = _client_for(org.worker)

        # when: the worker contacts the caller, arrives and completes with a photo from the phone
        traveller.move_to(T0 + timedelta(minutes=10))
        contacted = _act(client, service_request, Action.CONTACT, appointment_at="2026-11-20T10:00")
        traveller.move_to(T0 + timedelta(hours=2))
        arrived = _act(client, service_request, Action.ARRIVE, note="已到现场")
        traveller.move_to(T0 + timedelta(hours=3))
        photo = SimpleUploadedFile("radiator.png", PNG, content_type="image/png")
        completed = client.post(
            reverse("requests:act", args=[service_request.number, Action.COMPLETE]),
            {"cause": "radiator_air", "result": "暖气片放气,室温21度", "photo": photo},
        )
        # the detail page is read at the same moved clock: the session began at T0, not on the real date
        detail = client.get(reverse("requests:detail", args=[service_request.number])).content.decode()

    # then: each step redirected, the request is completed, the photo is stored on the completion event
    assert [contacted.status_code, arrived.status_code, completed.status_code] == [302, 302, 302]
    service_request.refresh_from_db()
    assert service_request.status == Status.COMPLETED
    assert service_request.appointment_at == datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert service_request.cause is not None and service_request.cause.code == "radiator_air"
    attachment = Attachment.objects.get(service_request=service_request)
    assert attachment.event is not None and attachment.event.action == Action.COMPLETE
    assert attachment.uploaded_by == org.worker
    assert (media / attachment.file.name).exists()
    contact = service_request.clocks.get(name=ClockName.CONTACT)
    assert contact.met_at == T0 + timedelta(minutes=10) and contact.breached_at is None
    assert attachment.file.url in detail
    assert "按时完成" in detail


@pytest.mark.django_db
def test_completion_without_a_cause_shows_the_error_and_changes_nothing(org: Org) -> None:
    service_request = advance(registered_request(org), (Action.ARRIVE, org.worker, None))
    client = _client_for(org.worker)

    response = _act(client, service_request, Action.COMPLETE, cause="", result="")

    assert response.status_code == 422
    html = response.content.decode()
    assert "这个字段是必填项" in html
    assert 'id="act-complete"' in html and "<details open" in html
    service_request.refresh_from_db()
    assert service_request.status == Status.ON_SITE


@pytest.mark.django_db
def test_a_service_error_is_shown_next_to_the_form(org: Org) -> None:
    # given: a request on site
    service_request = advance(registered_request(org), (Action.ARRIVE, org.worker, None))
    client = _client_for(org.worker)

    # when: the resident's chosen time is missing for "wait for resident"
    response = _act(client, service_request, Action.WAIT, appointment_at="", note="家中无人")

    # then: 422 with the message, nothing saved
    assert response.status_code == 422
    assert "这个字段是必填项" in response.content.decode()
    service_request.refresh_from_db()
    assert service_request.appointment_at is None


@pytest.mark.django_db
def test_someone_acting_first_shows_refresh_message_not_a_500(org: Org) -> None:
    # given: the worker already arrived on site
    service_request = registered_request(org)
    client = _client_for(org.worker)
    _act(client, service_request, Action.ARRIVE)

    # when: a second "arrive" comes in from a stale page
    response = _act(client, service_request, Action.ARRIVE)

    # then: 409 and the refresh message
    assert response.status_code == 409
    assert "已被他人处理,请刷新" in response.content.decode()


@pytest.mark.django_db
def test_operator_records_an_unsatisfied_callback_and_the_request_goes_to_the_dept_head(org: Org) -> None:
    # given: a request whose result was reported
    service_request = reported_request(org)
    client = _client_for(org.operator)
    page = client.get(reverse("requests:callbacks"))
    assert service_request.number in page.content.decode()

    # when: the operator records an answered but unsatisfied callback from the callbacks page
    response = client.post(
        reverse("requests:act", args=[service_request.number, Action.CALLBACK]),
        {
            "outcome": "answered",
            "channel": "phone",
            "solved": "no",
            "satisfaction": "unsatisfied",
            "comment": "还是不热",
            "next": reverse("requests:callbacks"),
        },
    )

    # then: back to the callbacks page; round 2 with the department head, the callback kept
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:callbacks")
    service_request.refresh_from_db()
    assert service_request.status == Status.DISPATCHED
    assert service_request.round == 2
    assert service_request.assignee == org.dept_head
    callback = Callback.objects.get(service_request=service_request)
    assert callback.satisfaction == "unsatisfied" and callback.is_solved is False
    callbacks_after = client.get(reverse("requests:callbacks")).content.decode()
    assert reverse("requests:act", args=[service_request.number, Action.CALLBACK]) not in callbacks_after
    queue = _client_for(org.dept_head).get(reverse("requests:queue")).content.decode()
    assert service_request.number in queue


@pytest.mark.django_db
def test_answered_callback_without_satisfaction_is_refused(org: Org) -> None:
    service_request = reported_request(org)
    client = _client_for(org.operator)

    response = _act(
        client, service_request, Action.CALLBACK, outcome="answered", channel="phone", solved="yes"
    )

    assert response.status_code == 422
    assert "请填写满意度" in response.content.decode()
    assert Callback.objects.count() == 0


@pytest.mark.django_db
def test_satisfied_callback_closes_the_request(org: Org) -> None:
    service_request = reported_request(org)
    client = _client_for(org.operator)

    _act(
        client,
        service_request,
        Action.CALLBACK,
        outcome="answered",
        channel="phone",
        solved="yes",
        satisfaction="satisfied",
    )

    service_request.refresh_from_db()
    assert service_request.status == Status.CLOSED


@pytest.mark.django_db
def test_district_staff_of_another_district_gets_404_and_cannot_act(org: Org) -> None:
    # given: a request of the first district
    service_request = registered_request(org)
    client = _client_for(org.other_responsible)

    # when: the other district's responsible person opens it or tries to act on it
    page = client.get(reverse("requests:detail", args=[service_request.number]))
    acted = _act(client, service_request, Action.CONTACT)
    listed = client.get(reverse("requests:list"), {"q": service_request.number})

    # then: 404, unchanged, and absent from their list
    assert page.status_code == 404
    assert acted.status_code == 404
    service_request.refresh_from_db()
    assert service_request.status == Status.DISPATCHED
    assert reverse("requests:detail", args=[service_request.number]) not in listed.content.decode()
    assert "没有符合条件的工单" in listed.content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(org: Org) -> None:
    service_request = registered_request(org)
    client = Client()

    for url in (
        reverse("requests:list"),
        reverse("requests:queue"),
        reverse("requests:callbacks"),
        reverse("requests:detail", args=[service_request.number]),
    ):
        assert client.get(url).status_code == 302
    assert _act(client, service_request, Action.CONTACT).status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.DISPATCHED


@pytest.mark.django_db
def test_manager_sees_masked_phone_and_no_action_buttons(org: Org) -> None:
    service_request = registered_request(org, phone="13812345678", caller_name="王小明")
    client = _client_for(org.manager)

    detail = client.get(reverse("requests:detail", args=[service_request.number])).content.decode()
    listing = client.get(reverse("requests:list")).content.decode()

    assert "138****5678" in detail and "13812345678" not in detail
    assert "王**" in detail and "王小明" not in detail
    assert "138****5678" in listing and "13812345678" not in listing
    assert "requests/" + service_request.number + "/act/" not in detail


@pytest.mark.django_db
def test_operator_sees_the_full_phone_and_the_platform_order_number(org: Org) -> None:
    service_request = registered_request(
        org, phone="13812345678", source="12345", external_id="GD-7788", caller_name="王小明"
    )
    client = _client_for(org.operator)

    detail = client.get(reverse("requests:detail", args=[service_request.number])).content.decode()

    assert "13812345678" in detail
    assert "平台工单号" in detail and "GD-7788" in detail


@pytest.mark.django_db
def test_detail_shows_only_the_actions_the_viewer_may_take(org: Org) -> None:
    service_request = registered_request(org)

    worker = _client_for(org.worker).get(reverse("requests:detail", args=[service_request.number]))
    operator = _client_for(org.operator).get(reverse("requests:detail", args=[service_request.number]))

    worker_html, operator_html = worker.content.decode(), operator.content.decode()
    assert 'id="act-contact"' in worker_html and 'id="act-arrive"' in worker_html
    assert 'id="act-return"' not in worker_html
    assert 'id="act-contact"' not in operator_html and 'id="act-reassign"' in operator_html


@pytest.mark.django_db
def test_reassign_needs_a_reason_and_keeps_history(org: Org) -> None:
    service_request = registered_request(org)
    client = _client_for(org.branch_manager)

    refused = _act(client, service_request, Action.REASSIGN, assignee=org.worker.pk, note="")
    done = _act(client, service_request, Action.REASSIGN, assignee=org.worker.pk, note="片区长休假")

    assert refused.status_code == 422
    assert done.status_code == 302
    service_request.refresh_from_db()
    assert service_request.assignee == org.worker
    event = service_request.events.get(action=Action.REASSIGN)
    assert event.note == "片区长休假" and event.extra["old_assignee"] == org.responsible.pk


@pytest.mark.django_db
def test_return_and_exclusion_are_for_supervisors(org: Org) -> None:
    service_request = registered_request(org)

    by_worker = _act(_client_for(org.worker), service_request, Action.RETURN, note="不是我们的")
    by_head = _act(_client_for(org.dept_head), service_request, Action.RETURN, note="非供热问题")

    assert by_worker.status_code == 403
    assert by_head.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.RETURNED


@pytest.mark.django_db
def test_extension_is_requested_by_the_worker_and_approved_by_the_dept_head(org: Org) -> None:
    # given: a dispatched request with its 48-hour repair clock
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
        worker = _client_for(org.worker)

        # when: the worker asks for more time, and the department head approves it
        asked = _act(
            worker,
            service_request,
            Action.EXTEND,
            clock=ClockName.REPAIR,
            new_due_at="2026-11-23T12:00",
            reason="需更换阀门,备件明天到",
        )
        extension = Extension.objects.get()
        decided = _client_for(org.dept_head).post(
            reverse("requests:extension_decide", args=[service_request.number, extension.pk]),
            {"decision": "approve", "note": "同意"},
        )
        refused_twice = _client_for(org.dept_head).post(
            reverse("requests:extension_decide", args=[service_request.number, extension.pk]),
            {"decision": "approve"},
        )

    # then: the repair clock moves to the new due time; a second decision is a clear conflict
    assert asked.status_code == 302 and decided.status_code == 302
    assert refused_twice.status_code == 409
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED
    repair = service_request.clocks.get(name=ClockName.REPAIR)
    assert repair.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_worker_cannot_approve_an_extension(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
        _act(
            _client_for(org.worker),
            service_request,
            Action.EXTEND,
            clock=ClockName.REPAIR,
            new_due_at="2026-11-23T12:00",
            reason="等备件",
        )
        extension = Extension.objects.get()
        response = _client_for(org.worker).post(
            reverse("requests:extension_decide", args=[service_request.number, extension.pk]),
            {"decision": "approve"},
        )

    assert response.status_code == 403
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.PENDING


@pytest.mark.django_db
def test_list_filters_and_highlights_overdue_requests(org: Org) -> None:
    # given: a routine request whose 30-minute contact clock ran out, and an emergency one still in time
    with time_machine.travel(T0, tick=False) as traveller:
        late = registered_request(org)
        traveller.move_to(T0 + timedelta(minutes=50))
        fresh = emergency_request(org)
        traveller.move_to(T0 + timedelta(minutes=55))
        client = _client_for(org.operator)

        # when: the operator lists all, only overdue, and only emergencies
        everything = client.get(reverse("requests:list")).content.decode()
        overdue = client.get(reverse("requests:list"), {"overdue": "on"}).content.decode()
        emergencies = client.get(reverse("requests:list"), {"kind": "emergency"}).content.decode()

    # then: the late one stands out, filters keep what they say
    assert late.number in everything and fresh.number in everything
    assert 'class="overdue"' in everything
    assert late.number in overdue and fresh.number not in overdue
    assert fresh.number in emergencies and late.number not in emergencies
    assert f'data-due="{fresh.next_due_at.isoformat()}"' in everything  # type: ignore[union-attr]


@pytest.mark.django_db
def test_work_queue_lists_my_jobs_nearest_due_first(org: Org) -> None:
    # given: two requests for the district's responsible person, the second one due sooner after contact
    with time_machine.travel(T0, tick=False) as traveller:
        first = registered_request(org)
        traveller.move_to(T0 + timedelta(minutes=5))
        second = registered_request(org, content="暖气片阀门坏了", category="small_repair")
        other = registered_request(org, household=org.other_household)
        html = _client_for(org.responsible).get(reverse("requests:queue")).content.decode()

    assert first.number in html and second.number in html
    assert other.number not in html
    assert html.index(first.number) < html.index(second.number)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["requests:list", "requests:queue", "requests:callbacks"])
def test_list_pages_query_count_is_bounded(
    org: Org, url_name: str, django_assert_max_num_queries: Any
) -> None:
    # given: many requests in several states
    for _ in range(3):
        reported_request(org)
        completed_request(org)
        registered_request(org)
    viewer = org.operator if url_name != "requests:queue" else org.responsible
    client = _client_for(viewer)
    client.get(reverse(url_name))  # warm-up: session and caches

    # then: a fixed number of queries whatever the number of rows
    with django_assert_max_num_queries(12):
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "<tr" in response.content.decode() or "panel" in response.content.decode()


@pytest.mark.django_db
def test_unknown_address_without_district_waits_until_the_operator_dispatches_it(org: Org) -> None:
    # given: a call from an address not in the register, no district picked
    client = _client_for(org.operator)
    response = client.post(
        reverse("intake:index"),
        {
            "source": "963000",
            "phone": "13700000000",
            "address": "城郊某平房",
            "content": "暖气不热",
            "nature": "help",
            "wants_callback": "on",
        },
        follow=True,
    )
    service_request = ServiceRequest.objects.get()
    assert service_request.status == Status.REGISTERED
    assert "尚未派单" in response.content.decode()
    assert 'id="act-dispatch"' in response.content.decode()

    # when: the operator picks the district on the detail page
    _act(client, service_request, Action.DISPATCH, district=org.other_district.pk)

    # then: dispatched to that district's responsible person
    service_request.refresh_from_db()
    assert service_request.status == Status.DISPATCHED
    assert service_request.assignee == org.other_responsible


@pytest.mark.django_db
def test_waiting_for_the_resident_records_the_chosen_time(org: Org) -> None:
    service_request = registered_request(org)
    client = _client_for(org.worker)

    response = _act(client, service_request, Action.WAIT, appointment_at="2026-12-01T09:30", note="家中无人")

    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.appointment_at == datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert service_request.events.filter(action=Action.WAIT, note="家中无人").exists()


@pytest.mark.django_db
def test_exclusion_from_assessment_needs_a_reason(org: Org) -> None:
    service_request = registered_request(org)
    client = _client_for(org.branch_manager)

    refused = _act(client, service_request, Action.EXCLUDE, note="")
    done = _act(client, service_request, Action.EXCLUDE, note="用户无理要求,已留证")

    assert refused.status_code == 422
    assert done.status_code == 302
    service_request.refresh_from_db()
    assert service_request.is_excluded is True
    assert service_request.excluded_reason == "用户无理要求,已留证"


@pytest.mark.django_db
def test_unknown_action_is_a_404_not_a_500(org: Org) -> None:
    service_request = registered_request(org)

    response = _act(_client_for(org.admin), service_request, "explode")

    assert response.status_code == 404


@pytest.mark.django_db
def test_pages_render_in_english(org: Org) -> None:
    service_request = registered_request(org)
    client = _client_for(org.operator)

    response = client.get(
        reverse("requests:detail", args=[service_request.number]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Time limits" in response.content.decode()


@pytest.mark.django_db
def test_unanswered_callback_is_recorded_and_the_request_keeps_waiting(org: Org) -> None:
    service_request = reported_request(org)
    client = _client_for(org.operator)

    response = _act(
        client,
        service_request,
        Action.CALLBACK,
        outcome="no_answer",
        channel="phone",
        next=reverse("requests:callbacks"),
    )

    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.REPORTED
    assert Callback.objects.get(service_request=service_request).outcome == "no_answer"
    page = client.get(reverse("requests:callbacks")).content.decode()
    assert reverse("requests:act", args=[service_request.number, Action.CALLBACK]) in page


@pytest.mark.django_db
def test_next_url_outside_the_site_is_ignored(org: Org) -> None:
    service_request = registered_request(org)

    response = _act(_client_for(org.worker), service_request, Action.ARRIVE, next="https://evil.example/")

    assert response["Location"] == reverse("requests:detail", args=[service_request.number])
