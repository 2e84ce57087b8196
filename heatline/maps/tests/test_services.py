"""Placing things: the nearest building, `heatline import-network`, incident areas, the register's 经度/纬度,
Open311 lat/long, the visit route of the day."""

import json
import math
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from heatline.core.errors import InvalidInput
from heatline.core.models import AuditEvent
from heatline.incidents.selectors import incidents_open_for_households
from heatline.incidents.services import IncidentInput, incident_open
from heatline.integrations.open311.services import open311key_issue
from heatline.maps.geo import route_order
from heatline.maps.services import building_nearest, location_set, network_import
from heatline.maps.templatetags.maps import geo_url
from heatline.proactive.models import EntryStatus, WatchEntry
from heatline.proactive.selectors import tasks_for
from heatline.registry.imports import register_import
from heatline.registry.models import Building, PipeOwner, PipeSection
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, Org
from heatline.requests.models import ServiceRequest

from .helpers import HERE, T0, place, placed_org, season

pytestmark = pytest.mark.django_db
# At 50.25° N one metre east is 1 / (111,195 × cos 50.25°) degrees of longitude.
METRE_LON = 1 / (111_195 * math.cos(math.radians(50.25)))


def _east(metres: float) -> tuple[float, float]:
    return HERE[0] + metres * METRE_LON, HERE[1]


def test_the_nearest_building_is_found_within_50_m_and_not_at_60(org: Org) -> None:
    placed_org(org)
    near = place(BuildingFactory(community=org.community), _east(105))
    assert building_nearest(lon=_east(45)[0], lat=HERE[1]) == org.building
    assert building_nearest(lon=_east(60)[0], lat=HERE[1]) == near  # 45 m from the second building
    Building.objects.filter(pk=near.pk).update(lat=None, lon=None)
    assert building_nearest(lon=_east(49)[0], lat=HERE[1]) == org.building
    assert building_nearest(lon=_east(60)[0], lat=HERE[1]) is None
    with pytest.raises(InvalidInput):
        building_nearest(lon=200, lat=50)


def test_placing_a_building_is_checked_and_audited(org: Org) -> None:
    location_set(obj=org.building, lon=127.5, lat=50.25, by=org.admin)
    org.building.refresh_from_db()
    assert (org.building.lon, org.building.lat) == (127.5, 50.25)
    event = AuditEvent.objects.get(action="map.locate")
    assert event.extra == {"old": {"lon": None, "lat": None}, "new": {"lon": 127.5, "lat": 50.25}}
    with pytest.raises(InvalidInput):
        location_set(obj=org.building, lon=127.5, lat=None, by=org.admin)
    with pytest.raises(InvalidInput):
        location_set(obj=org.building, lon=127.5, lat=95, by=org.admin)


def _network(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def _line(code: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[127.49, 50.25], [127.50, 50.25], [127.50, 50.251]],
        },
        "properties": {"code": code, **properties},
    }


