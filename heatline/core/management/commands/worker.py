from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from heatline.core.worker import Loop, run_once


class Command(BaseCommand):
    help = "Run the background worker: clock sweeps, outbox delivery, reminders (一个循环,多个幂等任务)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--idle", type=float, default=settings.HEATLINE_WORKER_IDLE_SECONDS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            results = run_once()
            self.stdout.write(", ".join(f"{name}: {count}" for name, count in results.items()))
            return
        Loop(idle_seconds=options["idle"]).run()
