"""`heatline reports_rollup [--all] [--from D --to D]`: rebuild the daily roll-up, with progress."""

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Min
from django.utils import timezone

from heatline.core.seasons import season_bounds, season_current
from heatline.reports.rollup import RECENT_DAYS, period_refresh, rollup_refresh_chunked
from heatline.requests.models import ServiceRequest


class Command(BaseCommand):
    help = "重建报表日汇总:默认最近14天;--all 全部历史;--from/--to 指定日期(含)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="every day from the first request to yesterday"
        )
        parser.add_argument("--from", dest="day_from", default="", help="first local day, YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", default="", help="last local day, YYYY-MM-DD (inclusive)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        yesterday = today - dt.timedelta(days=1)
        try:
            day_to = dt.date.fromisoformat(options["day_to"]) if options["day_to"] else yesterday
            day_from = dt.date.fromisoformat(options["day_from"]) if options["day_from"] else None
        except ValueError as error:
            raise CommandError(f"bad date: {error}") from None
        if options["all"]:
            first = ServiceRequest.objects.aggregate(first=Min("received_at"))["first"]
            day_from = timezone.localdate(first) if first else yesterday
        if day_from is None:
            day_from = today - dt.timedelta(days=RECENT_DAYS)
        day_to = min(day_to, yesterday)
        if day_to < day_from:
            self.stdout.write("nothing to roll up (today is always read live)")
            return
        days = (day_to - day_from).days + 1
        started = time.monotonic()
        done = 0

        def progress(first: dt.date, last: dt.date, rows: int) -> None:
            nonlocal done
            done += (last - first).days + 1
            self.stdout.write(
                f"{first} – {last}: {rows:,} rows · {done}/{days} days · {time.monotonic() - started:.1f} s"
            )

        rows = rollup_refresh_chunked(day_from, day_to, progress=progress)
        season = season_current(today=today)
        span_from = timezone.localdate(season_bounds(season)[0]) if season is not None else day_from
        households = period_refresh(span_from, day_to)
        self.stdout.write(f"households and buildings {span_from} – {day_to}: {households:,} households")
        self.stdout.write(
            self.style.SUCCESS(f"rolled up {days} days ({rows:,} rows) in {time.monotonic() - started:.1f} s")
        )
