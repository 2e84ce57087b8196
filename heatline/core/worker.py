"""`heatline worker`: one loop over small idempotent jobs (ARCHITECTURE.md, STYLE.md rule 8).

Each app's `jobs.py` registers its jobs with `@job("name")`. A job takes `now` and returns how
many rows it handled; the loop sleeps only when no job found work. SIGTERM lets the batch finish.
"""

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

log = logging.getLogger("heatline.worker")

Job = Callable[[datetime], int]
JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    def register(function: Job) -> Job:
        JOBS[name] = function
        return function

    return register


def discover() -> dict[str, Job]:
    autodiscover_modules("jobs")
    return JOBS


def run_once(*, now: datetime | None = None, only: set[str] | None = None) -> dict[str, int]:
    """Run every registered job once; returns rows handled per job. A failing job is logged, not fatal."""
    results: dict[str, int] = {}
    for name, function in sorted(discover().items()):
        if only and name not in only:
            continue
        try:
            results[name] = function(now or timezone.now())
        except Exception:
            log.exception("job %s failed", name)
            results[name] = 0
    return results


class Loop:
    def __init__(self, *, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self.stopping = False

    def stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the current batch", signum)
        self.stopping = True

    def run(self, *, max_loops: int | None = None) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        loops = 0
        log.info("worker started with jobs: %s", ", ".join(sorted(discover())))
        while not self.stopping:
            close_old_connections()
            results = run_once()
            loops += 1
            if any(results.values()):
                log.info("handled %s", {k: v for k, v in results.items() if v})
            elif not self.stopping:
                time.sleep(self.idle_seconds)
            if max_loops is not None and loops >= max_loops:
                break
        log.info("worker stopped")
