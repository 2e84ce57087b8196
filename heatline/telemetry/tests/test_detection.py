"""Detection (issue 19): cold rooms → watch list and visit, stations under their curve, dead sensors."""

import datetime as dt

import pytest
import time_machine

from heatline.core.models import AuditEvent, HeatingSeason
from heatline.outbox.models import Outbox
from heatline.proactive.models import EntrySource, EntryStatus, WatchEntry
from heatline.registry.models import Building
from heatline.registry.tests.factories import Org
from heatline.telemetry.detection import (
    curve_supply,
    dead_detect,
    detect_all,
    station_detect,
)
from heatline.telemetry.models import (
    Alert,
    AlertKind,
    HourlyReading,
    Sensor,
    SensorKind,
    StationCurve,
)
from heatline.telemetry.tests.helpers import (
    NOW,
    hourly,
    hours_before,
    outdoor_sensor,
    room_sensor,
    station_readings,
    timezone_local,
)

pytestmark = pytest.mark.django_db


def test_three_cold_hours_in_a_row_open_one_alert_and_a_telemetry_visit(
    org: Org, season: HeatingSeason
) -> None:
    sensor = room_sensor(org)
    hourly(sensor, [21.0, 19.5, 18.2, 17.9])
    org.district.responsible = org.responsible
    org.district.save()
    with time_machine.travel(NOW, tick=False):
        result = detect_all(now=NOW)
    assert result.cold_opened == 1
    alert = Alert.objects.get(kind=AlertKind.ROOM_COLD)
    assert alert.household_id == org.household.pk
    assert alert.district_id == org.district.pk
    assert alert.ended_at is None
    assert alert.value == 17.9
    assert timezone_local(alert.started_at).hour == 6  # the first of the three cold hours (06:00–07:00)
    entry = WatchEntry.objects.get(season=season, household=org.household)
    assert entry.source == EntrySource.TELEMETRY
    assert entry.status == EntryStatus.PLANNED
    assert entry.priority == 1
    # Visited first: tomorrow, the booking call today (第四条.2), by the district's field worker.
    assert entry.planned_for == dt.date(2026, 12, 9) and entry.booking_due_on == dt.date(2026, 12, 8)
    assert entry.assignee == org.worker
    assert alert.watch_entry_id == entry.pk
    assert AuditEvent.objects.filter(object_type="telemetry.alert", action="alert_open").count() == 1
    notes = Outbox.objects.filter(topic="notify", payload__recipient=org.responsible.pk)
    assert notes.count() == 1


def test_two_cold_hours_or_a_gap_are_not_an_episode(org: Org, season: HeatingSeason) -> None:
    hourly(room_sensor(org), [19.0, 19.0, None, 19.0, 19.0])  # the gap: a dead hour is never cold
    with time_machine.travel(NOW, tick=False):
        assert detect_all(now=NOW).cold_opened == 0
    assert not Alert.objects.filter(kind=AlertKind.ROOM_COLD).exists()
    assert not WatchEntry.objects.exists()


