import threading
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from heatline.incidents.models import Incident, IncidentLink, IncidentStatus
from heatline.incidents.tests.factories import linked_call, planned_outage, station_fault
from heatline.registry.models import Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import HouseholdFactory
from heatline.requests.models import Callback, ServiceRequest, Status
from heatline.requests.tests.factories import registered_request

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class Api:
    def __init__(self, staff: Staff | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if staff is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(staff=staff)}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self.headers)  # type: ignore[arg-type]

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            **self.headers,  # type: ignore[arg-type]
        )


def _signed_in(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.django_db
def test_list_page_query_count_is_bounded(org, django_assert_max_num_queries) -> None:
    # given: several incidents with calls
    for _ in range(5):
        incident = station_fault(org)
        linked_call(org, incident, phone="13700000000")
    client = _signed_in(org.operator)

    # when / then
    with django_assert_max_num_queries(25):
        response = client.get("/incidents/?status=")
    assert response.status_code == 200
    assert "换热站一次网爆管" in response.content.decode()


@pytest.mark.django_db
def test_detail_page_query_count_is_bounded(org, django_assert_max_num_queries) -> None:
    incident = station_fault(org)
    for index in range(10):
        linked_call(org, incident, phone=f"137000000{index:02d}")
    client = _signed_in(org.crew_leader)
    with django_assert_max_num_queries(30):
        response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_pages_refuse_anonymous_and_hide_other_districts(org) -> None:
    # given: an incident on one building of org.district
    from heatline.incidents.services import IncidentInput, incident_open

    incident = incident_open(
        data=IncidentInput(title="单楼", building_id=org.building.pk), by=org.responsible
    )

    # then
    assert Client().get("/incidents/").status_code == 302
    assert _signed_in(org.other_responsible).get(f"/incidents/{incident.pk}/").status_code == 404
    assert _signed_in(org.responsible).get(f"/incidents/{incident.pk}/").status_code == 200
    assert Api(None).get("/incidents").status_code == 401
    assert Api(org.other_responsible).get(f"/incidents/{incident.pk}").status_code == 404


@pytest.mark.django_db
def test_operator_links_a_call_in_one_action_from_the_detail_page(org) -> None:
    incident = station_fault(org)
    client = _signed_in(org.operator)
    response = client.post(
        f"/incidents/{incident.pk}/act/link/",
        {
            "household": org.household.account_number,
            "phone": "13711112222",
            "caller_name": "赵六",
            "content": "不热",
        },
    )
    assert response.status_code == 200
    link = IncidentLink.objects.get()
    assert link.service_request.caller_name == "赵六"
    assert link.service_request.status == Status.REGISTERED


@pytest.mark.django_db
def test_create_page_refuses_an_incident_without_an_asset(org) -> None:
    client = _signed_in(org.crew_leader)
    response = client.post("/incidents/new/", {"kind": "fault", "title": "无设施"})
    assert response.status_code == 422
    assert "请至少选择一项受影响的设施" in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_banner_partial_shows_incidents_to_the_operator(org) -> None:
    from django.template.loader import render_to_string

    incident = station_fault(org)
    html = render_to_string("incidents/_banner.html", {"incidents": [incident], "household": org.household})
    assert incident.number in html and f"household={org.household.account_number}" in html
    assert render_to_string("incidents/_banner.html", {"incidents": []}).strip() == ""


@pytest.mark.django_db
def test_api_create_link_resolve_and_callbacks(org) -> None:
    crew = Api(org.crew_leader)
    operator = Api(org.operator)

    # when: the crew opens an incident, the hotline links two calls, the crew resolves
    created = crew.post(
        "/incidents",
        {"kind": "fault", "title": "主管爆管", "station_id": org.station.pk, "crew_id": org.crew.pk},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    numbers = []
    for index in range(2):
        response = operator.post(
            f"/incidents/{pk}/links",
            {"phone": f"1370000000{index}", "content": "不热", "household": org.household.account_number},
        )
        assert response.status_code == 201, response.content
        numbers.append(response.json()["number"])
    assert crew.get(f"/incidents/{pk}").json()["calls"] == 2
    resolved = crew.post(f"/incidents/{pk}/resolve", {"result": "已修复", "cause": "network_leak"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["reported"] == 2
    ids = list(ServiceRequest.objects.filter(number__in=numbers).values_list("pk", flat=True))
    done = operator.post(
        f"/incidents/{pk}/callbacks",
        {"request_ids": ids, "outcome": "answered", "solved": True, "satisfaction": "satisfied"},
    )

    # then
    assert done.status_code == 200 and sorted(done.json()["done"]) == sorted(numbers)
    assert Callback.objects.count() == 2
    # a closed incident refuses a new link with 409
    again = operator.post(
        f"/incidents/{pk}/links",
        {"phone": "13700000009", "content": "不热", "household": org.household.account_number},
    )
    assert again.status_code == 409


@pytest.mark.django_db
def test_api_refuses_bad_input_clearly(org) -> None:
    crew = Api(org.crew_leader)
    assert crew.post("/incidents", {"title": "无设施"}).status_code == 422
    incident = station_fault(org, started_at=timezone.now() - timedelta(hours=1))
    early = (incident.started_at - timedelta(hours=1)).isoformat()
    response = crew.post(
        f"/incidents/{incident.pk}/resolve", {"result": "x", "cause": "network_leak", "restored_at": early}
    )
    assert response.status_code == 422 and response.json()["field"] == "restored_at"
    assert Api(org.manager).post(f"/incidents/{incident.pk}/resolve", {"result": "x"}).status_code == 403


@pytest.mark.django_db
def test_api_list_shows_planned_outages(org) -> None:
    now = timezone.now()
    planned_outage(org, start=now + timedelta(days=1), end=now + timedelta(days=1, hours=4))
    body = Api(org.operator).get("/incidents", kind="planned").json()
    assert [row["kind"] for row in body] == ["planned"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_links_are_never_lost_or_duplicated(org) -> None:
    # given: one incident, 40 households, and 4 threads linking the same requests twice over
    from heatline.incidents.services import incident_link_request
    from heatline.requests.tests.factories import registered_request

    incident = station_fault(org)
    requests = [
        registered_request(org, household=HouseholdFactory(building=org.building), phone=f"1350000{i:04d}")
        for i in range(40)
    ]
    errors: list[BaseException] = []

    def link_all(offset: int) -> None:
        try:
            for service_request in requests[offset:] + requests[:offset]:
                incident_link_request(incident=incident, service_request=service_request, by=org.operator)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=link_all, args=(offset * 10,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then
    assert errors == []
    assert IncidentLink.objects.filter(incident=incident).count() == 40
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


@pytest.mark.django_db
def test_home_dashboard_shows_open_incidents_and_planned_outages(org) -> None:
    now = timezone.now()
    fault = station_fault(org)
    outage = planned_outage(org, start=now + timedelta(days=2), end=now + timedelta(days=2, hours=5))
    page = _signed_in(org.operator).get("/").content.decode()
    assert fault.number in page and outage.number in page


@pytest.mark.django_db
def test_a_linked_call_shows_its_incident_on_the_request_pages(org) -> None:
    # given: a call linked to an open station fault, and a call dispatched on its own
    incident = station_fault(org, expected_restore_at=timezone.now() + timedelta(hours=3))
    linked = linked_call(org, incident)
    alone = registered_request(org, household=org.other_household)
    client = _signed_in(org.operator)

    # when: the operator opens the linked request and the request list
    detail = client.get(f"/requests/{linked.number}/").content.decode()
    listing = client.get("/requests/").content.decode()
    other = client.get(f"/requests/{alone.number}/").content.decode()

    # then: the request says which incident it waits on, with a link to it; the other request does not
    assert f'href="/incidents/{incident.pk}/"' in detail and incident.title in detail
    assert "由事件统一处置" in detail and "由事件统一处置" not in other
    row = listing[listing.index(linked.number) : listing.index("</tr>", listing.index(linked.number))]
    assert f"随事件{incident.number}处置" in row
    alone_row = listing[listing.index(alone.number) : listing.index("</tr>", listing.index(alone.number))]
    assert "随事件" not in alone_row
