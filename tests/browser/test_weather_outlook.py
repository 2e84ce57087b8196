"""The cold-snap outlook in a real browser (issue 19): the dashboard's panel with its table and its ECharts
line of actual vs predicted calls, and the wall screen's compact panel."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from heatline.registry.tests.factories import Org
from heatline.weather.tests.factories import forecast, heating_requests, observed
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_dashboard_and_the_wall_show_the_outlook(org: Org, page_for: Any) -> None:
    # given: 20 past days of history and a 3-day forecast, relative to the real (or faked) today
    today = timezone.localdate()
    for i in range(20):
        day = today - dt.timedelta(days=20 - i)
        observed(day, -5.0 - i)
        heating_requests(district=org.district, day=day, n=3 + 2 * i)
    for i in range(1, 4):
        forecast(today + dt.timedelta(days=i), -15.0 - i)
    page = page_for(org.manager.username)

    # when
    page.goto("/reports/")

    # then
    panel = page.locator("#weather-outlook")
    panel.wait_for()
    assert "江北片区" in panel.locator("#outlook-table").inner_text()
    page.locator("#chart-outlook canvas").first.wait_for()  # ECharts drew the past 14 days
    screenshot(page, "weather-outlook-dashboard")

    # when
    page.goto("/reports/wall/")

    # then
    assert page.locator("#weather-outlook #outlook-table").is_visible()
    assert "±" in page.locator("#outlook-error").inner_text()
    screenshot(page, "weather-outlook-wall")
