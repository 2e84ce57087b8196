"""Observed days from the outdoor sensors, and `outdoor_today` for detection."""

import datetime as dt

import pytest

from heatline.telemetry.models import HourlyReading, Sensor, SensorKind
from heatline.weather import jobs
from heatline.weather.jobs import observed_from_sensors
from heatline.weather.models import WeatherDay
from heatline.weather.selectors import outdoor_today
from heatline.weather.tests.factories import forecast, observed

TZ = dt.timezone(dt.timedelta(hours=8))


def _hours(sensor: Sensor, day: dt.date, values: list[float]) -> None:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    HourlyReading.objects.bulk_create(
        HourlyReading(
            sensor=sensor,
            hour=start + dt.timedelta(hours=i),
            count=12,
            celsius=v,
            celsius_min=v - 1,
            celsius_max=v + 1,
        )
        for i, v in enumerate(values)
    )


@pytest.mark.django_db
def test_the_job_fills_observed_days_from_outdoor_sensors_and_keeps_a_file_value() -> None:
    # given: two outdoor sensors over two days; the second day already has a value from a file
    jobs._last_observed.clear()
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
    a = Sensor.objects.create(code="OUT-1", kind=SensorKind.OUTDOOR)
    b = Sensor.objects.create(code="OUT-2", kind=SensorKind.OUTDOOR)
    _hours(a, dt.date(2026, 12, 5), [-20.0] * 12 + [-30.0] * 12)
    _hours(b, dt.date(2026, 12, 5), [-24.0] * 24)
    _hours(a, dt.date(2026, 12, 6), [-10.0] * 24)
    observed(dt.date(2026, 12, 6), -12.0)

    # when
    written = observed_from_sensors(now)

    # then
    assert written == 1
    day = WeatherDay.objects.get(date=dt.date(2026, 12, 5))
    assert (day.observed_mean_c, day.observed_low_c, day.observed_source) == (-24.5, -31.0, "sensors")
    assert WeatherDay.objects.get(date=dt.date(2026, 12, 6)).observed_mean_c == -12.0

    # when: again within the hour, and again later (nothing changed)
    assert observed_from_sensors(now + dt.timedelta(minutes=10)) == 0
    assert observed_from_sensors(now + dt.timedelta(hours=2)) == 0


@pytest.mark.django_db
def test_outdoor_today_is_todays_forecast_else_yesterdays_observed() -> None:
    # given
    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=TZ)
    assert outdoor_today(now) is None
    observed(dt.date(2026, 12, 6), -21.0)

    # then
    assert outdoor_today(now) == -21.0

    # when
    forecast(dt.date(2026, 12, 7), -27.5)

    # then
    assert outdoor_today(now) == -27.5