def test_import_network_writes_lines_and_points_once(org: Org, tmp_path: Path) -> None:
    # given: a main of the company feeding the org's building, another owner's branch, and three points
    building_label = f"{org.building.community.name}/{org.building.number}"
    content = _network(
        _line("GW-001", name="幸福路干线", owner="本公司", diameter_mm=300, station=org.station.code,
              buildings=[building_label], laid_year=2008),
        _line("GW-002", owner="other", owner_name="某物业"),
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.501, 50.2505]},
         "properties": {"kind": "building", "community": org.building.community.name, "number": org.building.number}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.49, 50.249]},
         "properties": {"kind": "station", "code": org.station.code}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.5, 50.25]},
         "properties": {"kind": "community", "name": org.community.name}},
    )  # fmt: skip
    path = tmp_path / "network.geojson"
    path.write_bytes(content)

    # when: a dry run, then the commit, then the same file again
    dry = StringIO()
    call_command("import_network", str(path), stdout=dry)
    assert not PipeSection.objects.exists()
    call_command("import_network", str(path), "--commit", stdout=StringIO())
    again = network_import(content=content, commit=True, by=None)

    # then
    main = PipeSection.objects.get(code="GW-001")
    assert main.path == [[127.49, 50.25], [127.5, 50.25], [127.5, 50.251]]
    assert (main.owner, main.diameter_mm, main.station, main.laid_year) == (
        PipeOwner.COMPANY,
        300,
        org.station,
        2008,
    )
    assert list(main.buildings.all()) == [org.building]
    assert float(main.length_m) == pytest.approx(711.1 + 111.2, abs=1)
    assert PipeSection.objects.get(code="GW-002").owner == PipeOwner.OTHER
    org.building.refresh_from_db()
    org.station.refresh_from_db()
    assert (org.building.lon, org.building.lat) == (127.501, 50.2505)
    assert (org.station.lon, org.station.lat) == (127.49, 50.249)
    assert not again.created and not again.updated and again.unchanged == 5
    assert "试运行" in dry.getvalue()


@pytest.mark.parametrize(
    ("feature", "column", "words"),
    [
        (_line("GW-9", owner="谁的"), "owner", "产权无法识别"),
        ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[127.5, 50.2]]},
          "properties": {"code": "GW-9"}}, "geometry", "至少两个点"),
        ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[127.5, 50.2], [127.5, 95]]},
          "properties": {"code": "GW-9"}}, "geometry", "纬度超出范围"),
        ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[127.5, 50.2], ["x", 50]]},
          "properties": {"code": "GW-9"}}, "geometry", "须为数字"),
        (_line(""), "code", "缺少编号"),
        ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.5, 50.2]},
          "properties": {"kind": "building", "community": "没有的小区", "number": "1"}}, "properties", "不存在"),
        ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": {}}, "geometry", "不支持"),
    ],
)  # fmt: skip
def test_a_bad_feature_is_reported_by_number_and_nothing_is_written(
    org: Org, feature: dict[str, Any], column: str, words: str
) -> None:
    # given: a good first section and one bad feature after it
    content = _network(_line("GW-1"), feature)
    # when
    report = network_import(content=content, commit=True, by=None)
    # then: the second feature is named, nothing of the first is written
    assert [(error.row, error.column) for error in report.errors] == [(2, column)]
    assert words in report.errors[0].message
    assert not report.committed and not PipeSection.objects.exists()


