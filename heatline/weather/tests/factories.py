"""Helpers of the weather tests: weather days and heating requests put straight into their tables."""

import datetime as dt
import itertools

from django.utils import timezone

from heatline.registry.models import District
from heatline.requests.models import Category, ServiceRequest, Source, Status
from heatline.weather.models import WeatherDay

_numbers = itertools.count(1)


def heating_requests(
    *, district: District | None, day: dt.date, n: int, code: str = "low_temperature"
) -> None:
    """n heating requests received at 10:00 local time on `day` (history: closed)."""
    category = Category.objects.get(code=code)
    at = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"WX{next(_numbers):08d}",
            source=Source.HOTLINE,
            category=category,
            kind=category.kind,
            nature=category.nature,
            status=Status.CLOSED,
            phone="13900000000",
            content="室温低",
            district=district,
            received_at=at,
            registered_at=at,
        )
        for _ in range(n)
    )


def observed(day: dt.date, mean: float) -> WeatherDay:
    row, _ = WeatherDay.objects.update_or_create(
        date=day, defaults={"observed_mean_c": mean, "observed_low_c": mean - 5, "observed_source": "file"}
    )
    return row


def forecast(day: dt.date, mean: float) -> WeatherDay:
    row, _ = WeatherDay.objects.update_or_create(
        date=day,
        defaults={
            "forecast_mean_c": mean,
            "forecast_low_c": mean - 5,
            "forecast_high_c": mean + 5,
            "forecast_at": timezone.now(),
            "forecast_source": "file",
        },
    )
    return row
