"""Worker jobs of live data: the hourly roll-up, raw partitions made ahead, raw readings past their days
dropped, and detection. The worker runs jobs in name order, so `telemetry_watch` (detection) follows
`telemetry_rollup` in each pass and reads hours already rolled up."""

import datetime as dt
from typing import Final

from heatline.core.worker import job
from heatline.telemetry.detection import detect_all
from heatline.telemetry.partitions import partitions_ahead, raw_readings_expire
from heatline.telemetry.rollup import hourly_rollup

# The open hour is recomputed when its first new reading is this old: every few minutes, not every loop.
ROLLUP_SETTLE: Final = dt.timedelta(minutes=5)
# Partitions and retention change once a day; the worker looks at most this often (per process).
HOUSEKEEPING_EVERY: Final = dt.timedelta(minutes=30)
# Detection is idempotent; the hours it reads change a few times an hour, the stations every reading.
DETECT_EVERY: Final = dt.timedelta(minutes=1)
DEMO_EVERY: Final = dt.timedelta(minutes=10)

_last_run: dict[str, dt.datetime] = {}


def _due(name: str, now: dt.datetime, every: dt.timedelta) -> bool:
    last = _last_run.get(name)
    if last is not None and abs(now - last) < every:
        return False
    _last_run[name] = now
    return True


@job("telemetry_rollup")
def rollup(now: dt.datetime) -> int:
    """Recompute the hours that got new raw readings (late and replayed ones included)."""
    return hourly_rollup(now=now, settle=ROLLUP_SETTLE)


@job("telemetry_partitions")
def partitions(now: dt.datetime) -> int:
    """PostgreSQL: the raw readings' partitions for yesterday … the day after tomorrow."""
    return partitions_ahead(now=now) if _due("partitions", now, HOUSEKEEPING_EVERY) else 0


@job("telemetry_retention")
def retention(now: dt.datetime) -> int:
    """Raw readings older than `telemetry_raw_days`: partitions dropped (PostgreSQL), rows deleted (SQLite)."""
    return raw_readings_expire(now=now) if _due("retention", now, HOUSEKEEPING_EVERY) else 0


@job("telemetry_watch")
def watch(now: dt.datetime) -> int:
    """Cold rooms, low station supply, dead sensors: open and close alerts."""
    return detect_all(now=now).total if _due("watch", now, DETECT_EVERY) else 0


@job("telemetry_demo_feed")
def demo_feed(now: dt.datetime) -> int:
    """The demo only (HEATLINE_DEMO and demo sensors): keep the demo sensors reporting every 10 minutes."""
    from django.conf import settings

    if not settings.HEATLINE_DEMO or not _due("demo_feed", now, DEMO_EVERY):
        return 0
    from heatline.telemetry.demo import PREFIX, feed
    from heatline.telemetry.models import Sensor

    if not Sensor.objects.filter(code__startswith=PREFIX).exists():
        return 0
    return feed(now=now)
