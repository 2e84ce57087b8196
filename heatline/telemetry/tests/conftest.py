import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from heatline.telemetry.models import Sensor, SensorKind
from heatline.telemetry.tests.factories import SensorFactory

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
