"""Worker jobs of live data. `telemetry_watch` sorts after the roll-up job (`telemetry_rollup`), so in
one pass of the worker the hours it reads are already rolled up."""

from datetime import datetime

from heatline.core.worker import job
from heatline.telemetry.detection import detect_all


@job("telemetry_watch")
def watch(now: datetime) -> int:
    """Cold rooms, low station supply, dead sensors: open and close alerts (idempotent)."""
    return detect_all(now=now).total
