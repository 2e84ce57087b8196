import json
from datetime import datetime, timedelta
from io import StringIO
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
import time_machine
import xmltodict
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from heatline.integrations.models import Open311Key, Open311Submission
from heatline.integrations.open311.services import open311key_issue, open311key_revoke
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.models import Action, ServiceRequest, Source, Status
from heatline.requests.tests.factories import advance, registered_request, reported_request
from heatline.requests.transitions import Params

from .helpers import fixture_bytes

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = "/open311/v2"


def _form(**changes: str) -> dict[str, str]:
    form = dict(parse_qsl(fixture_bytes("open311_post.txt").decode().strip()))
    form.update(changes)
    return {key: value for key, value in form.items() if value != "-"}


@pytest.fixture
def api_key(org: Org) -> str:
    _key, secret = open311key_issue(client="civic-app")
    return secret


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_and_services_in_both_formats(org: Org, fmt: str) -> None:
    client = Client()
    discovery = client.get(f"{BASE}/discovery.{fmt}")
    services = client.get(f"{BASE}/services.{fmt}")
    definition = client.get(f"{BASE}/services/low_temperature.{fmt}")
    assert discovery.status_code == services.status_code == definition.status_code == 200
    assert "charset=utf-8" in services["Content-Type"]
    if fmt == "json":
        codes = [service["service_code"] for service in services.json()]
        attributes = [attribute["code"] for attribute in definition.json()["attributes"]]
        endpoints = discovery.json()["endpoints"]
    else:
        codes = [
            service["service_code"] for service in xmltodict.parse(services.content)["services"]["service"]
        ]
        parsed = xmltodict.parse(definition.content)["service_definition"]["attributes"]["attribute"]
        attributes = [attribute["code"] for attribute in parsed]
        endpoints = [xmltodict.parse(discovery.content)["discovery"]["endpoints"]["endpoint"]]
    assert "low_temperature" in codes and "indoor_leak" in codes
    assert attributes == ["room_temperature", "wants_callback"]
    assert endpoints[0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_a_404_in_the_standard_error_format(org: Org, fmt: str) -> None:
    response = Client().get(f"{BASE}/services/no_such_thing.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        assert response.json()[0]["code"] == 404
    else:
        assert xmltodict.parse(response.content)["errors"]["error"]["code"] == "404"


@pytest.mark.django_db
def test_a_posted_request_enters_the_life_cycle_as_the_clients(org: Org, api_key: str) -> None:
    # given: the recorded form of a civic client, at an address of the register
    form = _form(api_key=api_key, address_string=org.household.address)
    with time_machine.travel(T0, tick=False):
        # when
        response = Client().post(f"{BASE}/requests.json", form)

    # then: registered, classified and dispatched like a call; its token leads to it
    assert response.status_code == 201, response.content
    body = response.json()[0]
    service_request = ServiceRequest.objects.get(number=body["service_request_id"])
    assert service_request.source == Source.OPEN311
    assert service_request.external_id is not None
    assert service_request.external_id.startswith("civic-app:")
    assert service_request.status == Status.DISPATCHED
    assert service_request.assignee == org.responsible
    assert service_request.category is not None and service_request.category.code == "low_temperature"
    assert "室温16.0℃" in service_request.content
    assert service_request.created_by is not None
    assert service_request.created_by.username == "open311-civic-app"
    submission = Open311Submission.objects.get()
    assert submission.jurisdiction_id == "heihe.gov.cn"
    token = Client().get(f"{BASE}/tokens/{body['token']}.json")
    assert token.json() == [{"service_request_id": service_request.number, "token": body["token"]}]


@pytest.mark.django_db
def test_post_in_xml_answers_in_xml(org: Org, api_key: str) -> None:
    with time_machine.travel(T0, tick=False):
        response = Client().post(f"{BASE}/requests.xml", _form(api_key=api_key))
    assert response.status_code == 201
    parsed = xmltodict.parse(response.content)["service_requests"]["request"]
    assert parsed["service_request_id"].startswith("RX")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"api_key": "-"}, 403),
        ({"api_key": "o311_wrong"}, 403),
        ({"service_code": "-"}, 400),
        ({"service_code": "no_such_thing"}, 404),
        ({"description": "-"}, 400),
        ({"phone": "-"}, 400),
        ({"phone": "call me maybe"}, 400),
        ({"address_string": "-"}, 400),
        ({"address_id": "99999999"}, 400),
        ({"attribute[room_temperature]": "warm"}, 400),
        ({"attribute[wants_callback]": "perhaps"}, 400),
        ({"description": "暖" * 5000}, 400),
        ({"description": "暖气\x00不热"}, 400),
    ],
)
def test_bad_posts_are_refused_and_nothing_is_stored(
    org: Org, api_key: str, changes: dict[str, str], expected: int
) -> None:
    form = _form(**{"api_key": api_key, **changes})
    with time_machine.travel(T0, tick=False):
        response = Client().post(f"{BASE}/requests.json", form)
    assert response.status_code == expected, response.content
    error = response.json()[0]
    assert error["code"] == expected and error["description"]
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
def test_a_revoked_key_is_refused(org: Org) -> None:
    key, secret = open311key_issue(client="old-app")
    open311key_revoke(key=key)
    response = Client().post(f"{BASE}/requests.json", _form(api_key=secret))
    assert response.status_code == 403


