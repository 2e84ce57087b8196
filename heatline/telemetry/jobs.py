"""Worker jobs of live data. `telemetry_watch` sorts after the roll-up job (`telemetry_rollup`), so in
one pass of the worker the hours it reads are already rolled up. Detection is idempotent; it runs at most
every DETECT_EVERY per worker process, since the hours it reads change once an hour."""

import datetime as dt

from heatline.core.worker import job
from heatline.telemetry.detection import detect_all

DETECT_EVERY = dt.timedelta(minutes=1)
_last_run: dict[str, dt.datetime] = {}


@job("telemetry_watch")
def watch(now: dt.datetime) -> int:
    """Cold rooms, low station supply, dead sensors: open and close alerts."""
    last = _last_run.get("watch")
    if last is not None and last <= now < last + DETECT_EVERY:
        return 0
    _last_run["watch"] = now
    return detect_all(now=now).total
