"""The refund rule may count room sensors' daily means where the utility sets `refund_uses_sensors`."""

import datetime as dt
from decimal import Decimal

import pytest

from heatline.core.models import HeatingSeason, RuleSetting
from heatline.proactive.refunds import exposure_for
from heatline.registry.tests.factories import Org
from heatline.telemetry.models import HourlyReading
from heatline.telemetry.tests.helpers import TZ, room_sensor

pytestmark = pytest.mark.django_db


def day_of(sensor, day: dt.date, celsius: float, hours: int = 24) -> None:  # type: ignore[no-untyped-def]
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    HourlyReading.objects.bulk_create(
        [
            HourlyReading(sensor=sensor, hour=start + dt.timedelta(hours=h), count=6, celsius=celsius)
            for h in range(hours)
        ]
    )


def test_sensor_days_count_only_when_the_utility_says_so(org: Org) -> None:
    season = HeatingSeason.objects.create(
        year=2026, first_heating_day=dt.date(2026, 10, 20), last_day=dt.date(2027, 4, 20)
    )
    bedroom, kitchen = room_sensor(org, "S-1", room="卧室"), room_sensor(org, "S-2", room="厨房")
    day_of(bedroom, dt.date(2026, 12, 1), 18.0)  # 16–20 ℃: half a day
    day_of(kitchen, dt.date(2026, 12, 1), 21.0)  # the coldest room counts
    day_of(bedroom, dt.date(2026, 12, 2), 15.0)  # under 16 ℃: the whole day
    day_of(bedroom, dt.date(2026, 12, 3), 10.0, hours=12)  # half a day of data: not a measured day
    day_of(bedroom, dt.date(2026, 12, 4), 20.5)
    assert exposure_for(season=season, household_ids=[org.household.pk]) == {}
    RuleSetting.objects.create(key="refund_uses_sensors", value=Decimal(1))
    exposure = exposure_for(season=season, household_ids=[org.household.pk])[org.household.pk]
    assert (exposure.days_measured, exposure.days_half, exposure.days_full) == (3, 1, 1)
    assert exposure.refund_days == Decimal("1.5")
