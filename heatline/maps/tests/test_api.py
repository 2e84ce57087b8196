"""The map's GeoJSON layers: numbers, boxes, clusters, filters, scoping and masking, page and API."""

from typing import Any

import pytest
import time_machine
from django.test import Client

from heatline.incidents.services import IncidentInput, incident_open
from heatline.inspections.models import HazardArea, Level
from heatline.proactive.models import WatchEntry
from heatline.registry.models import Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, Org
from heatline.requests.models import Action
from heatline.requests.tests.factories import emergency_request, registered_request
from heatline.requests.transitions import request_transition

from .helpers import HERE, T0, THERE, place, placed_org, season

pytestmark = pytest.mark.django_db
TOWN = "127.4,50.2,127.7,50.35"
AROUND_HERE = "127.49,50.24,127.51,50.26"


def _get(staff: Staff, path: str) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(staff=staff)}")
    return client.get(path)


def test_requests_come_as_geojson_numbers_inside_the_box(org: Org) -> None:
    # given: one open request in each district, each building geocoded
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        here = registered_request(org)
        there = registered_request(org, household=org.other_household)

        # when
        inside = _get(org.operator, f"/api/v1/map/requests?bbox={AROUND_HERE}&status=open")
        town = _get(org.operator, f"/api/v1/map/requests?bbox={TOWN}")

    # then: a FeatureCollection of points [lon, lat] as numbers; the box keeps what lies in it
    assert inside.status_code == 200
    body = inside.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["number"] for f in body["features"]] == [here.number]
    point = body["features"][0]["geometry"]
    assert point == {"type": "Point", "coordinates": [HERE[0], HERE[1]]}
    assert all(isinstance(value, float) for value in point["coordinates"])
    assert body["features"][0]["properties"]["clock"] == "ok"
    assert {f["properties"]["number"] for f in town.json()["features"]} == {here.number, there.number}