@pytest.mark.django_db
def test_json_or_xml_bodies_and_oversized_posts_are_refused(org: Org, api_key: str) -> None:
    client = Client()
    as_json = client.post(
        f"{BASE}/requests.json", json.dumps(_form(api_key=api_key)), content_type="application/json"
    )
    as_xml = client.post(
        f"{BASE}/requests.xml", fixture_bytes("entity_bomb.xml"), content_type="application/xml"
    )
    huge = client.post(f"{BASE}/requests.json", _form(api_key=api_key, media_url="x" * 20000))
    assert (as_json.status_code, as_xml.status_code, huge.status_code) == (400, 400, 400)
    assert xmltodict.parse(as_xml.content)["errors"]["error"]["code"] == "400"
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_responses_carry_no_personal_data(org: Org, fmt: str) -> None:
    # given: a request with a caller name, phone and household number; the caller's text has a phone
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(
            org, caller_name="李秀英", content="暖气不热,回电13812345678", phone="13800000001"
        )
        client = Client()
        # when
        bodies = [
            client.get(f"{BASE}/requests.{fmt}", {"extensions": "true"}).content.decode(),
            client.get(f"{BASE}/requests/{service_request.number}.{fmt}?extensions=true").content.decode(),
        ]
    # then
    for body in bodies:
        assert service_request.number in body
        for personal in (
            "李秀英",
            "13800000001",
            "13812345678",
            org.household.account_number,
            f"{org.household.room}室",  # the bare room number ("202") could match a year ("2026")
            org.household.address,
        ):
            assert personal not in body, personal
        assert "张三" not in body and "李四" not in body


@pytest.mark.django_db
def test_status_expected_datetime_and_notes(org: Org) -> None:
    # given: one request closed, one open
    with time_machine.travel(T0, tick=False):
        open_request = registered_request(org)
        closed = reported_request(org, household=HouseholdFactory(building=org.building, phone="13700000003"))
        closed = advance(
            closed, (Action.CALLBACK, org.operator, Params(solved=True, satisfaction="satisfied"))
        )
        client = Client()
        # when
        everything = client.get(f"{BASE}/requests.json").json()
        only_open = client.get(f"{BASE}/requests.json", {"status": "open"}).json()
        only_closed = client.get(f"{BASE}/requests.json", {"status": "closed", "extensions": "true"}).json()

    # then
    assert {row["service_request_id"] for row in everything} == {open_request.number, closed.number}
    assert [row["service_request_id"] for row in only_open] == [open_request.number]
    assert [row["service_request_id"] for row in only_closed] == [closed.number]
    row = only_open[0]
    assert row["status_notes"] == "已派单"
    assert row["expected_datetime"] == timezone.localtime(open_request.next_due_at).isoformat(
        timespec="seconds"
    )
    assert row["expected_datetime"].endswith("+08:00")
    assert row["requested_datetime"].endswith("+08:00")
    assert only_closed[0]["status_notes"] == "已办结"
    summaries = [note["summary"] for note in only_closed[0]["notes"]]
    assert summaries[0] == "登记" and summaries[-1] == "回访"
    assert "notes" not in everything[0]


