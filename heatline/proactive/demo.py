"""Demo rows of 未诉先办: last season's ledger, this season's watch list, and visits at every stage.

Idempotent: nothing is added when ledger readings are already there.
"""

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_current, season_previous
from heatline.proactive.models import EntryStatus, Reading, ReadingSource, VisitAction, WatchEntry
from heatline.proactive.services import (
    RoomReading,
    booking_record,
    followup_record,
    remeasure_record,
    visit_record,
    watchlist_build,
)
from heatline.registry.models import Household, Role, Staff
from heatline.requests.models import Cause

ROOMS = ("客厅", "主卧", "次卧")
LEDGER_CAUSES = ("暖气片积气", "入户管道循环慢", "阀门故障", "暖气片被遮挡", "")


def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if Reading.objects.filter(source=ReadingSource.LEDGER).exists():
        progress("proactive: ledger already there, nothing added")
        return
    season = season_current() or HeatingSeason.objects.order_by("-year").first()
    if season is None:
        progress("proactive: no heating season, skipped")
        return
    previous = season_previous(season)
    if previous is None:
        progress("proactive: no previous season, skipped")
        return
    _ledger(rng=rng, previous=previous)
    result = watchlist_build(season=season, by=None)
    progress(
        f"proactive: ledger {Reading.objects.count():,} readings, watch list {result.total:,} households"
    )
    _visits(rng=rng, season=season)
    progress("proactive: visits recorded")


def _ledger(*, rng: random.Random, previous: HeatingSeason) -> None:
    households = list(Household.objects.order_by("id").values_list("id", flat=True))
    chosen = rng.sample(households, k=min(len(households), max(20, len(households) // 60)))
    tz = timezone.get_current_timezone()
    rows: list[Reading] = []
    for household_id in chosen:
        day = previous.first_heating_day + dt.timedelta(days=rng.randint(20, 120))
        cold = rng.random() < 0.8
        for room in ROOMS:
            temperature = Decimal(str(round(rng.uniform(14.5, 19.8) if cold else rng.uniform(19.5, 23), 1)))
            hour = rng.choice((8, 9, 15, 16, 19))
            rows.append(
                Reading(
                    household_id=household_id,
                    season=previous,
                    source=ReadingSource.LEDGER,
                    measured_on=day,
                    measured_at=dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz),
                    room=room,
                    temperature=temperature,
                    cause_text=rng.choice(LEDGER_CAUSES) if temperature < 20 else "",
                    not_counting_reason="台账读数未记录检定仪器与测温时段",
                    dedupe_key=f"L|{household_id}|{day.isoformat()}|{hour:02d}:00|{room}",
                )
            )
    causes = {name: pk for pk, name in Cause.objects.values_list("id", "name")}
    for row in rows:
        if row.cause_text in causes:
            row.cause_id, row.cause_text = causes[row.cause_text], ""
    Reading.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


@transaction.atomic
def _visits(*, rng: random.Random, season: HeatingSeason) -> None:
    """A handful of entries per stage, recorded by the district's own staff through the services."""
    now = timezone.now()
    entries = list(
        WatchEntry.objects.filter(season=season, status=EntryStatus.PLANNED).order_by("priority")[:40]
    )
    staff_by_district = {
        s.district_id: s
        for s in Staff.objects.filter(role__in=[Role.WORKER, Role.DISTRICT]).order_by("-role")
    }
    for index, entry in enumerate(entries):
        by = staff_by_district.get(entry.district_id)
        if by is None:
            continue
        stage = index % 5
        booking_record(entry=entry, by=by, result="reached")
        if stage == 0:
            continue  # booked, not yet visited
        at = now - dt.timedelta(days=5 if stage == 4 else 0, hours=2 if stage != 4 else 0)
        at = at.replace(hour=9, minute=rng.randint(0, 50)) if stage == 4 else at
        cold = stage in (1, 2, 3)
        readings = [
            RoomReading(room, Decimal(str(rng.choice((17.5, 18.2, 19.0)) if cold else 21.5)))
            for room in ROOMS
        ]
        visit_record(
            entry=entry,
            by=by,
            readings=readings,
            instrument_id=f"WD-{rng.randint(100, 999)}",
            instrument_certificate=f"JD{season.year}-{rng.randint(1000, 9999)}",
            is_calibrated=rng.random() < 0.9,
            cause="radiator_air" if cold else None,
            action=(VisitAction.SPECIALISTS if stage == 3 else VisitAction.FIXED) if cold else "",
            at=at,
        )
        entry.refresh_from_db()
        if stage == 2:
            remeasure_record(entry=entry, by=by, readings=[RoomReading("客厅", Decimal("20.8"))])
        if stage == 4:
            entry.refresh_from_db()
            if entry.followup_due_on is not None and entry.followup_due_on <= timezone.localdate():
                followup_record(entry=entry, by=by, result="holds")