def test_a_bad_network_file_is_refused_with_a_message_in_both_languages(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(CommandError, match="FeatureCollection"):
        call_command("import_network", str(path), stdout=StringIO())
    with translation.override("en"):
        report = network_import(content=_network(_line("GW-1", owner="谁的")), commit=False, by=None)
        with pytest.raises(InvalidInput) as error:
            network_import(content=b"not json", commit=False, by=None)
    assert "GeoJSON" in error.value.message and "有效" not in error.value.message
    assert "产权" not in report.errors[0].message
    duplicate = network_import(content=_network(_line("GW-1"), _line("GW-1")), commit=True, by=None)
    assert [(e.row, e.column) for e in duplicate.errors] == [(2, "code")]


def test_the_buildings_inside_a_drawn_area_become_the_incidents_and_the_intake_banner_knows(org: Org) -> None:
    # given: the org's building and a neighbour inside a square drawn around HERE; one outside it
    placed_org(org)
    inside = place(BuildingFactory(community=org.community), _east(30))
    outside = place(BuildingFactory(community=org.community), _east(300))
    neighbour = HouseholdFactory(building=inside)
    square = [[127.499, 50.249], [127.5015, 50.249], [127.5015, 50.251], [127.499, 50.251]]
    with time_machine.travel(T0, tick=False):
        # when
        incident = incident_open(data=IncidentInput(title="爆管停热", area=square), by=org.crew_leader)
        picked = incident_open(
            data=IncidentInput(title="单元漏水", building_ids=[outside.pk]), by=org.crew_leader
        )
    # then
    assert set(incident.buildings.values_list("pk", flat=True)) == {org.building.pk, inside.pk}
    assert incident.households_affected == 2
    assert incident.area is not None and incident.area["type"] == "Polygon"
    assert incident.area["coordinates"][0][0] == incident.area["coordinates"][0][-1]  # closed
    assert list(picked.buildings.all()) == [outside]
    banner = incidents_open_for_households([neighbour.pk, org.household.pk])
    assert [i.pk for i in banner[neighbour.pk]] == [incident.pk]


def test_an_area_of_nowhere_or_nonsense_is_refused(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        with pytest.raises(InvalidInput, match="没有登记楼栋"):
            incident_open(data=IncidentInput(title="x", area=[[1, 1], [2, 1], [2, 2]]), by=org.crew_leader)
        with pytest.raises(InvalidInput, match="3个顶点"):
            incident_open(data=IncidentInput(title="x", area=[[1, 1], [2, 1]]), by=org.crew_leader)
        with pytest.raises(InvalidInput, match="纬度超出范围"):
            incident_open(data=IncidentInput(title="x", area=[[1, 1], [2, 1], [2, 99]]), by=org.crew_leader)


def test_the_incident_form_takes_the_drawn_area(org: Org) -> None:
    placed_org(org)
    client = Client()
    client.force_login(org.crew_leader)
    ring = {"type": "Polygon", "coordinates": [[[127.499, 50.249], [127.501, 50.249], [127.501, 50.251]]]}
    with time_machine.travel(T0, tick=False):
        response = client.post(
            "/incidents/new/",
            {"kind": "fault", "title": "地图划定", "area": json.dumps(ring), "building_ids": ""},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "地图划定" in client.get(response["Location"]).content.decode()


def test_the_register_places_buildings_from_its_columns(org: Org) -> None:
    header = "小区,楼栋,户号,地址,经度,纬度\n"
    good = header + "新区,1,9000001,新区1号楼101,127.51,50.26\n新区,1,9000002,新区1号楼102,127.52,50.27\n"
    report = register_import(content=good.encode(), file_name="r.csv", commit=True, by=None)
    assert report.committed, report.errors
    building = Building.objects.get(community__name="新区")
    assert (building.lon, building.lat) == (127.51, 50.26)  # the building's first row
    moved = header + "新区,1,9000001,新区1号楼101,127.515,50.265\n"
    assert (
        register_import(content=moved.encode(), file_name="r.csv", commit=True, by=None).updated["楼栋"] == 1
    )
    building.refresh_from_db()
    assert (building.lon, building.lat) == (127.515, 50.265)
    bad = (
        header
        + "新区,2,9000003,新区2号楼101,东经127,50.2\n新区,3,9000004,新区3号楼101,127.5,\n新区,4,9000005,新区4号楼101,227.5,50\n"
    )
    report = register_import(content=bad.encode(), file_name="r.csv", commit=True, by=None)
    assert [(e.row, e.column) for e in report.errors] == [(2, "经度"), (3, "纬度"), (4, "经度")]
    assert not Building.objects.filter(number__in=["2", "3", "4"], community__name="新区").exists()


def _open311(form: dict[str, str]) -> Any:
    _key, secret = open311key_issue(client="civic-app")
    base = {
        "api_key": secret,
        "service_code": "low_temperature",
        "description": "客厅16度",
        "phone": "13911112222",
    }
    return Client().post("/open311/v2/requests.json", {**base, **form})


def test_open311_post_lat_long_finds_the_building_and_answers_numbers(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        posted = _open311({"lat": str(HERE[1]), "long": str(_east(30)[0])})
        assert posted.status_code == 201, posted.content
        number = posted.json()[0]["service_request_id"]
        answer = Client().get(f"/open311/v2/requests/{number}.json").json()[0]
        xml = Client().get(f"/open311/v2/requests/{number}.xml").content.decode()
    service_request = ServiceRequest.objects.get(number=number)
    assert service_request.building == org.building and service_request.district == org.district
    assert service_request.assignee == org.responsible
    assert (answer["lat"], answer["long"]) == (HERE[1], HERE[0])
    assert f"<lat>{HERE[1]}</lat>" in xml


def test_open311_lat_long_far_from_any_building(org: Org) -> None:
    placed_org(org)
    with time_machine.travel(T0, tick=False):
        # with an address: still registered on its text, for the operator to place
        kept = _open311({"lat": str(HERE[1]), "long": str(_east(60)[0]), "address_string": "新街口路边井盖"})
        # without one: a clear error, nothing stored
        refused = _open311({"lat": str(HERE[1]), "long": str(_east(60)[0])})
        nonsense = _open311({"lat": "北纬50", "long": "127.5"})
    assert kept.status_code == 201
    service_request = ServiceRequest.objects.get(number=kept.json()[0]["service_request_id"])
    assert service_request.building is None and service_request.address == "新街口路边井盖"
    assert Client().get(f"/open311/v2/requests/{service_request.number}.json").json()[0]["lat"] is None
    assert refused.status_code == 400 and "50 米" in refused.json()[0]["description"]
    assert nonsense.status_code == 400
    assert ServiceRequest.objects.count() == 1


def test_the_visit_route_of_the_day_goes_to_the_nearest_next(org: Org) -> None:
    # given: four visits today, planned in an order that zigzags along a street
    placed_org(org)
    current = season()
    far, middle, near = (place(BuildingFactory(community=org.community), _east(m)) for m in (900, 400, 100))
    entries = []
    for building in (org.building, far, near, middle):
        household = HouseholdFactory(building=building)
        entries.append(
            WatchEntry.objects.create(
                season=current,
                household=household,
                district=org.district,
                building=building,
                status=EntryStatus.BOOKED,
                planned_for=T0.date(),
                assignee=org.worker,
            )
        )
    # when
    with time_machine.travel(T0, tick=False):
        route = tasks_for(viewer=org.worker, season=current)["visit"]
    # then: 0 m → 100 m → 400 m → 900 m
    assert [entry.building_id for entry in route] == [org.building.pk, near.pk, middle.pk, far.pk]
    assert route_order([("a", None, None), ("b", 1.0, 1.0)], start=(0.0, 0.0)) == ["b", "a"]
    assert (
        geo_url(org.building, "幸福小区1号楼")
        == "geo:50.250000,127.500000?q=50.250000,127.500000(%E5%B9%B8%E7%A6%8F%E5%B0%8F%E5%8C%BA1%E5%8F%B7%E6%A5%BC)"
    )
    assert geo_url(far.community) == ""


def test_the_admin_pin_saves_checked_coordinates_with_an_audit_event(org: Org) -> None:
    client = Client()
    client.force_login(org.admin)
    url = f"/admin/registry/building/{org.building.pk}/change/"
    page = client.get(url)
    assert b"maps/admin-pin.js" in page.content
    form = {
        "community": org.building.community_id, "number": org.building.number, "district": org.district.pk,
        "station": org.station.pk, "floors": 6, "lat": "50.25", "lon": "127.5",
        "units-TOTAL_FORMS": "0", "units-INITIAL_FORMS": "0",
    }  # fmt: skip
    out_of_range = client.post(url, {**form, "lat": "95"})
    assert out_of_range.status_code == 200 and not AuditEvent.objects.filter(action="map.locate").exists()
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    org.building.refresh_from_db()
    assert (org.building.lon, org.building.lat) == (127.5, 50.25)
    assert AuditEvent.objects.get(action="map.locate").extra["new"] == {"lon": 127.5, "lat": 50.25}