@pytest.mark.django_db
def test_filters_and_paging(org: Org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        numbers = []
        for hour in range(5):
            traveller.move_to(T0 + timedelta(hours=hour))
            numbers.append(registered_request(org).number)
        emergency = registered_request(org, content="卫生间跑水了", category="indoor_leak")
        client = Client()
        by_code = client.get(f"{BASE}/requests.json", {"service_code": "indoor_leak"}).json()
        by_ids = client.get(
            f"{BASE}/requests.json", {"service_request_id": f"{numbers[0]},{numbers[1]}"}
        ).json()
        window = client.get(
            f"{BASE}/requests.json",
            {"start_date": "2026-11-28T09:30:00+08:00", "end_date": "2026-11-28T11:30:00+08:00"},
        ).json()
        page_two = client.get(f"{BASE}/requests.json", {"page": "2", "page_size": "2"}).json()
        too_long = client.get(
            f"{BASE}/requests.json",
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-28T00:00:00Z"},
        )
        bad_date = client.get(f"{BASE}/requests.json", {"start_date": "yesterday"})
        bad_status = client.get(f"{BASE}/requests.json", {"status": "pending"})
        bad_page = client.get(f"{BASE}/requests.json", {"page": "0"})
        missing = client.get(f"{BASE}/requests/RX000.json")
        missing_token = client.get(f"{BASE}/tokens/nope.xml")
    assert [row["service_request_id"] for row in by_code] == [emergency.number]
    assert {row["service_request_id"] for row in by_ids} == {numbers[0], numbers[1]}
    assert {row["service_request_id"] for row in window} == {numbers[1], numbers[2]}
    assert len(page_two) == 2
    assert (too_long.status_code, bad_date.status_code, bad_status.status_code, bad_page.status_code) == (
        400,
        400,
        400,
        400,
    )
    assert missing.status_code == 404 and missing_token.status_code == 404


@pytest.mark.django_db
def test_the_list_has_a_bounded_number_of_queries(org: Org, django_assert_max_num_queries: object) -> None:
    with time_machine.travel(T0, tick=False):
        for _index in range(15):
            registered_request(org)
        client = Client()
        with django_assert_max_num_queries(3):  # type: ignore[operator]
            response = client.get(f"{BASE}/requests.xml", {"extensions": "true"})
    assert response.status_code == 200
    assert len(xmltodict.parse(response.content)["service_requests"]["request"]) == 15


@pytest.mark.django_db
def test_open311key_command_creates_and_rotates_a_key(org: Org) -> None:
    out = StringIO()
    call_command("open311key", "civic-app", stdout=out)
    first = out.getvalue().strip()
    out = StringIO()
    call_command("open311key", "civic-app", stdout=out)
    second = out.getvalue().strip()
    assert first.startswith("o311_") and second.startswith("o311_") and first != second
    key = Open311Key.objects.get()
    assert key.digest == Open311Key.digest_of(second)
    assert Client().post(f"{BASE}/requests.json", _form(api_key=first)).status_code == 403


@pytest.mark.django_db
def test_wrong_methods_are_refused(org: Org) -> None:
    assert Client().delete(f"{BASE}/requests.json").status_code == 405
    assert Client().post(f"{BASE}/services.json").status_code == 405
