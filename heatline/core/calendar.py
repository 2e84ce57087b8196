"""Working days (工作日): China's public holidays and make-up days (调休), with admin overrides that win.

The chinese-calendar package knows only the years already announced; for any other year the
override table speaks, and where it is silent Monday–Friday are working days.
"""

import datetime as dt
from collections.abc import Iterable

import chinese_calendar

from heatline.core.models import WorkdayOverride


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    rows = WorkdayOverride.objects.filter(date__gte=start, date__lte=end).values_list(
        "date", "is_working_day"
    )
    return dict(rows)


def _package_says(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for
        return day.weekday() < 5


def is_working_day(day: dt.date, *, overrides: dict[dt.date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return _package_says(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (start itself not counted); n=0 gives `start`.

    第十条: "3个工作日内" — a case opened on day D must have its meeting by the end of
    add_working_days(D, 3).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    # Overrides for a generous window, fetched once (holidays are at most ~9 days long).
    overrides = _overrides(start, start + dt.timedelta(days=n * 3 + 30))
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day not in overrides and day > start + dt.timedelta(days=n * 3 + 30):
            overrides.update(_overrides(day, day + dt.timedelta(days=60)))
        if is_working_day(day, overrides=overrides):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many working days after `start` `end` lies."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    return sum(
        1
        for i in range(1, (end - start).days + 1)
        if is_working_day(start + dt.timedelta(days=i), overrides=overrides)
    )


def workday_override_set(*, entries: Iterable[tuple[dt.date, bool, str]]) -> int:
    """Write (or replace) overrides; returns how many were written."""
    count = 0
    for day, working, note in entries:
        WorkdayOverride.objects.update_or_create(date=day, defaults={"is_working_day": working, "note": note})
        count += 1
    return count