def test_a_district_sees_only_its_pins_on_the_api_and_the_page(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        here = registered_request(org)
        there = registered_request(org, household=org.other_household)
        # when: district A's responsible person asks for the whole town
        mine = _get(org.responsible, f"/api/v1/map/requests?bbox={TOWN}").json()
        theirs = _get(org.other_responsible, f"/api/v1/map/requests?bbox={TOWN}").json()
        buildings = _get(org.responsible, f"/api/v1/map/buildings?bbox={TOWN}").json()
        client = Client()
        client.force_login(org.responsible)
        page = client.get("/map/")
    # then
    assert [f["properties"]["number"] for f in mine["features"]] == [here.number]
    assert [f["properties"]["number"] for f in theirs["features"]] == [there.number]
    assert [f["properties"]["id"] for f in buildings["features"]] == [org.building.pk]
    # the page frames the viewer's own buildings only, and carries no request data of its own
    assert page.status_code == 200
    assert page.context["config"]["extent"] == [[HERE[1], HERE[0]], [HERE[1], HERE[0]]]
    assert there.number.encode() not in page.content


def test_popups_carry_no_names_or_phones_and_management_gets_the_building_only(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        registered_request(org)
        operator = _get(org.operator, "/api/v1/map/requests").json()["features"][0]["properties"]
        manager = _get(org.manager, "/api/v1/map/requests").json()["features"][0]["properties"]
    text = str(operator) + str(manager)
    assert "李四" not in text and org.household.phone not in text
    assert operator["address"] == org.household.address
    assert manager["address"] == f"{org.building.community.name}{org.building.number}号楼"


def test_filters_as_on_the_lists_and_the_clock_state(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False) as traveller:
        routine = registered_request(org)
        emergency = emergency_request(org)
        traveller.move_to(
            T0.replace(hour=11, minute=5)
        )  # past the routine contact limit (30 min) and the 1 h arrival
        only_emergency = _get(org.operator, "/api/v1/map/requests?kind=emergency").json()
        late = _get(org.operator, "/api/v1/map/requests?overdue=true").json()
        closed = _get(org.operator, "/api/v1/map/requests?status=closed").json()
    assert [f["properties"]["number"] for f in only_emergency["features"]] == [emergency.number]
    assert {f["properties"]["number"] for f in late["features"]} == {routine.number, emergency.number}
    assert {f["properties"]["clock"] for f in late["features"]} == {"late"}
    assert closed["features"] == []


def test_past_the_limit_the_box_answers_clusters_with_counts(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            registered_request(org)
        emergency_request(org)
        registered_request(org, household=org.other_household)
        body = _get(org.operator, f"/api/v1/map/requests?bbox={TOWN}&limit=2").json()
    assert body["clustered"] is True and body["total"] == 5
    clusters = sorted(body["features"], key=lambda f: f["properties"]["count"])
    assert [c["properties"]["count"] for c in clusters] == [1, 4]
    assert clusters[1]["properties"]["emergency"] == 1
    assert clusters[1]["geometry"]["coordinates"] == [HERE[0], HERE[1]]


@pytest.mark.parametrize("bbox", ["1,2,3", "x,50,128,51", "128,50,127,51", "127,50,128,95"])
def test_a_malformed_bbox_is_a_422_with_a_clear_message(org: Org, bbox: str) -> None:
    for layer in ("requests", "hazard-areas", "incidents", "watchlist"):
        response = _get(org.operator, f"/api/v1/map/{layer}?bbox={bbox}")
        assert response.status_code == 422, (layer, bbox)
        assert "bbox" in response.json()["detail"]


def test_the_map_needs_a_signed_in_viewer(org: Org) -> None:
    assert Client().get("/api/v1/map/requests").status_code == 401
    assert Client().get("/map/").status_code == 302


def test_hazard_areas_incidents_and_watch_list_are_scoped_and_boxed(org: Org) -> None:
    placed_org(org)
    other_building = org.other_household.building
    with time_machine.travel(T0, tick=False):
        current = season()
        HazardArea.objects.create(
            season=current, level=Level.BUILDING, community=org.building.community, building=org.building,
            district=org.district, households=6, request_count=9, is_detected=True,
        )  # fmt: skip
        HazardArea.objects.create(
            season=current, level=Level.COMMUNITY, community=other_building.community,
            district=org.other_district, households=3, request_count=4, is_detected=True,
        )  # fmt: skip
        place(org.other_household.building, THERE)
        incident = incident_open(
            data=IncidentInput(title="管网爆管", building_id=org.building.pk), by=org.crew_leader
        )
        WatchEntry.objects.create(
            season=current, household=org.household, district=org.district, building=org.building
        )
        WatchEntry.objects.create(
            season=current,
            household=org.other_household,
            district=org.other_district,
            building=other_building,
            visited_at=T0,
        )
        hazard_a = _get(org.responsible, "/api/v1/map/hazard-areas").json()
        hazard_all = _get(org.manager, f"/api/v1/map/hazard-areas?bbox={TOWN}").json()
        hazard_box = _get(org.manager, f"/api/v1/map/hazard-areas?bbox={AROUND_HERE}").json()
        incidents_a = _get(org.responsible, "/api/v1/map/incidents").json()
        incidents_b = _get(org.other_responsible, "/api/v1/map/incidents").json()
        watch_b = _get(org.other_responsible, "/api/v1/map/watchlist").json()
        watch_all = _get(org.operator, f"/api/v1/map/watchlist?bbox={TOWN}").json()
    assert [f["properties"]["households"] for f in hazard_a["features"]] == [6]
    assert len(hazard_all["features"]) == 2  # the community's point: its buildings' centre
    assert [f["properties"]["level"] for f in hazard_box["features"]] == [Level.BUILDING]
    assert [f["properties"]["number"] for f in incidents_a["features"]] == [incident.number]
    geometry = incidents_a["features"][0]["geometry"]["geometries"][0]
    assert geometry == {"type": "MultiPoint", "coordinates": [[HERE[0], HERE[1]]]}
    assert incidents_b["features"] == []
    assert [(f["properties"]["visited"], f["geometry"]["coordinates"]) for f in watch_b["features"]] == [
        (True, [THERE[0], THERE[1]])
    ]
    assert sorted(f["properties"]["visited"] for f in watch_all["features"]) == [False, True]


def test_pipes_and_the_crews_last_field_action(org: Org) -> None:
    from heatline.registry.tests.factories import PipeSectionFactory

    placed_org(org)
    section = PipeSectionFactory(path=[[127.49, 50.25], [127.50, 50.25]], owner="other", owner_name="某物业")
    section.buildings.add(org.building)
    with time_machine.travel(T0, tick=False):
        emergency = emergency_request(org)
        request_transition(service_request=emergency, action=Action.ARRIVE, by=emergency.assignee)
        pipes_a = _get(org.responsible, "/api/v1/map/pipes").json()
        pipes_b = _get(org.other_responsible, "/api/v1/map/pipes").json()
        crews = _get(org.operator, "/api/v1/map/crews").json()
        crews_b = _get(org.other_responsible, "/api/v1/map/crews").json()
    assert pipes_a["features"][0]["geometry"] == {"type": "LineString", "coordinates": section.path}
    assert pipes_a["features"][0]["properties"]["company_owned"] is False
    assert pipes_b["features"] == []
    [crew] = crews["features"]
    assert crew["geometry"]["coordinates"] == [HERE[0], HERE[1]]
    assert crew["properties"]["request"] == emergency.number
    assert crews_b["features"] == []


def test_the_heat_layer_counts_the_seasons_requests_by_building_and_day(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        season()
        registered_request(org)
        registered_request(org)
        body = _get(org.responsible, "/api/v1/map/heat").json()
    assert body["start"] == "2026-10-20"
    assert body["points"] == [[HERE[1], HERE[0], 42, 2]]


def test_the_requests_layer_has_a_bounded_number_of_queries(
    org: Org, django_assert_max_num_queries: Any
) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        for index in range(5):
            household = HouseholdFactory(
                building=place(BuildingFactory(community=org.community), (127.5, 50.25 + index / 1000))
            )
            registered_request(org, household=household)
        client = Client()
        client.force_login(org.operator)
        with django_assert_max_num_queries(6):
            response = client.get(f"/api/v1/map/requests?bbox={TOWN}")
    assert len(response.json()["features"]) == 5


def test_hazard_areas_of_the_last_season_that_has_them(org: Org) -> None:
    # given: areas found after last season (the inspection before this one), none yet for this season
    import datetime as dt

    from heatline.core.models import HeatingSeason

    placed_org(org)
    with time_machine.travel(T0, tick=False):
        season()
        last, _created = HeatingSeason.objects.get_or_create(
            year=2025, defaults={"first_heating_day": dt.date(2025, 10, 20), "last_day": dt.date(2026, 4, 10)}
        )
        HazardArea.objects.create(
            season=last, level=Level.BUILDING, community=org.building.community, building=org.building,
            district=org.district, households=2, request_count=3, is_detected=True,
        )  # fmt: skip
        body = _get(org.responsible, "/api/v1/map/hazard-areas").json()
    assert [f["properties"]["requests"] for f in body["features"]] == [3]
