"""Worker jobs of weather: fetch the provider's forecast every few hours (when HEATLINE_WEATHER_URL is set)
and fill the observed temperature of the last days from the outdoor sensors. Both check first whether
their work is due, so running every loop costs a query."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from heatline.core.worker import job
from heatline.weather.models import WeatherFetch
from heatline.weather.services import observed_fill, weather_fetch

OBSERVED_DAYS = 7  # the sensors' last week is re-read (late readings, a gateway catching up)
OBSERVED_EVERY = dt.timedelta(hours=1)


@job("weather_fetch")
def forecast_fetch(now: dt.datetime) -> int:
    """1. Do nothing without HEATLINE_WEATHER_URL. 2. If the last attempt (ok or not) is younger than
    HEATLINE_WEATHER_EVERY_HOURS, do nothing. 3. Fetch and store (a failure keeps the previous forecast and
    is recorded, so the next try waits its turn too). Returns the days stored."""
    if not settings.HEATLINE_WEATHER_URL:
        return 0
    every = dt.timedelta(hours=settings.HEATLINE_WEATHER_EVERY_HOURS)
    if WeatherFetch.objects.filter(at__gt=now - every).exists():
        return 0
    return weather_fetch(now=now).days


_last_observed: dict[str, dt.datetime] = {}


@job("weather_observed")
def observed_from_sensors(now: dt.datetime) -> int:
    """1. At most once an hour per worker process. 2. Fill the observed daily mean and low of the 7 days
    before today from the outdoor sensors (idempotent: unchanged days are not written)."""
    today = timezone.localdate(now)
    last = _last_observed.get("at")
    if last is not None and dt.timedelta(0) <= now - last < OBSERVED_EVERY:
        return 0
    _last_observed["at"] = now
    return observed_fill(start=today - dt.timedelta(days=OBSERVED_DAYS), end=today - dt.timedelta(days=1))
