"""The outlook panel on the dashboard and the wall screen, the API, and who sees which district."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from heatline.registry.tests.factories import Org
from heatline.weather.tests.factories import forecast, heating_requests, observed

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff)
    cache.clear()
    return client


def _data(org: Org) -> None:
    for i in range(20):
        day = TODAY - dt.timedelta(days=20 - i)
        observed(day, -5.0 - i)
        heating_requests(district=org.district, day=day, n=3 + 2 * i)
        heating_requests(district=org.other_district, day=day, n=1 + i)
    forecast(TODAY + dt.timedelta(days=1), -15.0)
    forecast(TODAY + dt.timedelta(days=2), -20.0)
    forecast(TODAY + dt.timedelta(days=3), -25.0)


@pytest.mark.django_db
def test_dashboard_and_wall_show_the_outlook_to_a_manager(org: Org) -> None:
    # given
    _data(org)
    client = _client(org.manager)

    # when
    with time_machine.travel(NOW, tick=False):
        page = client.get("/reports/").content.decode()
        wall = client.get("/reports/wall/").content.decode()

    # then
    for html in (page, wall):
        assert 'id="weather-outlook"' in html and 'id="outlook-table"' in html
        assert "江北片区" in html and "江南片区" in html and "全公司合计" in html
    assert 'id="chart-outlook"' in page and "outlook-data" in page
    assert 'id="outlook-staffing"' in page
    assert 'id="outlook-error"' in wall


@pytest.mark.django_db
def test_district_staff_see_their_district_only_on_the_page_and_in_the_api(org: Org) -> None:
    # given
    _data(org)
    client = _client(org.responsible)

    # when
    with time_machine.travel(NOW, tick=False):
        page = client.get("/reports/").content.decode()
        api = client.get("/api/v1/weather/outlook").json()

    # then
    panel = page[page.index('id="weather-outlook"') :]
    panel = panel[: panel.index("</section>")]
    assert "江北片区" in panel and "江南片区" not in panel and "全公司合计" not in panel
    assert [r["district_id"] for r in api["rows"]] == [org.district.pk]
    assert api["is_company_wide"] is False and api["staffing"] == []
    assert api["total"]["expected"] == api["rows"][0]["expected"]


@pytest.mark.django_db
def test_api_for_a_manager_has_every_district_and_the_company_total(org: Org) -> None:
    # given
    _data(org)

    # when
    with time_machine.travel(NOW, tick=False):
        body = _client(org.operator).get("/api/v1/weather/outlook").json()

    # then
    assert body["state"] == "ok" and body["is_company_wide"] is True
    assert {r["district_id"] for r in body["rows"]} >= {org.district.pk, org.other_district.pk}
    assert body["total"]["expected"][0] == pytest.approx(23 + 11, abs=0.2)
    assert len(body["total"]["backtest"]) == 14


@pytest.mark.django_db
def test_without_a_forecast_the_panel_says_so_and_how_to_load_one(org: Org) -> None:
    # given: history, no forecast
    for i in range(10):
        observed(TODAY - dt.timedelta(days=10 - i), -10.0 - i)
        heating_requests(district=org.district, day=TODAY - dt.timedelta(days=10 - i), n=3)
    client = _client(org.manager)

    # when
    with time_machine.travel(NOW, tick=False):
        page = client.get("/reports/").content.decode()
        wall = client.get("/reports/wall/").content.decode()
        api = client.get("/api/v1/weather/outlook").json()

    # then
    assert 'id="outlook-no-forecast"' in page and "weather-import" in page and "weather-fetch" in page
    assert 'id="outlook-no-forecast"' in wall and 'id="outlook-table"' not in wall
    assert api["state"] == "no_forecast"
