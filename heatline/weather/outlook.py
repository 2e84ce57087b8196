"""The cold-snap outlook (issue 19, 第六条: 24 h 值守): expected heating calls per district for the next
3 days, from the outdoor forecast and how the calls followed the cold on past days.

The model, per district: y = a + b·x by least squares, where x = max(0, base − observed daily mean)
(degrees below `outlook_base_c`, −5 ℃ by default) and y = the heating requests received that local day.
- Heating requests: categories marked 室温不达标类 (`Category.is_low_temperature`: 室温不达标 and
  暖气不热/停热 in the reference data) — the calls that follow the outdoor temperature. Leaks, repairs,
  billing and complaints about staff do not, and are left out of the fit.
- Days fitted: past local days (before today) with an observed temperature, inside a heating season
  (HeatingSeason's trial start … extended end; every observed day when no season is defined), from the
  first day any heating request was received (days before the system held requests would count as zero).
  A district's days without a request count as zero.
- A district with fewer than `MIN_DISTRICT_DAYS` days with a heating request gets the company-wide fit
  scaled by its share of the heating requests of the fitted days (marked 按全公司比例).
- Because every district is fitted on the same days, the company-wide fit equals the sum of the district
  fits (least squares is linear in y); the total row is the company-wide fit (it also counts requests
  without a district), so the rows may not add up to it exactly when a district falls back.
- The error on past days (backtest): the last `BACKTEST_DAYS` fitted days, each predicted from its observed
  temperature with the same fit (in-sample: the model's own error, without the forecast's error) — mean
  absolute error and that as % of the mean actual count.
- Staffing hint (an estimate): the expected heating calls ÷ the share of heating requests among all
  requests gives all calls; × the busiest local hour's share of the day's calls gives the peak hour; ×
  `HEATLINE_OUTLOOK_HANDLE_MINUTES` (6) ÷ 60 gives operators busy at once at the peak (rounded up, at
  least 1). No queueing margin.

Two grouped queries over the requests (heating requests per district per local day; all requests per local
hour) and four small ones (weather days, seasons, districts, the last fetch), cached in the process for
`CACHE_SECONDS` per day.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from heatline.core.caches import ProcessCache
from heatline.core.models import HeatingSeason
from heatline.core.rules import rule_float
from heatline.registry.models import District
from heatline.requests.models import Category, ServiceRequest
from heatline.weather.models import WeatherDay, WeatherFetch

HORIZON_DAYS = 3
BACKTEST_DAYS = 14
MIN_FIT_DAYS = 7  # fewer fitted days than this: no model at all (say so)
MIN_DISTRICT_DAYS = 14  # fewer days with a heating request: the district falls back to the company's fit
HISTORY_YEARS = 5  # past seasons read for the fit
CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class Fit:
    a: float
    b: float
    days: int

    def predict(self, x: float) -> float:
        return max(0.0, self.a + self.b * x)


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Least squares y = a + b·x. All x equal (e.g. no day below the base): b = 0, a = the mean."""
    n = len(xs)
    if n == 0:
        return Fit(0.0, 0.0, 0)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx < 1e-12:
        return Fit(mean_y, 0.0, n)
    b = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return Fit(mean_y - b * mean_x, b, n)


def degrees_below(base: float, mean: float) -> float:
    return max(0.0, base - mean)


class BacktestDay(TypedDict):
    date: dt.date
    actual: int
    predicted: float


class ErrorFigures(TypedDict):
    days: int
    mae: float | None
    mean_actual: float | None
    pct: float | None  # MAE as % of the mean actual count


def backtest(
    fit: Fit, days: Sequence[tuple[dt.date, float, int]], *, base: float
) -> tuple[list[BacktestDay], ErrorFigures]:
    """(date, observed mean, actual count) of past days → each day's prediction and the error figures."""
    rows: list[BacktestDay] = [
        {"date": date, "actual": actual, "predicted": round(fit.predict(degrees_below(base, mean)), 1)}
        for date, mean, actual in days
    ]
    return rows, error_figures(rows)


def error_figures(rows: Sequence[BacktestDay]) -> ErrorFigures:
    if not rows:
        return {"days": 0, "mae": None, "mean_actual": None, "pct": None}
    mae = sum(abs(r["actual"] - r["predicted"]) for r in rows) / len(rows)
    mean_actual = sum(r["actual"] for r in rows) / len(rows)
    pct = round(mae / mean_actual * 100, 1) if mean_actual else None
    return {"days": len(rows), "mae": round(mae, 2), "mean_actual": round(mean_actual, 2), "pct": pct}


class OutlookDay(TypedDict):
    date: dt.date
    has_forecast: bool
    low_c: float | None
    high_c: float | None
    mean_c: float | None
    degrees_below: float | None


