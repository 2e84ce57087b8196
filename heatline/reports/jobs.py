"""Worker jobs of reports: keep the daily roll-up fresh (the last 14 days every 5 minutes, the season
nightly). Each job checks when its days were last computed, so running every loop costs one query."""

import datetime as dt

from django.utils import timezone

from heatline.core.seasons import season_bounds, season_current
from heatline.core.worker import job
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
    than 5 minutes ago, rebuild all of them (one transaction), and the season's per-household and
    per-building counts. Returns the day rows written."""
    today = timezone.localdate(now)
    first, last = today - dt.timedelta(days=RECENT_DAYS), today - dt.timedelta(days=1)
    if not stale_days(first, last, before=now - RECENT_EVERY):
        return 0
    rows = rollup_refresh(first, last, now=now)
    season = season_current(today=today)
    if season is not None:
        period_refresh(timezone.localdate(season_bounds(season)[0]), last, now=now)
    return rows


@job("reports_rollup_season")
def rollup_season(now: dt.datetime) -> int:
    """1. Take this heating season's days before the recent 14. 2. If any was not rolled up since local
    midnight, rebuild them all, two weeks a transaction (nightly in practice)."""
    today = timezone.localdate(now)
    season = season_current(today=today)
    if season is None:
        return 0
    start, _end = season_bounds(season)
    first, last = timezone.localdate(start), today - dt.timedelta(days=RECENT_DAYS + 1)
    if last < first:
        return 0
    midnight = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    if not stale_days(first, last, before=midnight):
        return 0
    return rollup_refresh_chunked(first, last, now=now)
