"""Worker jobs of live data: the hourly roll-up, raw partitions made ahead, raw readings past their days dropped."""

import datetime as dt
from typing import Final

from heatline.core.worker import job
from heatline.telemetry.partitions import partitions_ahead, raw_readings_expire
from heatline.telemetry.rollup import hourly_rollup

# The open hour is recomputed when its first new reading is this old: every few minutes, not every loop.
ROLLUP_SETTLE: Final = dt.timedelta(minutes=5)
# Partitions and retention change once a day; the worker looks at most this often (per process).
HOUSEKEEPING_EVERY: Final = dt.timedelta(minutes=30)

_last_housekeeping: dict[str, dt.datetime] = {}


def _due(name: str, now: dt.datetime) -> bool:
    last = _last_housekeeping.get(name)
    if last is not None and abs(now - last) < HOUSEKEEPING_EVERY:
        return False
    _last_housekeeping[name] = now
    return True


@job("telemetry_rollup")
def rollup(now: dt.datetime) -> int:
    """Recompute the hours that got new raw readings (late and replayed ones included)."""
    return hourly_rollup(now=now, settle=ROLLUP_SETTLE)


@job("telemetry_partitions")
def partitions(now: dt.datetime) -> int:
    """PostgreSQL: the raw readings' partitions for yesterday … the day after tomorrow."""
    return partitions_ahead(now=now) if _due("partitions", now) else 0


@job("telemetry_retention")
def retention(now: dt.datetime) -> int:
    """Raw readings older than `telemetry_raw_days`: partitions dropped (PostgreSQL), rows deleted (SQLite)."""
    return raw_readings_expire(now=now) if _due("retention", now) else 0
