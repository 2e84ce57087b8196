"""Reads of weather: today's outdoor temperature for detection, the outlook as a viewer may see it."""

import datetime as dt
from typing import Any

from django.utils import timezone

from heatline.registry.models import Staff
from heatline.registry.scoping import visible_district_ids
from heatline.weather.models import WeatherDay
from heatline.weather.outlook import Outlook, OutlookRow, error_figures, outlook_cached


def outdoor_today(now: dt.datetime) -> float | None:
    """Today's outdoor daily mean as far as the weather table knows it: the forecast mean for today (local
    date of `now`), else yesterday's observed mean; None when neither is there. (Observed-so-far from the
    outdoor sensors is the caller's to prefer.)"""
    today = timezone.localdate(now)
    rows = dict(
        (row[0], row[1:])
        for row in WeatherDay.objects.filter(date__in=[today, today - dt.timedelta(days=1)]).values_list(
            "date", "forecast_mean_c", "observed_mean_c"
        )
    )
    forecast = rows.get(today, (None, None))[0]
    if forecast is not None:
        return float(forecast)
    observed = rows.get(today - dt.timedelta(days=1), (None, None))[1]
    return None if observed is None else float(observed)


def weather_days(*, start: dt.date, end: dt.date) -> list[WeatherDay]:
    return list(WeatherDay.objects.filter(date__gte=start, date__lte=end).order_by("date"))


def _sum_rows(rows: list[OutlookRow], days: int) -> OutlookRow:
    """The rows of a viewer's districts added up (their own total, not the company's)."""
    expected: list[float | None] = []
    for i in range(days):
        values = [r["expected"][i] for r in rows]
        expected.append(None if any(v is None for v in values) else round(sum(v or 0.0 for v in values), 1))
    series = []
    if rows:
        for i, day in enumerate(rows[0]["backtest"]):
            series.append(
                {
                    "date": day["date"],
                    "actual": sum(r["backtest"][i]["actual"] for r in rows),
                    "predicted": round(sum(r["backtest"][i]["predicted"] for r in rows), 1),
                }
            )
    return {
        "district_id": None,
        "name": "",
        "is_fallback": False,
        "a": round(sum(r["a"] for r in rows), 3),
        "b": round(sum(r["b"] for r in rows), 3),
        "expected": expected,
        "today_count": sum(r["today_count"] for r in rows),
        "backtest": series,  # type: ignore[typeddict-item]
        "error": error_figures(series),  # type: ignore[arg-type]
    }


def outlook_for(*, viewer: Staff, now: dt.datetime) -> dict[str, Any]:
    """The outlook as `viewer` may see it: company-wide roles every district, the company total and the
    staffing hint; a branch manager or district staff their districts' rows and those rows' sum
    (`is_company_wide` False), without the company total or the hotline's staffing."""
    outlook: Outlook = outlook_cached(now=now)
    ids = visible_district_ids(viewer)
    result: dict[str, Any] = dict(outlook)
    result["is_company_wide"] = ids is None
    if ids is not None:
        rows = [r for r in outlook["rows"] if r["district_id"] in ids]
        result["rows"] = rows
        result["total"] = _sum_rows(rows, len(outlook["days"])) if rows else None
        result["staffing"] = []
        result["peak_hour"] = result["peak_share"] = result["heating_share"] = None
    return result


def outlook_panel(*, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """The outlook for a page, or None (logged) when it cannot be computed: the page stays up. Runs in a
    savepoint so that a failure on PostgreSQL does not poison the page's transaction."""
    import logging

    from django.db import transaction

    try:
        with transaction.atomic():
            outlook = outlook_for(viewer=viewer, now=now)
    except Exception:
        logging.getLogger(__name__).warning("weather outlook unavailable", exc_info=True)
        return None
    total = outlook.get("total")
    outlook["chart"] = {
        "days": [d["date"].isoformat() for d in (total or {}).get("backtest", [])],
        "actual": [d["actual"] for d in (total or {}).get("backtest", [])],
        "predicted": [d["predicted"] for d in (total or {}).get("backtest", [])],
    }
    return outlook
