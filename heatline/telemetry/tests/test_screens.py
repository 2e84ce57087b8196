"""What staff see of live data (issue 19): the caller's readings on the intake panel, the pop-up and the
request page; the station note and its one-click incident; the alerts page, scoped."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from heatline.core.models import AuditEvent
from heatline.incidents.models import Incident
from heatline.integrations.cti.services import CallEvent, call_event_record
from heatline.registry.models import Building, Household
from heatline.registry.tests.factories import Org
from heatline.requests.tests.factories import registered_request
from heatline.telemetry.models import Alert, AlertKind, HourlyReading, SensorReading
from heatline.telemetry.selectors import household_live
from heatline.telemetry.tests.helpers import (
    NOW,
    TZ,
    cold_in_two_districts,
    room_sensor,
    week_of_readings,
)

pytestmark = pytest.mark.django_db


def test_household_live_has_the_week_chart_the_rooms_the_station_and_the_outdoor(
    org: Org, station_low: Alert
) -> None:
    week_of_readings(room_sensor(org), cold_from_hour=2)
    live = household_live(household_id=org.household.pk, station_id=org.station.pk, now=NOW)
    assert [s.celsius for s in live.sensors] == [17.0]
    assert live.low == 17.0 and live.high == 21.5
    assert len(live.points.split()) == 7 * 24  # one point an hour
    assert live.station is not None and live.station.supply_c == 57.0 and live.station.return_c == 42.0
    assert live.station.alert == station_low
    assert live.outdoor is not None and live.outdoor[0] == -12.5


def test_the_intake_panel_shows_readings_and_the_station_note_with_one_click_incident(
    org: Org, client: Client, station_low: Alert
) -> None:
    week_of_readings(room_sensor(org, room="客厅"))
    client.force_login(org.operator)
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"/intake/?caller={org.household.phone}").content.decode()
    assert 'data-testid="household-live"' in html
    assert "客厅 21.5℃" in html
    assert "换热站供水温度偏低" in html and "自 08:45 起" in html
    assert "<polyline" in html
    assert f"/telemetry/alerts/{station_low.pk}/incident/" in html
    # One click: the incident on the station, its buildings from the register; the alert points to it.
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/telemetry/alerts/{station_low.pk}/incident/")
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.station_id == org.station.pk
    assert incident.households_affected == Household.objects.filter(building__station=org.station).count()
    station_low.refresh_from_db()
    assert station_low.incident_id == incident.pk
    assert AuditEvent.objects.filter(object_type="telemetry.alert", action="alert_incident").exists()
    # A second click opens nothing more.
    with time_machine.travel(NOW, tick=False):
        client.post(f"/telemetry/alerts/{station_low.pk}/incident/")
    assert Incident.objects.count() == 1


def test_a_manager_reads_the_note_but_opens_no_incident(org: Org, client: Client, station_low: Alert) -> None:
    client.force_login(org.manager)
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/telemetry/alerts/{station_low.pk}/incident/")
    assert response.status_code == 302
    assert not Incident.objects.exists()


def test_the_call_pop_up_and_the_request_page_show_the_readings(org: Org, client: Client) -> None:
    sensor = room_sensor(org)
    week_of_readings(sensor)
    sensor.last_reading_at = NOW - dt.timedelta(hours=8)  # silent for 8 h: 离线, never "cold"
    sensor.save()
    with time_machine.travel(NOW, tick=False):
        call = call_event_record(
            event=CallEvent(
                call_id="C1", event="ringing", caller=org.household.phone, agent=org.operator.username, at=NOW
            ),
            by=org.admin,
        )
        service_request = registered_request(org)
        client.force_login(org.operator)
        popup = client.get(f"/integrations/calls/{call.pk}/popup/").content.decode()
        detail = client.get(f"/requests/{service_request.number}/").content.decode()
    assert "离线" in popup and "<polyline" in popup
    assert "离线" in detail and "近7天室温" in detail


def test_the_alerts_page_is_scoped_to_the_viewers_districts(org: Org, client: Client) -> None:
    other = cold_in_two_districts(org)
    assert Alert.objects.filter(kind=AlertKind.ROOM_COLD).count() == 2
    client.force_login(org.responsible)
    html = client.get("/telemetry/").content.decode()
    assert org.household.account_number in html and other.account_number not in html
    client.force_login(org.operator)
    html = client.get("/telemetry/?kind=room_cold").content.decode()
    assert org.household.account_number in html and other.account_number in html
    alert = Alert.objects.get(household=other)
    client.force_login(org.responsible)
    assert client.post(f"/telemetry/alerts/{alert.pk}/incident/").status_code == 404


def test_a_station_alert_shows_to_the_districts_it_feeds(
    org: Org, client: Client, station_low: Alert
) -> None:
    fed = set(Building.objects.filter(station=org.station).values_list("district_id", flat=True))
    client.force_login(org.responsible)
    html = client.get("/telemetry/?kind=supply_low").content.decode()
    assert (org.station.name in html) == (org.district.pk in fed)
    assert HourlyReading.objects.exists() and SensorReading.objects.exists()
    assert TZ is not None


def test_the_report_section_counts_alerts_of_the_period_and_the_visits(org: Org, client: Client) -> None:
    import datetime as _dt

    from heatline.core.models import HeatingSeason
    from heatline.reports import sections
    from heatline.reports.selectors import ReportFilter

    HeatingSeason.objects.create(
        year=2026, first_heating_day=_dt.date(2026, 10, 20), last_day=_dt.date(2027, 4, 20)
    )
    cold_in_two_districts(org)
    alert = Alert.objects.get(household=org.household)
    assert alert.watch_entry is not None
    alert.watch_entry.visited_at = alert.started_at + _dt.timedelta(hours=26)
    alert.watch_entry.save()
    flt = ReportFilter(date_from=_dt.date(2026, 12, 1), date_to=_dt.date(2026, 12, 31))
    every = sections.sections_for(flt=flt, viewer=org.manager, now=NOW)["telemetry"]
    assert (every["cold_alerts"], every["watched"], every["visited"]) == (2, 2, 1)
    assert every["median_hours_to_visit"] == 26.0
    own = sections.sections_for(flt=flt, viewer=org.responsible, now=NOW)["telemetry"]
    assert (own["cold_alerts"], own["watched"]) == (1, 1)
    earlier = ReportFilter(date_from=_dt.date(2026, 11, 1), date_to=_dt.date(2026, 11, 30))
    assert sections.sections_for(flt=earlier, viewer=org.manager, now=NOW)["telemetry"]["cold_alerts"] == 0
