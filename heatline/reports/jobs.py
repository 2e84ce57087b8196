"""Worker jobs of reports: keep the daily roll-up fresh (the last 14 days every 5 minutes; the season
and its per-household and per-building counts nightly). Each job first checks when its days were
last computed, so running every loop costs a query or two."""

import datetime as dt

from django.utils import timezone

from heatline.core.seasons import season_bounds, season_current
from heatline.core.worker import job
from heatline.reports.models import PeriodSpan
from heatline.reports.rollup import (
    RECENT_DAYS,
    RECENT_EVERY,
    period_refresh,
    rollup_refresh,
    rollup_refresh_chunked,
    stale_days,
)


@job("reports_rollup_recent")
def rollup_recent(now: dt.datetime) -> int:
    """1. Take the last 14 local days before today. 2. If any was never rolled up or was rolled up more
    than 5 minutes ago, rebuild all of them (one transaction). Returns the rows written."""
    today = timezone.localdate(now)
    first, last = today - dt.timedelta(days=RECENT_DAYS), today - dt.timedelta(days=1)
    if not stale_days(first, last, before=now - RECENT_EVERY):
        return 0
    return rollup_refresh(first, last, now=now)


@job("reports_rollup_season")
def rollup_season(now: dt.datetime) -> int:
    """1. Take this heating season up to yesterday. 2. If the per-household/per-building counts do not
    reach yesterday, rebuild them. 3. If a day before the recent 14 was not rolled up since local
    midnight, rebuild those days, two weeks a transaction. Both happen once a night in practice."""
    today = timezone.localdate(now)
    season = season_current(today=today)
    if season is None:
        return 0
    start, _end = season_bounds(season)
    first, yesterday = timezone.localdate(start), today - dt.timedelta(days=1)
    if yesterday < first:
        return 0
    done = 0
    span = PeriodSpan.objects.first()
    if span is None or span.first_day != first or span.last_day < yesterday:
        done += period_refresh(first, yesterday, now=now)
    last = today - dt.timedelta(days=RECENT_DAYS + 1)
    midnight = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    if last >= first and stale_days(first, last, before=midnight):
        done += rollup_refresh_chunked(first, last, now=now)
    return done
