"""Fixtures of the telemetry tests: a heating season, and a station under its curve with its alert."""

import datetime as dt

import pytest
import time_machine

from heatline.core.models import HeatingSeason
from heatline.registry.tests.factories import Org
from heatline.telemetry.detection import detect_all
from heatline.telemetry.models import Alert, AlertKind, Sensor, SensorKind
from heatline.telemetry.tests.helpers import NOW, outdoor_sensor, station_readings


@pytest.fixture
def season() -> HeatingSeason:
    return HeatingSeason.objects.create(
        year=2026, first_heating_day=dt.date(2026, 10, 20), last_day=dt.date(2027, 4, 20)
    )


@pytest.fixture
def station_low(org: Org) -> Alert:
    outdoor_sensor(-12.5, hours=[NOW.replace(minute=0) - dt.timedelta(hours=1)])
    sensor = Sensor.objects.create(code="ST-1", kind=SensorKind.STATION, station=org.station)
    station_readings(sensor, [66.0, 58.0, 57.5, 57.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
    return Alert.objects.get(kind=AlertKind.STATION_SUPPLY_LOW)
