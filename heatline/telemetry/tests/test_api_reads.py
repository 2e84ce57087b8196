"""The read side of live data in the API: a household's readings, the alerts (scoped), an incident."""

import pytest
import time_machine
from django.test import Client

from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org
from heatline.telemetry.detection import detect_all
from heatline.telemetry.models import Alert, AlertKind
from heatline.telemetry.tests.helpers import NOW, cold_in_two_districts, room_sensor, week_of_readings

pytestmark = pytest.mark.django_db


def bearer(staff) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(staff=staff, name='test')}"}


def test_household_readings_with_hours_station_and_outdoor(
    org: Org, client: Client, station_low: Alert
) -> None:
    week_of_readings(room_sensor(org, room="客厅"), cold_from_hour=3)
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
        body = client.get(
            f"/api/v1/telemetry/households/{org.household.account_number}", **bearer(org.operator)
        ).json()
    (sensor,) = body["sensors"]
    assert sensor["room"] == "客厅" and sensor["celsius"] == 17.0 and sensor["dead"] is False
    assert len(sensor["hours"]) == 7 * 24 and isinstance(sensor["hours"][0]["celsius"], float)
    assert body["cold_alert"]["kind"] == "room_cold"
    assert body["station"]["supply_c"] == 57.0 and body["station"]["alert"]["kind"] == "supply_low"
    assert body["outdoor_c"] == -12.5


def test_alerts_are_scoped_and_a_household_of_another_district_is_404(org: Org, client: Client) -> None:
    other = cold_in_two_districts(org)
    own = client.get("/api/v1/telemetry/alerts?kind=room_cold", **bearer(org.responsible)).json()
    assert [a["account_number"] for a in own] == [org.household.account_number]
    every = client.get("/api/v1/telemetry/alerts?kind=room_cold", **bearer(org.manager)).json()
    assert len(every) == 2
    response = client.get(f"/api/v1/telemetry/households/{other.account_number}", **bearer(org.responsible))
    assert response.status_code == 404


def test_an_incident_from_a_station_alert_once(org: Org, client: Client, station_low: Alert) -> None:
    with time_machine.travel(NOW, tick=False):
        first = client.post(f"/api/v1/telemetry/alerts/{station_low.pk}/incident", **bearer(org.operator))
        again = client.post(f"/api/v1/telemetry/alerts/{station_low.pk}/incident", **bearer(org.operator))
        manager = client.post(f"/api/v1/telemetry/alerts/{station_low.pk}/incident", **bearer(org.manager))
    assert first.status_code == 201 and first.json()["households"] > 0
    assert again.status_code == 409
    assert manager.status_code in (403, 409)
    assert Alert.objects.get(pk=station_low.pk).incident_id == first.json()["incident"]
    assert station_low.kind == AlertKind.STATION_SUPPLY_LOW