class OutlookRow(TypedDict):
    district_id: int | None
    name: str
    is_fallback: bool
    a: float
    b: float
    expected: list[float | None]  # one per day of `days`, None where that day has no forecast
    today_count: int
    backtest: list[BacktestDay]
    error: ErrorFigures


class StaffingDay(TypedDict):
    date: dt.date
    calls: float | None  # all calls expected (heating ÷ the heating share)
    peak_per_hour: float | None
    operators: int | None


class Outlook(TypedDict):
    state: str  # "ok" | "no_forecast" | "no_history"
    today: dt.date
    computed_at: dt.datetime
    base_c: float
    days: list[OutlookDay]
    rows: list[OutlookRow]
    total: OutlookRow | None
    fitted_days: int
    staffing: list[StaffingDay]
    handle_minutes: float
    peak_hour: int | None
    peak_share: float | None
    heating_share: float | None
    last_fetch: dict[str, Any] | None


def _heating_days(days: Sequence[dt.date]) -> list[dt.date]:
    seasons = [
        (s.trial_start or s.first_heating_day, s.extended_end or s.last_day)
        for s in HeatingSeason.objects.only("trial_start", "first_heating_day", "extended_end", "last_day")
    ]
    if not seasons:
        return list(days)
    return [d for d in days if any(start <= d <= end for start, end in seasons)]


