"""Reads of live data: what the screens, detection and the outlook ask of the readings."""

import datetime as dt
from collections import defaultdict

from django.db.models import Avg, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from heatline.telemetry.models import HourlyReading, SensorKind


def outdoor_daily_means(start: dt.date, end: dt.date) -> dict[dt.date, tuple[float, float]]:
    """Observed outdoor temperature per local day in [start, end]: (mean, lowest hour) over every outdoor
    sensor's hourly means. Days without a reading are absent."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        HourlyReading.objects.filter(
            sensor__kind=SensorKind.OUTDOOR, hour__gte=since, hour__lt=until, celsius__isnull=False
        )
        .annotate(day=TruncDate("hour", tzinfo=tz))
        .values("day")
        .annotate(mean=Avg("celsius"), low=Min("celsius_min"))
        .order_by("day")
    )
    out: dict[dt.date, tuple[float, float]] = defaultdict(lambda: (0.0, 0.0))
    for row in rows:
        out[row["day"]] = (float(row["mean"]), float(row["low"] if row["low"] is not None else row["mean"]))
    return dict(out)
