"""Writes of weather: a forecast file's rows, a provider's forecast, observed days from outdoor sensors, an
administrator's edit. Each writes in one transaction and leaves an audit event."""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from heatline.core.audit import audit_record, audit_record_of
from heatline.core.tabular import ImportReport, Progress
from heatline.weather.forecast import (
    Forecast,
    ForecastDay,
    ForecastError,
    Opener,
    fetch,
    file_parse,
    qweather_parse,
)
from heatline.weather.models import WeatherDay, WeatherFetch

log = logging.getLogger(__name__)

FILE_SOURCE = "file"
SENSORS_SOURCE = "sensors"
FORECAST_FIELDS = ("forecast_mean_c", "forecast_low_c", "forecast_high_c", "forecast_at", "forecast_source")
OBSERVED_FIELDS = ("observed_mean_c", "observed_low_c", "observed_source")


def _values(day: ForecastDay, *, issued_at: dt.datetime, source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if day.mean_c is not None or day.low_c is not None or day.high_c is not None:
        values.update(
            forecast_mean_c=day.mean_c,
            forecast_low_c=day.low_c,
            forecast_high_c=day.high_c,
            forecast_at=issued_at,
            forecast_source=source,
        )
    if day.observed_mean_c is not None:
        values.update(
            observed_mean_c=day.observed_mean_c,
            observed_low_c=day.observed_low_c if day.observed_low_c is not None else day.low_c,
            observed_source=source,
        )
    return values


def _write_days(
    days: Sequence[ForecastDay], *, issued_at: dt.datetime, source: str, report: ImportReport
) -> None:
    """Create or update one WeatherDay per day; unchanged rows are counted, not written."""
    existing = WeatherDay.objects.in_bulk([day.date for day in days], field_name="date")
    for day in days:
        values = _values(day, issued_at=issued_at, source=source)
        row = existing.get(day.date)
        if row is None:
            WeatherDay.objects.create(date=day.date, **values)
            report.created["逐日气温"] += 1
            continue
        changed = {
            name: value
            for name, value in values.items()
            if name not in ("forecast_at",) and getattr(row, name) != value
        }
        if not changed:
            report.unchanged += 1
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=[*values, "updated_at"])
        report.updated["逐日气温"] += 1


def weather_import(
    *,
    content: bytes,
    file_name: str,
    commit: bool,
    by: Any = None,
    progress: Progress | None = None,
) -> ImportReport:
    """`heatline weather-import`: a forecast file (日期, 最低气温, 最高气温[, 日均气温, 实测日均气温,
    实测最低气温]). Every row is checked first; while any row is wrong nothing is written (all or
    nothing). Observed columns fill the observed temperature of past days."""
    days, report = file_parse(content=content, file_name=file_name, progress=progress)
    if days:
        report.span = (min(d.date for d in days), max(d.date for d in days))
    if not report.ok or not commit:
        if report.ok:
            existing = set(
                WeatherDay.objects.filter(date__in=[d.date for d in days]).values_list("date", flat=True)
            )
            report.created["逐日气温"] = sum(1 for d in days if d.date not in existing)
            report.updated["逐日气温"] = len(days) - report.created["逐日气温"]
        return report
    with transaction.atomic():
        _write_days(days, issued_at=timezone.now(), source=FILE_SOURCE, report=report)
        report.committed = True
        audit_record_of(
            by=by,
            object_type="weather.weatherday",
            object_id=file_name[:64],
            action="import",
            extra={
                "rows": report.rows,
                "created": dict(report.created),
                "updated": dict(report.updated),
                "span": [report.span[0].isoformat(), report.span[1].isoformat()] if report.span else None,
            },
        )
    return report


@dataclass(frozen=True)
class FetchResult:
    is_ok: bool
    days: int
    error: str
    forecast: Forecast | None


def weather_fetch(*, now: dt.datetime, opener: Opener | None = None, by: Any = None) -> FetchResult:
    """`heatline weather-fetch` and the worker: GET the provider's daily forecast and store it. A failed
    fetch (HTTP error, code ≠ 200, malformed JSON, a bad day) changes no day: the previous forecast stays;
    the attempt and its error are recorded (WeatherFetch) and logged."""
    try:
        body = fetch(
            url=settings.HEATLINE_WEATHER_URL,
            key=settings.HEATLINE_WEATHER_KEY,
            location=settings.HEATLINE_WEATHER_LOCATION,
            timeout=settings.HEATLINE_WEATHER_TIMEOUT,
            opener=opener,
        )
        forecast = qweather_parse(body)
    except ForecastError as error:
        log.warning("weather fetch failed: %s", error.message)
        WeatherFetch.objects.create(at=now, is_ok=False, error=error.message[:500], source="qweather")
        return FetchResult(is_ok=False, days=0, error=error.message, forecast=None)
    report = ImportReport()
    with transaction.atomic():
        _write_days(forecast.days, issued_at=forecast.issued_at or now, source=forecast.source, report=report)
        WeatherFetch.objects.create(at=now, is_ok=True, days=len(forecast.days), source=forecast.source)
        audit_record_of(
            by=by,
            object_type="weather.weatherday",
            object_id=forecast.source,
            action="fetch",
            extra={
                "days": [d.date.isoformat() for d in forecast.days],
                "created": dict(report.created),
                "updated": dict(report.updated),
            },
        )
    return FetchResult(is_ok=True, days=len(forecast.days), error="", forecast=forecast)


def observed_fill(*, start: dt.date, end: dt.date) -> int:
    """Observed outdoor temperature of [start, end] from the outdoor sensors' hourly readings. A day whose
    observed value came from a file or an administrator keeps it (people's data wins over the sensors');
    a day filled from sensors before is refreshed. Returns the days written."""
    from heatline.telemetry.selectors import outdoor_daily_means

    means = outdoor_daily_means(start, end)
    if not means:
        return 0
    written = 0
    with transaction.atomic():
        rows = WeatherDay.objects.select_for_update().in_bulk(list(means), field_name="date")
        for date, (mean, low) in sorted(means.items()):
            mean, low = round(mean, 1), round(low, 1)
            row = rows.get(date)
            if row is None:
                WeatherDay.objects.create(
                    date=date, observed_mean_c=mean, observed_low_c=low, observed_source=SENSORS_SOURCE
                )
                written += 1
            elif row.observed_source in ("", SENSORS_SOURCE) and (
                row.observed_mean_c != mean
                or row.observed_low_c != low
                or row.observed_source != SENSORS_SOURCE
            ):
                row.observed_mean_c, row.observed_low_c, row.observed_source = mean, low, SENSORS_SOURCE
                row.save(update_fields=[*OBSERVED_FIELDS, "updated_at"])
                written += 1
        if written:
            audit_record_of(
                by=None,
                object_type="weather.weatherday",
                object_id=SENSORS_SOURCE,
                action="observed_fill",
                extra={"start": start.isoformat(), "end": end.isoformat(), "days": written},
            )
    return written


def weather_day_save(*, day: WeatherDay, by: Any, changed: Sequence[str], is_new: bool) -> WeatherDay:
    """An administrator's edit of one day (admin): saved with an audit event listing the new values."""
    with transaction.atomic():
        day.save()
        audit_record(
            by=by,
            obj=day,
            action="create" if is_new else "change",
            extra={name: _jsonable(getattr(day, name)) for name in changed},
        )
    return day


def weather_day_delete(*, day: WeatherDay, by: Any) -> None:
    with transaction.atomic():
        audit_record(by=by, obj=day, action="delete", extra={"date": day.date.isoformat()})
        day.delete()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