def _local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def outlook_compute(*, today: dt.date) -> Outlook:
    """The outlook as of local `today` for every district (unscoped; `selectors.outlook_for` scopes it)."""
    tz = timezone.get_current_timezone()
    base = rule_float("outlook_base_c")
    horizon = [today + dt.timedelta(days=i) for i in range(1, HORIZON_DAYS + 1)]
    weather = {
        w.date: w
        for w in WeatherDay.objects.filter(
            date__gte=today - dt.timedelta(days=366 * HISTORY_YEARS),
            date__lte=horizon[-1],
        ).only("date", "forecast_mean_c", "forecast_low_c", "forecast_high_c", "observed_mean_c")
    }
    days: list[OutlookDay] = []
    for date in horizon:
        w = weather.get(date)
        mean = w.forecast_mean_c if w else None
        days.append(
            {
                "date": date,
                "has_forecast": mean is not None,
                "low_c": w.forecast_low_c if w else None,
                "high_c": w.forecast_high_c if w else None,
                "mean_c": mean,
                "degrees_below": None if mean is None else round(degrees_below(base, mean), 1),
            }
        )
    observed = sorted(d for d, w in weather.items() if d < today and w.observed_mean_c is not None)
    fit_days = _heating_days(observed)
    heating_ids = Category.objects.filter(is_low_temperature=True).values(
        "id"
    )  # a subquery, not a round trip
    first = min([*fit_days, today])
    # 1. Heating requests per district per local day, over the fitted span and today (one grouped query).
    counts: dict[tuple[int | None, dt.date], int] = {}
    for district_id, day, n in (
        ServiceRequest.objects.filter(
            category_id__in=heating_ids,
            received_at__gte=_local_start(first),
            received_at__lt=_local_start(today + dt.timedelta(days=1)),
        )
        .annotate(day=TruncDate("received_at", tzinfo=tz))
        .values_list("district_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(district_id, day)] = n
    first_request_day = min((day for _d, day in counts if day < today), default=None)
    fit_days = [d for d in fit_days if first_request_day is not None and d >= first_request_day]
    districts = list(District.objects.order_by("code", "id").values_list("id", "name"))
    last = WeatherFetch.objects.order_by("-at").first()
    last_fetch = (
        None if last is None else {"at": last.at, "is_ok": last.is_ok, "error": last.error, "days": last.days}
    )
    has_forecast = any(d["has_forecast"] for d in days)
    result: Outlook = {
        "state": "ok",
        "today": today,
        "computed_at": timezone.now(),
        "base_c": base,
        "days": days,
        "rows": [],
        "total": None,
        "fitted_days": len(fit_days),
        "staffing": [],
        "handle_minutes": float(settings.HEATLINE_OUTLOOK_HANDLE_MINUTES),
        "peak_hour": None,
        "peak_share": None,
        "heating_share": None,
        "last_fetch": last_fetch,
    }
    if len(fit_days) < MIN_FIT_DAYS:
        result["state"] = "no_history"
    elif not has_forecast:
        result["state"] = "no_forecast"
    xs = [degrees_below(base, weather[d].observed_mean_c or 0.0) for d in fit_days]
    recent = fit_days[-BACKTEST_DAYS:]
    per_district: dict[int | None, list[int]] = defaultdict(lambda: [0] * len(fit_days))
    index = {d: i for i, d in enumerate(fit_days)}
    today_counts: dict[int | None, int] = defaultdict(int)
    for (district_id, day), n in counts.items():
        if day == today:
            today_counts[district_id] += n
        elif day in index:
            per_district[district_id][index[day]] += n
    company_ys = [sum(values[i] for values in per_district.values()) for i in range(len(fit_days))]
    company_fit = fit_line(xs, company_ys)
    company_sum = sum(company_ys)

    def row(district_id: int | None, name: str, fit: Fit, ys: Sequence[int], *, fallback: bool) -> OutlookRow:
        observed_recent = [(d, weather[d].observed_mean_c or 0.0, ys[index[d]]) for d in recent]
        series, error = backtest(fit, observed_recent, base=base)
        return {
            "district_id": district_id,
            "name": name,
            "is_fallback": fallback,
            "a": round(fit.a, 3),
            "b": round(fit.b, 3),
            "expected": [
                None if d["mean_c"] is None else round(fit.predict(degrees_below(base, d["mean_c"])), 1)
                for d in days
            ],
            "today_count": today_counts.get(district_id, 0)
            if district_id is not None
            else sum(today_counts.values()),
            "backtest": series,
            "error": error,
        }

    for district_id, name in districts:
        ys = per_district.get(district_id, [0] * len(fit_days))
        active_days = sum(1 for y in ys if y)
        if active_days >= MIN_DISTRICT_DAYS:
            result["rows"].append(row(district_id, name, fit_line(xs, ys), ys, fallback=False))
        else:
            share = sum(ys) / company_sum if company_sum else 0.0
            scaled = Fit(company_fit.a * share, company_fit.b * share, company_fit.days)
            result["rows"].append(row(district_id, name, scaled, ys, fallback=True))
    total = result["total"] = row(None, "", company_fit, company_ys, fallback=False)
    if result["state"] == "no_history":
        # Too few days to fit: no expected numbers and no backtest anywhere (the API included), only the
        # state and today's counts — never a made-up number.
        for r in [*result["rows"], total]:
            r["expected"] = [None] * len(days)
            r["backtest"] = []
            r["error"] = error_figures([])
        return result
    staffing = _staffing(
        result, first=fit_days[0] if fit_days else today, today=today, heating_ids=heating_ids
    )
    result["staffing"] = staffing["staffing"]
    result["peak_hour"] = staffing["peak_hour"]
    result["peak_share"] = staffing["peak_share"]
    result["heating_share"] = staffing["heating_share"]
    return result


def _staffing(
    outlook: Outlook, *, first: dt.date, today: dt.date, heating_ids: QuerySet[Category, Any]
) -> dict[str, Any]:
    """Peak-hour share and heating share of the fitted span (one grouped query by local hour), and per
    forecast day the operators an estimate asks for."""
    tz = timezone.get_current_timezone()
    since = max(first, today - dt.timedelta(days=365))
    hours = {
        hour: (total, heating)
        for hour, total, heating in ServiceRequest.objects.filter(
            received_at__gte=_local_start(since), received_at__lt=_local_start(today)
        )
        .annotate(hour=ExtractHour("received_at", tzinfo=tz))
        .values_list("hour")
        .annotate(total=Count("id"), heating=Count("id", filter=Q(category_id__in=heating_ids)))
        .values_list("hour", "total", "heating")
        .order_by()
    }
    all_calls = sum(total for total, _heating in hours.values())
    heating_calls = sum(heating for _total, heating in hours.values())
    if not all_calls or not heating_calls or outlook["total"] is None:
        return {"staffing": [], "peak_hour": None, "peak_share": None, "heating_share": None}
    peak_hour = max(hours, key=lambda h: hours[h][0])
    peak_share = hours[peak_hour][0] / all_calls
    heating_share = heating_calls / all_calls
    handle = outlook["handle_minutes"]
    staffing: list[StaffingDay] = []
    for day, expected in zip(outlook["days"], outlook["total"]["expected"], strict=True):
        if expected is None:
            staffing.append({"date": day["date"], "calls": None, "peak_per_hour": None, "operators": None})
            continue
        calls = expected / heating_share
        peak = calls * peak_share
        staffing.append(
            {
                "date": day["date"],
                "calls": round(calls, 1),
                "peak_per_hour": round(peak, 1),
                "operators": max(1, math.ceil(peak * handle / 60 - 1e-9)),
            }
        )
    return {
        "staffing": staffing,
        "peak_hour": peak_hour,
        "peak_share": round(peak_share, 4),
        "heating_share": round(heating_share, 4),
    }


# One memo per process: {today: outlook}, dropped every CACHE_SECONDS and on any weather change saved here.
OUTLOOK_CACHE: ProcessCache[dict[dt.date, Outlook]] = ProcessCache(
    "weather_outlook", dict, seconds=CACHE_SECONDS
)
OUTLOOK_CACHE.forget_on(WeatherDay, WeatherFetch)


def outlook_cached(*, now: dt.datetime) -> Outlook:
    today = timezone.localdate(now)
    memo = OUTLOOK_CACHE.get()
    outlook = memo.get(today)
    if outlook is None:
        outlook = memo[today] = outlook_compute(today=today)
    return outlook
