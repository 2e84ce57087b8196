"""Demo weather: a plausible Heihe winter for every day of the demo's request history (observed), and a
3-day forecast from the demo's today. The cold waves follow the same deterministic waves that make the
demo's requests peak (`requests.demo._cold`), so the outlook finds calls rising with the cold."""

import datetime as dt
import math
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from heatline.requests.demo import _cold
from heatline.weather.models import WeatherDay

DEMO_SOURCE = "demo"


def demo_mean_c(day: dt.date, rng: random.Random) -> tuple[float, float, float]:
    """(mean, low, high) of a day: Heihe's yearly curve (about −25 ℃ in mid-January, around 0 ℃ at the
    start of October and the end of March), colder by up to 7 ℃ in the demo's cold waves, ± noise."""
    doy = day.timetuple().tm_yday
    climate = -4.0 - 21.0 * math.cos(2 * math.pi * (doy - 18) / 365.25)
    mean = climate - 5.5 * (_cold(day) - 1.0) + rng.gauss(0, 2.0)
    mean = round(max(-38.0, min(18.0, mean)), 1)
    spread = rng.uniform(7.0, 12.0)
    low, high = round(mean - spread * 0.55), round(mean + spread * 0.45)
    return mean, float(low), float(high)


def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if WeatherDay.objects.exists():
        progress("weather: already there, nothing added")
        return
    today = timezone.localdate()
    season_start = dt.date(today.year if today.month >= 9 else today.year - 1, 10, 1)
    first = season_start.replace(year=season_start.year - 1)
    now = timezone.now()
    rows: list[WeatherDay] = []
    day = first
    while day <= today + dt.timedelta(days=3):
        mean, low, high = demo_mean_c(day, rng)
        row = WeatherDay(date=day)
        if day < today - dt.timedelta(days=1):  # the demo's request history ends the day before yesterday
            row.observed_mean_c, row.observed_low_c, row.observed_source = mean, low, DEMO_SOURCE
        if day >= today - dt.timedelta(days=14):
            # The forecast made for the last two weeks and the next 3 days (a little off the observed).
            error = rng.gauss(0, 1.5) if day < today else 0.0
            row.forecast_mean_c = round(mean + error, 1)
            row.forecast_low_c, row.forecast_high_c = round(low + error), round(high + error)
            row.forecast_at, row.forecast_source = now, DEMO_SOURCE
        rows.append(row)
        day += dt.timedelta(days=1)
    with transaction.atomic():
        WeatherDay.objects.bulk_create(rows, batch_size=1000)
    progress(
        f"weather: {len(rows)} days from {first} (observed to the day before yesterday, forecast to {today + dt.timedelta(days=3)})"
    )
