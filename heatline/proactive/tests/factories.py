"""Seasons, ledger readings and watch-list entries reached through the real services."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from heatline.core.models import HeatingSeason
from heatline.proactive.models import Reading, ReadingSource, WatchEntry
from heatline.proactive.services import watchlist_build
from heatline.registry.models import Household
from heatline.registry.tests.factories import Org

TZ = ZoneInfo("Asia/Shanghai")
LAST_SEASON_DAY = dt.datetime(2025, 12, 10, 9, 0, tzinfo=TZ)
FIRST_DAY = dt.date(2026, 10, 20)


def seasons() -> tuple[HeatingSeason, HeatingSeason]:
    last = HeatingSeason.objects.create(
        year=2025, first_heating_day=dt.date(2025, 10, 20), last_day=dt.date(2026, 4, 20)
    )
    this = HeatingSeason.objects.create(year=2026, first_heating_day=FIRST_DAY, last_day=dt.date(2027, 4, 20))
    return last, this


def ledger_reading(
    household: Household,
    season: HeatingSeason,
    *,
    room: str = "客厅",
    temperature: str = "18.0",
    day: int = 10,
) -> Reading:
    return Reading.objects.create(
        household=household,
        season=season,
        source=ReadingSource.LEDGER,
        measured_on=dt.date(2025, 12, day),
        room=room,
        temperature=Decimal(temperature),
        cause_text="暖气片积气",
        dedupe_key=f"L|{household.pk}|2025-12-{day:02d}||{room}",
    )


def entry_on_list(org: Org, *, household: Household | None = None) -> WatchEntry:
    """The household on the 2026 list (from a cold ledger reading last season), built as in production."""
    household = household or org.household
    last, this = (
        seasons()
        if not HeatingSeason.objects.exists()
        else (
            HeatingSeason.objects.get(year=2025),
            HeatingSeason.objects.get(year=2026),
        )
    )
    ledger_reading(household, last)
    with time_machine.travel(dt.datetime(2026, 10, 1, 9, 0, tzinfo=TZ), tick=False):
        watchlist_build(season=this, by=org.admin)
    return WatchEntry.objects.get(season=this, household=household)