def test_running_again_and_a_longer_episode_raise_nothing_new(org: Org, season: HeatingSeason) -> None:
    sensor = room_sensor(org)
    hourly(sensor, [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
        detect_all(now=NOW)
    later = NOW + dt.timedelta(hours=5)
    HourlyReading.objects.bulk_create(
        [HourlyReading(sensor=sensor, hour=h, count=6, celsius=17.0) for h in hours_before(5, end=later)]
    )
    with time_machine.travel(later, tick=False):
        assert detect_all(now=later).cold_opened == 0
    assert Alert.objects.filter(kind=AlertKind.ROOM_COLD).count() == 1


def test_recovery_closes_the_alert_with_a_note_and_a_new_episode_is_a_new_alert(
    org: Org, season: HeatingSeason
) -> None:
    sensor = room_sensor(org)
    hourly(sensor, [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
    warm_at = NOW + dt.timedelta(hours=1)
    HourlyReading.objects.create(sensor=sensor, hour=hours_before(1, end=warm_at)[0], count=6, celsius=20.6)
    with time_machine.travel(warm_at, tick=False):
        assert detect_all(now=warm_at).cold_closed == 1
    alert = Alert.objects.get(kind=AlertKind.ROOM_COLD)
    assert alert.ended_at is not None
    assert "20.6" in alert.close_note
    cold_again = warm_at + dt.timedelta(hours=4)
    HourlyReading.objects.bulk_create(
        [HourlyReading(sensor=sensor, hour=h, count=6, celsius=18.5) for h in hours_before(3, end=cold_again)]
    )
    with time_machine.travel(cold_again, tick=False):
        assert detect_all(now=cold_again).cold_opened == 1
    assert Alert.objects.filter(kind=AlertKind.ROOM_COLD).count() == 2
    assert WatchEntry.objects.filter(household=org.household).count() == 1  # one entry, one season


def test_a_dead_sensor_keeps_the_cold_alert_open_and_shows_as_dead(org: Org, season: HeatingSeason) -> None:
    sensor = room_sensor(org)
    hourly(sensor, [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
    silent = NOW + dt.timedelta(hours=7)  # no reading since NOW − 5 min
    with time_machine.travel(silent, tick=False):
        result = detect_all(now=silent)
    assert result.cold_closed == 0
    assert result.dead_opened == 1
    dead = Alert.objects.get(kind=AlertKind.SENSOR_DEAD)
    assert dead.sensor_id == sensor.pk and dead.household_id == org.household.pk
    assert Alert.objects.get(kind=AlertKind.ROOM_COLD).ended_at is None
    # Reporting again ends the dead alert.
    sensor.last_reading_at = silent
    sensor.save()
    with time_machine.travel(silent, tick=False):
        assert dead_detect(now=silent) == (0, 1)


def test_colder_than_the_design_temperature_raises_no_alert(org: Org, season: HeatingSeason) -> None:
    outdoor_sensor(-33.0, hours=hours_before(4))
    hourly(room_sensor(org), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        result = detect_all(now=NOW)
    assert result.cold_opened == 0
    assert result.skipped_design == 1


def test_outdoor_above_the_design_temperature_keeps_the_rule(org: Org, season: HeatingSeason) -> None:
    outdoor_sensor(-20.0, hours=hours_before(4))
    hourly(room_sensor(org), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        assert detect_all(now=NOW).cold_opened == 1
    assert Alert.objects.get(kind=AlertKind.ROOM_COLD).outdoor == -20.0


def test_a_household_on_the_list_already_keeps_its_entry(org: Org, season: HeatingSeason) -> None:
    from heatline.proactive.services import watch_entry_add

    entry = watch_entry_add(season=season, household=org.household, reason="老人独居", by=org.admin)
    WatchEntry.objects.filter(pk=entry.pk).update(planned_for=dt.date(2026, 12, 20))  # far down the calendar
    hourly(room_sensor(org), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
    entry.refresh_from_db()
    assert entry.source == EntrySource.MANUAL  # still open: telemetry attaches, does not replace
    assert entry.planned_for == dt.date(2026, 12, 9)  # but the visit comes forward to tomorrow
    assert Alert.objects.get(kind=AlertKind.ROOM_COLD).watch_entry_id == entry.pk


def test_curve_is_a_line_between_design_and_base_and_flat_beyond() -> None:
    line = {"design": -30.0, "base": 5.0, "supply_at_design": 85.0, "supply_at_base": 45.0}
    assert curve_supply(-30.0, **line) == 85.0
    assert curve_supply(5.0, **line) == 45.0
    assert curve_supply(-12.5, **line) == pytest.approx(65.0)
    assert curve_supply(-40.0, **line) == 85.0
    assert curve_supply(12.0, **line) == 45.0


def test_station_under_its_curve_raises_an_alert_since_the_first_low_reading(org: Org) -> None:
    outdoor_sensor(-12.5, hours=hours_before(2))  # curve: 65.3 ℃, tolerance 5 ℃
    sensor = Sensor.objects.create(code="ST-1", kind=SensorKind.STATION, station=org.station)
    station_readings(sensor, [66.0, 64.0, 58.0, 57.5, 57.0])  # low since 08:45
    with time_machine.travel(NOW, tick=False):
        assert station_detect(now=NOW) == (1, 0)
        assert station_detect(now=NOW) == (0, 0)  # one alert per episode
    alert = Alert.objects.get(kind=AlertKind.STATION_SUPPLY_LOW)
    assert alert.station_id == org.station.pk
    assert timezone_local(alert.started_at).strftime("%H:%M") == "08:45"
    assert alert.expected == 65.3 and alert.value == 57.0  # design −29.5 ℃, base 5 ℃: 85…45 ℃
    fed = set(Building.objects.filter(station=org.station).values_list("district_id", flat=True))
    assert alert.district_id in fed
    # Back on the curve: closed with a note.
    later = NOW + dt.timedelta(minutes=10)
    station_readings(sensor, [64.0], end=later)
    with time_machine.travel(later, tick=False):
        assert station_detect(now=later) == (0, 1)
    alert.refresh_from_db()
    assert alert.ended_at is not None and "64.0" in alert.close_note


def test_station_curve_of_its_own_and_a_short_dip(org: Org) -> None:
    outdoor_sensor(-12.5, hours=hours_before(2))
    StationCurve.objects.create(station=org.station, supply_at_design_c=70.0, supply_at_base_c=40.0)  # 55.2 ℃
    sensor = Sensor.objects.create(code="ST-1", kind=SensorKind.STATION, station=org.station)
    station_readings(sensor, [58.0, 57.0, 56.0])  # under the default curve, above this station's
    with time_machine.travel(NOW, tick=False):
        assert station_detect(now=NOW) == (0, 0)
    station_readings(sensor, [45.0], end=NOW + dt.timedelta(minutes=5))  # one low reading: a dip
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert station_detect(now=NOW + dt.timedelta(minutes=5)) == (0, 0)


def test_without_outdoor_sensors_the_forecast_decides_the_design_rule(
    org: Org, season: HeatingSeason
) -> None:
    from heatline.weather.models import WeatherDay

    WeatherDay.objects.create(
        date=NOW.date(), forecast_mean_c=-31.0, forecast_low_c=-36.0, forecast_high_c=-26.0
    )
    hourly(room_sensor(org), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        result = detect_all(now=NOW)
    assert (result.cold_opened, result.skipped_design) == (0, 1)
    WeatherDay.objects.filter(date=NOW.date()).update(forecast_mean_c=-24.0)
    with time_machine.travel(NOW, tick=False):
        assert detect_all(now=NOW).cold_opened == 1


def test_an_episode_seen_only_after_it_ended_is_stored_closed_and_still_visited(
    org: Org, season: HeatingSeason
) -> None:
    hourly(room_sensor(org), [18.0, 18.0, 18.0, 18.5, 20.5])  # cold 04:00–08:00, back at 08:00
    with time_machine.travel(NOW, tick=False):
        result = detect_all(now=NOW)
        again = detect_all(now=NOW)
    assert (result.cold_opened, again.cold_opened) == (1, 0)
    alert = Alert.objects.get(kind=AlertKind.ROOM_COLD)
    assert alert.ended_at is not None and timezone_local(alert.ended_at).hour == 8
    assert WatchEntry.objects.get(household=org.household).source == EntrySource.TELEMETRY


def test_a_rebuild_of_the_list_keeps_the_homes_sensors_found_cold(org: Org, season: HeatingSeason) -> None:
    from heatline.proactive.services import watchlist_build

    hourly(room_sensor(org), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
        watchlist_build(season=season, by=org.admin)
    entry = WatchEntry.objects.get(household=org.household)
    assert entry.source == EntrySource.TELEMETRY
    assert Alert.objects.get(kind=AlertKind.ROOM_COLD).watch_entry_id == entry.pk
