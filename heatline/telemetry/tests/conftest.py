"""Fixtures of the telemetry tests: the ingest's sensors and gateway times, a heating season, and a
station under its curve with its alert."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from heatline.core.models import HeatingSeason
from heatline.registry.tests.factories import Org
from heatline.telemetry.detection import detect_all
from heatline.telemetry.models import Alert, AlertKind, Sensor, SensorKind
from heatline.telemetry.tests.factories import SensorFactory
from heatline.telemetry.tests.helpers import NOW, outdoor_sensor, station_readings

TZ = ZoneInfo("Asia/Shanghai")
# A Sunday morning of the season; every test passes `now` or travels here, never reads today's date.
T0 = dt.datetime(2026, 12, 6, 8, 30, tzinfo=TZ)


@pytest.fixture
def sensors(db: None) -> dict[str, Sensor]:
    return {
        "room": SensorFactory(code="S-0001", kind=SensorKind.ROOM, installed_on=dt.date(2026, 11, 20)),
        "room2": SensorFactory(code="S-0002", kind=SensorKind.ROOM),
        "station": SensorFactory(code="ST-01", kind=SensorKind.STATION),
        "meter": SensorFactory(code="M-01", kind=SensorKind.METER),
        "outdoor": SensorFactory(code="O-01", kind=SensorKind.OUTDOOR),
        "removed": SensorFactory(code="S-0900", kind=SensorKind.ROOM, removed_on=dt.date(2026, 12, 1)),
        "new": SensorFactory(code="S-0901", kind=SensorKind.ROOM, installed_on=dt.date(2026, 12, 7)),
    }


def at(minutes: float = 0, *, base: dt.datetime = T0) -> str:
    """An ISO time `minutes` after T0 (negative: before), as a gateway sends it."""
    return (base + dt.timedelta(minutes=minutes)).isoformat()


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
