"""Readings and sensors for the telemetry tests, written as the roll-up would leave them."""

import datetime as dt
from zoneinfo import ZoneInfo

from heatline.registry.models import Household
from heatline.registry.tests.factories import Org
from heatline.telemetry.models import HourlyReading, Sensor, SensorKind, SensorReading
from heatline.telemetry.partitions import local_day, partitions_ensure

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 8, 9, 5, tzinfo=TZ)  # the 08:00 hour is the last complete one


def room_sensor(
    org: Org, code: str = "S-0001", household: Household | None = None, room: str = "卧室"
) -> Sensor:
    household = household or org.household
    return Sensor.objects.create(code=code, kind=SensorKind.ROOM, household=household, room=room)


def outdoor_sensor(celsius: float, *, hours: list[dt.datetime]) -> Sensor:
    sensor = Sensor.objects.create(
        code="OUT-1",
        kind=SensorKind.OUTDOOR,
        last_celsius=celsius,
        last_reading_at=NOW - dt.timedelta(minutes=5),
    )
    HourlyReading.objects.bulk_create(
        [HourlyReading(sensor=sensor, hour=h, count=6, celsius=celsius, celsius_min=celsius) for h in hours]
    )
    return sensor


def hours_before(n: int, *, end: dt.datetime = NOW) -> list[dt.datetime]:
    """The n complete hours before `end`, oldest first."""
    last = end.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    return [last - dt.timedelta(hours=i) for i in range(n - 1, -1, -1)]


def hourly(sensor: Sensor, values: list[float | None], *, end: dt.datetime = NOW) -> None:
    """Hourly means for the len(values) complete hours before `end`; None: no reading that hour."""
    rows = [
        HourlyReading(sensor=sensor, hour=hour, count=6, celsius=v, celsius_min=v, celsius_max=v)
        for hour, v in zip(hours_before(len(values), end=end), values, strict=True)
        if v is not None
    ]
    HourlyReading.objects.bulk_create(rows)
    sensor.last_reading_at = NOW - dt.timedelta(minutes=5)
    sensor.save()


def station_readings(sensor: Sensor, values: list[float], *, end: dt.datetime = NOW) -> None:
    """Raw supply readings every 10 minutes up to `end` (the last value at `end`), return 15 ℃ lower."""
    rows = [
        SensorReading(sensor=sensor, at=end - dt.timedelta(minutes=10 * i), supply_c=v, return_c=v - 15)
        for i, v in enumerate(reversed(values))
    ]
    partitions_ensure({local_day(row.at) for row in rows})
    SensorReading.objects.bulk_create(rows)
    sensor.last_reading_at = end
    sensor.save()


def timezone_local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(TZ)


def week_of_readings(sensor: Sensor, *, cold_from_hour: int | None = None) -> None:
    """7 days of hourly means, 21.5 ℃, the last hours at 17 ℃ from `cold_from_hour` hours before NOW."""
    values = [21.5] * (7 * 24)
    if cold_from_hour:
        values[-cold_from_hour:] = [17.0] * cold_from_hour
    hourly(sensor, values)  # type: ignore[arg-type]
    sensor.last_celsius = values[-1]
    sensor.save()


def cold_in_two_districts(org: Org) -> Household:
    """A home of each district cold for three hours, detected at NOW; returns the other district's home."""
    import time_machine

    from heatline.telemetry.detection import detect_all

    other = Household.objects.filter(building__district=org.other_district).first()
    assert other is not None
    hourly(room_sensor(org, "S-A"), [18.0, 18.0, 18.0])
    hourly(room_sensor(org, "S-B", household=other), [18.0, 18.0, 18.0])
    with time_machine.travel(NOW, tick=False):
        detect_all(now=NOW)
    return other
