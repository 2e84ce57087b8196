"""The map in real Chromium: layers drawn from the API, toggled, scoped; an incident's area drawn by clicks."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from heatline.core.models import HeatingSeason
from heatline.incidents.models import Incident
from heatline.maps.tests.helpers import HERE, place, placed_org
from heatline.proactive.models import WatchEntry
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, Org
from heatline.requests.tests.factories import emergency_request, registered_request
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _loaded(page: Any, *layers: str) -> None:
    page.wait_for_function(
        "layers => layers.every(l => (document.getElementById('map').dataset.loaded || '').split(' ').includes(l))",
        arg=list(layers),
    )


def _drawn(page: Any, layer: str) -> int:
    return int(
        page.evaluate(
            "name => { const m = window.heatlineMap, l = m.layers[name];"
            " return l && m.map.hasLayer(l) ? l.getLayers().length : -1 }",
            layer,
        )
    )


def test_the_map_draws_the_layers_and_toggles_them(org: Org, page_for: Any) -> None:
    # given: three open requests in district A, one in B, a watch-list household, this season
    placed_org(org)
    today = timezone.localdate()
    season = HeatingSeason.objects.create(
        year=today.year + 50,
        first_heating_day=today - dt.timedelta(days=30),
        last_day=today + dt.timedelta(days=90),
    )
    neighbour = HouseholdFactory(
        building=place(BuildingFactory(community=org.community), (HERE[0] + 0.001, HERE[1]))
    )
    registered_request(org)
    registered_request(org, household=neighbour)
    emergency_request(org)
    registered_request(org, household=org.other_household)
    WatchEntry.objects.create(
        season=season, household=org.household, district=org.district, building=org.building
    )

    # when: the operator opens the map
    page = page_for(org.operator.username)
    page.goto("/map/")
    _loaded(page, "buildings", "requests", "pipes", "incidents")

    # then: four pins on the map, three buildings under them
    assert page.locator("#map-count-requests").inner_text() == "4"
    assert _drawn(page, "requests") == 4
    assert _drawn(page, "buildings") == 3
    screenshot(page, "map-requests")

    # when: requests off, the watch list and the heat map on
    page.uncheck('input[data-layer="requests"]')
    page.check('input[data-layer="watchlist"]')
    page.check('input[data-layer="heat"]')
    _loaded(page, "watchlist")
    page.wait_for_function("document.getElementById('map-count-heat').textContent === '4'")

    # then
    assert _drawn(page, "requests") == -1
    assert _drawn(page, "watchlist") == 1
    assert page.locator("#map-heat-controls").is_visible()
    screenshot(page, "map-watchlist-heat")

    # when: a filter as on the list (emergencies only)
    page.check('input[data-layer="requests"]')
    page.select_option("select[name=kind]", "emergency")
    page.wait_for_function("document.getElementById('map-count-requests').textContent === '1'")
    assert _drawn(page, "requests") == 1


def test_a_district_sees_its_own_pins_only(org: Org, page_for: Any) -> None:
    placed_org(org)
    registered_request(org)
    registered_request(org, household=org.other_household)
    page = page_for(org.other_responsible.username)
    page.goto("/map/")
    _loaded(page, "requests", "buildings")
    assert page.locator("#map-count-requests").inner_text() == "1"
    assert _drawn(page, "buildings") == 1
    popup_number = page.evaluate(
        "() => window.heatlineMap.layers.requests.getLayers()[0].getPopup().getContent()"
    )
    assert org.other_household.requests.get().number in popup_number


def test_the_incident_form_draws_the_area_and_its_buildings_become_the_incidents(
    org: Org, page_for: Any
) -> None:
    # given: the org's building and a neighbour 70 m east, another 700 m east
    placed_org(org)
    near = place(BuildingFactory(community=org.community), (HERE[0] + 0.001, HERE[1]))
    far = place(BuildingFactory(community=org.community), (HERE[0] + 0.01, HERE[1]))
    page = page_for(org.crew_leader.username)
    page.goto("/incidents/new/")
    page.wait_for_function("document.getElementById('incident-map').dataset.buildings === '4'")
    page.evaluate(f"() => window.heatlineIncidentMap.map.setView([{HERE[1]}, {HERE[0] + 0.0005}], 17)")
    page.wait_for_timeout(300)

    # when: a square is drawn around the first two buildings by clicks and a double click
    page.locator("#incident-map").scroll_into_view_if_needed()
    box = page.locator("#incident-map").bounding_box()
    corners = page.evaluate(
        """([lat, west, east]) => {
            const m = window.heatlineIncidentMap.map, d = 0.0004;
            return [[lat - d, west - 0.0006], [lat - d, east + 0.0006], [lat + d, east + 0.0006], [lat + d, west - 0.0006]]
              .map(([a, b]) => m.latLngToContainerPoint([a, b])).map(p => [p.x, p.y]); }""",
        [HERE[1], HERE[0], HERE[0] + 0.001],
    )
    page.click("#incident-map-draw")
    for x, y in corners[:-1]:
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(350)  # clicks far enough apart not to be a double click
    last = corners[-1]
    page.mouse.dblclick(box["x"] + last[0], box["y"] + last[1])
    page.wait_for_function("document.getElementById('incident-map').dataset.inside === '2'")
    page.fill("#id_title", "地图划定停热")
    screenshot(page, "map-incident-area")
    with page.expect_navigation():
        page.click("form.panel button[type=submit]")

    # then
    incident = Incident.objects.get(title="地图划定停热")
    assert set(incident.buildings.values_list("pk", flat=True)) == {org.building.pk, near.pk}
    assert far.pk not in set(incident.buildings.values_list("pk", flat=True))
    assert incident.area is not None and incident.area["type"] == "Polygon"
