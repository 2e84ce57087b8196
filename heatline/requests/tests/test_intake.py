"""The operator's intake page (来电弹屏, 第六条.2, 第七条.1) through the Django test client."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from heatline.registry.tests.factories import Org
from heatline.requests.models import Action, Kind, RequestEvent, ServiceRequest, Source, Status
from heatline.requests.tests.factories import completed_request, registered_request

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _client_for(staff: Any) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _intake_data(org: Org, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        # two minutes ago on whatever clock the test runs (moved or real): never a fixed date
        "received_at": timezone.localtime(timezone.now() - timedelta(minutes=2)).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
        "source": Source.HOTLINE,
        "phone": "13800000001",
        "caller_name": "李四",
        "household": org.household.account_number,
        "address": org.household.address,
        "content": "家里暖气不热,卧室只有15度",
        "category": "",
        "kind": "",
        "nature": "complaint",
        "resolved_at_intake": "",
        "wants_callback": "on",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_intake_with_caller_shows_the_household_and_its_open_request(org: Org) -> None:
    # given: the household of 13800000001 has an open request
    open_request = registered_request(org)
    client = _client_for(org.operator)

    # when: the phone system opens the page for that caller
    response = client.get(reverse("intake:index"), {"caller": "13800000001"})

    # then: the household, its open request and the duplicate warning are on screen at once
    assert response.status_code == 200
    html = response.content.decode()
    assert org.household.account_number in html
    assert org.household.address in html
    assert open_request.number in html
    assert "在办诉求" in html
    assert "记为重复来电" in html
    assert f'name="household" value="{org.household.account_number}"' in html
    assert 'value="13800000001"' in html


@pytest.mark.django_db
def test_intake_page_is_for_signed_in_staff_only(org: Org) -> None:
    # when: an anonymous visitor opens the page
    response = Client().get(reverse("intake:index"), {"caller": "13800000001"})

    # then: sent to the login page, nothing about the household shown
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.django_db
def test_search_partial_finds_households_by_account_number_and_address_fragment(org: Org) -> None:
    client = _client_for(org.operator)
    account = org.household.account_number

    # when: the operator types part of the account number, then a fragment of the address
    by_account = client.get(reverse("intake:households"), {"q": account[:5]}, HTTP_HX_REQUEST="true")
    fragment = org.other_household.address[-6:]
    by_address = client.get(reverse("intake:households"), {"address": fragment}, HTTP_HX_REQUEST="true")
    nothing = client.get(reverse("intake:households"), {"q": "不存在的小区"}, HTTP_HX_REQUEST="true")

    # then: each partial lists the matching households, picking one loads its panel
    assert by_account.status_code == 200
    assert account in by_account.content.decode()
    assert reverse("intake:household", args=[account]) in by_account.content.decode()
    assert org.other_household.account_number in by_address.content.decode()
    assert "<html" not in by_account.content.decode()
    assert "查无" in nothing.content.decode()


@pytest.mark.django_db
def test_picking_a_household_fills_the_form_and_warns_about_its_open_request(org: Org) -> None:
    # given: an open request on the household
    open_request = registered_request(org)
    client = _client_for(org.operator)

    # when: the operator picks the household from the search results
    response = client.get(reverse("intake:household", args=[org.household.account_number]))

    # then: the hidden household field and the one-click repeat link are in the panel
    html = response.content.decode()
    assert f'name="household" value="{org.household.account_number}"' in html
    assert f'name="repeat_of" value="{open_request.number}"' in html


@pytest.mark.django_db
def test_district_staff_search_stays_in_their_district(org: Org) -> None:
    client = _client_for(org.responsible)

    response = client.get(reverse("intake:households"), {"q": org.other_household.account_number})

    assert (
        reverse("intake:household", args=[org.other_household.account_number])
        not in response.content.decode()
    )
    assert "查无" in response.content.decode()


@pytest.mark.django_db
def test_suggestion_partial_marks_running_water_as_emergency(org: Org) -> None:
    client = _client_for(org.operator)

    # when: the operator types what the caller says
    leak = client.get(reverse("intake:suggest"), {"content": "卫生间暖气片跑水了"})
    cold = client.get(reverse("intake:suggest"), {"content": "暖气不热,温度低"})

    # then: leaks are suggested as emergency, cold rooms as routine with their category
    assert 'data-kind="emergency"' in leak.content.decode()
    assert 'data-category="indoor_leak"' in leak.content.decode()
    assert 'data-kind="routine"' in cold.content.decode()
    assert 'data-category="low_temperature"' in cold.content.decode()


@pytest.mark.django_db
def test_registering_creates_a_dispatched_request_and_names_the_assignee(org: Org) -> None:
    client = _client_for(org.operator)

    # when: the operator registers a call that came in two minutes before
    with time_machine.travel(T0, tick=False):
        response = client.post(reverse("intake:index"), _intake_data(org), follow=True)

    # then: dispatched to the district's responsible person; the detail page says so
    service_request = ServiceRequest.objects.get()
    assert service_request.status == Status.DISPATCHED
    assert service_request.assignee == org.responsible
    assert service_request.household == org.household
    assert service_request.received_at == T0 - timedelta(minutes=2)
    assert service_request.registered_at == T0
    assert service_request.is_late_intake is False
    assert response.redirect_chain[-1][0] == reverse("requests:detail", args=[service_request.number])
    assert f"已派给 {org.responsible.display_name}" in response.content.decode()


@pytest.mark.django_db
def test_registering_later_than_five_minutes_after_the_call_is_flagged(org: Org) -> None:
    client = _client_for(org.operator)

    # when: the page was opened at 07:52 and the request registered at 08:00
    with time_machine.travel(T0, tick=False):
        client.post(reverse("intake:index"), _intake_data(org, received_at="2026-11-20 07:52:00"))

    # then: the registration is late and its intake clock breached
    service_request = ServiceRequest.objects.get()
    assert service_request.is_late_intake is True


@pytest.mark.django_db
def test_operator_override_of_kind_sends_a_leak_to_the_crew(org: Org) -> None:
    client = _client_for(org.operator)

    client.post(
        reverse("intake:index"),
        _intake_data(org, content="楼道里有水", category="small_repair", kind=Kind.EMERGENCY),
    )

    service_request = ServiceRequest.objects.get()
    assert service_request.kind == Kind.EMERGENCY
    assert service_request.category is not None and service_request.category.code == "small_repair"
    assert service_request.assignee == org.crew_leader


@pytest.mark.django_db
def test_unknown_address_is_kept_and_the_picked_district_gets_the_job(org: Org) -> None:
    client = _client_for(org.operator)

    # when: the address is not in the register; the operator picks the district
    client.post(
        reverse("intake:index"),
        _intake_data(org, household="", address="江南新村临时板房3号", district=org.other_district.pk),
    )

    # then: the free text is kept and the other district's responsible person has it
    service_request = ServiceRequest.objects.get()
    assert service_request.household is None
    assert service_request.address == "江南新村临时板房3号"
    assert service_request.assignee == org.other_responsible


@pytest.mark.django_db
def test_answer_at_intake_closes_the_request(org: Org) -> None:
    client = _client_for(org.operator)

    client.post(
        reverse("intake:index"),
        _intake_data(
            org, content="问一下热费怎么交", nature="consult", resolved_at_intake="已告知营业厅地址"
        ),
    )

    service_request = ServiceRequest.objects.get()
    assert service_request.status == Status.CLOSED
    assert service_request.is_resolved_at_intake is True


@pytest.mark.django_db
def test_duplicate_call_is_linked_as_a_repeat_instead_of_a_new_request(org: Org) -> None:
    # given: an open request on the household
    open_request = registered_request(org)
    client = _client_for(org.operator)

    # when: the operator presses "link as repeat call" on the intake form
    response = client.post(
        reverse("intake:link_repeat"),
        _intake_data(org, repeat_of=open_request.number, content="又打来催了"),
    )

    # then: no new request; the open one counts the repeat and records it as an event
    assert response.status_code == 302
    assert ServiceRequest.objects.count() == 1
    open_request.refresh_from_db()
    assert open_request.repeat_count == 1
    assert RequestEvent.objects.filter(service_request=open_request, action=Action.LINK_REPEAT).count() == 1


@pytest.mark.django_db
def test_a_closed_request_cannot_be_linked_as_a_repeat(org: Org) -> None:
    # given: a request already done at intake (closed)
    client = _client_for(org.operator)
    client.post(reverse("intake:index"), _intake_data(org, resolved_at_intake="已答复"))
    closed = ServiceRequest.objects.get()

    # when: someone posts a repeat link to it anyway
    response = client.post(reverse("intake:link_repeat"), {"repeat_of": closed.number}, follow=True)

    # then: a clear message, no count
    assert response.status_code == 200
    assert "请新建工单" in response.content.decode()
    closed.refresh_from_db()
    assert closed.repeat_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"content": ""}, "必填"),
        ({"phone": ""}, "必填"),
        ({"phone": "call-me-maybe"}, "联系电话格式不正确"),
        ({"source": Source.GOV_12345}, "平台工单号"),
        ({"household": "", "address": ""}, "请填写地址或户号"),
        ({"household": "99999999"}, "户号不存在"),
        ({"category": "no-such-category"}, "选择一个有效的选项"),
        ({"content": "长" * 4001}, "4000"),
    ],
)
def test_invalid_intake_shows_the_error_and_saves_nothing(
    org: Org, fields: dict[str, str], error: str
) -> None:
    client = _client_for(org.operator)

    response = client.post(reverse("intake:index"), _intake_data(org, **fields))

    assert response.status_code == 422
    assert error in response.content.decode()
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_platform_order_is_not_registered_twice(org: Org) -> None:
    client = _client_for(org.operator)
    data = _intake_data(org, source=Source.GOV_12345, external_id="GD20261120001")

    client.post(reverse("intake:index"), data)
    response = client.post(reverse("intake:index"), data, follow=True)

    assert ServiceRequest.objects.count() == 1
    assert "平台工单号已登记过" in response.content.decode()
    assert "GD20261120001" in response.content.decode()


@pytest.mark.django_db
def test_intake_page_query_count_is_bounded(org: Org, django_assert_max_num_queries: Any) -> None:
    # given: a caller with several past requests
    for _ in range(4):
        completed_request(org)
    client = _client_for(org.operator)

    # then: the pop-up stays a handful of queries
    with django_assert_max_num_queries(25):
        response = client.get(reverse("intake:index"), {"caller": "13800000001"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_typed_account_number_registers_on_that_household(org: Org) -> None:
    client = _client_for(org.operator)

    # when: the operator typed the account number but pressed Enter before picking the result
    client.post(
        reverse("intake:index"), _intake_data(org, household="", address=org.household.account_number)
    )

    # then: the request is on the household of the register, not on a free-text address
    service_request = ServiceRequest.objects.get()
    assert service_request.household == org.household
    assert service_request.address == org.household.address


@pytest.mark.django_db
def test_caller_popup_shows_an_open_incident_with_a_one_click_link(org: Org, client: Client) -> None:
    # given: a station fault that affects the caller's building
    from heatline.incidents.tests.factories import station_fault

    incident = station_fault(org)
    client.force_login(org.operator)
    # when: the phone system opens the intake page for the caller
    html = client.get(f"/intake/?caller={org.household.phone}").content.decode()
    # then: the banner names the incident and links the call to it instead of a new job
    assert "可直接关联来电" in html
    assert incident.number in html
    assert f"household={org.household.account_number}" in html
