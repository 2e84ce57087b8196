"""Reads of the watch list (issue 4), scoped by the viewer's districts."""

import datetime as dt
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_current
from heatline.maps.geo import route_order
from heatline.proactive.models import OPEN_ENTRY_STATUSES, EntryStatus, Reading, WatchEntry
from heatline.registry.models import Staff
from heatline.registry.scoping import scope_by_district, visible_district_ids

STAGES: Final = (
    "planned",
    "booked",
    "visited",
    "below",
    "fixed",
    "remeasured",
    "confirmed",
    "overdue",
)


def stage_label(stage: str) -> str:
    return {
        "planned": _("计划上门"),
        "booked": _("已预约"),
        "visited": _("已上门"),
        "below": _("低于20℃"),
        "fixed": _("已处理"),
        "remeasured": _("已复测"),
        "confirmed": _("回访确认"),
        "overdue": _("逾期"),
    }[stage]


def stage_filter(stage: str, *, now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    today = timezone.localdate(now)
    open_statuses = list(OPEN_ENTRY_STATUSES)
    overdue = Q(status__in=open_statuses) & (
        Q(visited_at__isnull=True, planned_for__lt=today)
        | Q(status=EntryStatus.FIXED, remeasure_due_at__lt=now)
        | Q(status=EntryStatus.FOLLOWUP, followup_due_on__lt=today)
    )
    return {
        "planned": ~Q(status=EntryStatus.REMOVED),
        "booked": Q(booked_at__isnull=False),
        "visited": Q(visited_at__isnull=False),
        "below": Q(was_below_standard=True),
        "fixed": Q(fixed_at__isnull=False),
        "remeasured": Q(remeasured_at__isnull=False),
        "confirmed": Q(status=EntryStatus.DONE),
        "overdue": overdue,
    }[stage]


def entry_list_visible(
    *,
    viewer: Staff,
    season: HeatingSeason,
    district_id: int | None = None,
    stage: str | None = None,
    status: str | None = None,
    query: str = "",
) -> QuerySet[WatchEntry]:
    entries = scope_by_district(WatchEntry.objects.filter(season=season), viewer)
    if district_id:
        entries = entries.filter(district_id=district_id)
    if stage in STAGES:
        entries = entries.filter(stage_filter(stage))
    elif not status:
        entries = entries.exclude(status=EntryStatus.REMOVED)
    if status:
        entries = entries.filter(status=status)
    if query.strip():
        text = query.strip()
        entries = entries.filter(Q(household__account_number=text) | Q(household__address__contains=text))
    return entries.select_related("household", "district", "assignee").order_by("priority", "score", "id")


def entry_get_visible(*, pk: int, viewer: Staff) -> WatchEntry:
    entry = (
        scope_by_district(WatchEntry.objects.all(), viewer)
        .select_related(
            "household", "district", "assignee", "season", "building__community", "request", "manual_by"
        )
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise NotVisible()
    return entry


@dataclass
class ProgressRow:
    district_id: int | None
    name: str
    counts: dict[str, int]


PROGRESS_CACHE_SECONDS = 30


def progress_version(season_id: int) -> str:
    return str(cache.get_or_set(f"proactive:progress:v:{season_id}", "0"))


def progress_invalidate(season_id: int) -> None:
    """Called by every write of the list (now and again on commit): the next read recounts."""

    def bump() -> None:
        # Random, not the clock: a frozen clock (tests, time travel) must still give a new version.
        cache.set(f"proactive:progress:v:{season_id}", uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def progress_by_district(*, viewer: Staff, season: HeatingSeason) -> tuple[list[ProgressRow], ProgressRow]:
    """Planned, booked, visited, below 20 ℃, fixed, re-measured, confirmed, overdue — per district and total.
    One grouped query over the list (indexed by season, district, status), kept for 30 seconds per scope
    (every write of the list starts a new version, so a change shows at once in the same process)."""
    ids = visible_district_ids(viewer)
    scope = "all" if ids is None else ",".join(str(i) for i in sorted(ids))
    key = f"proactive:progress:{season.pk}:{progress_version(season.pk)}:{scope}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    result = _progress_count(viewer=viewer, season=season)
    cache.set(key, result, PROGRESS_CACHE_SECONDS)
    return result


def _progress_count(*, viewer: Staff, season: HeatingSeason) -> tuple[list[ProgressRow], ProgressRow]:
    now = timezone.now()
    aggregates = {stage: Count("id", filter=stage_filter(stage, now=now)) for stage in STAGES}
    rows = (
        scope_by_district(WatchEntry.objects.filter(season=season), viewer)
        .values("district_id", "district__name")
        .annotate(**aggregates)
        .order_by("district__name")
    )
    result: list[ProgressRow] = []
    for row in rows:
        values: dict[str, Any] = dict(row)
        result.append(
            ProgressRow(values["district_id"], values["district__name"], {s: values[s] for s in STAGES})
        )
    total = ProgressRow(
        None, _("全公司"), {stage: sum(row.counts[stage] for row in result) for stage in STAGES}
    )
    return result, total


def readings_of(entry: WatchEntry) -> QuerySet[Reading]:
    return (
        Reading.objects.filter(household_id=entry.household_id)
        .select_related("cause")
        .order_by("-measured_on", "-measured_at", "room")
    )


def tasks_for(
    *, viewer: Staff, season: HeatingSeason, today: dt.date | None = None
) -> dict[str, list[WatchEntry]]:
    """My work: booking calls due today (for tomorrow's visits), visits today, re-measures due, follow-up calls."""
    today = today or timezone.localdate()
    entries = scope_by_district(WatchEntry.objects.filter(season=season), viewer).select_related(
        "household", "building"
    )
    if viewer.role == "worker":
        entries = entries.filter(assignee=viewer)
    limit = 200
    return {
        "booking": list(
            entries.filter(status=EntryStatus.PLANNED, booking_due_on__lte=today).order_by(
                "booking_due_on", "id"
            )[:limit]
        ),
        # The visit route of the day (issue 21): nearest next, building to building.
        "visit": route_order(
            [
                (entry, entry.building.lon, entry.building.lat)
                for entry in entries.filter(
                    status__in=[EntryStatus.PLANNED, EntryStatus.BOOKED], planned_for__lte=today
                ).order_by("planned_for", "building_id", "id")[:limit]
            ]
        ),
        "remeasure": list(entries.filter(status=EntryStatus.FIXED).order_by("remeasure_due_at")[:limit]),
        "followup": list(
            entries.filter(status=EntryStatus.FOLLOWUP, followup_due_on__lte=today).order_by(
                "followup_due_on"
            )[:limit]
        ),
    }


def watchlist_status_for_households(household_ids: Iterable[int]) -> dict[int, str]:
    """{household_id: human-readable watch-list status (e.g. "重点关注·待上门")} for households on this season's list."""
    ids = list(household_ids)
    if not ids:
        return {}
    season = season_current()
    if season is None:
        return {}
    rows = (
        WatchEntry.objects.filter(season=season, household_id__in=ids)
        .exclude(status=EntryStatus.REMOVED)
        .values_list("household_id", "status")
    )
    labels = dict(EntryStatus.choices)
    return {
        household_id: _("重点关注·%(status)s") % {"status": labels[status]} for household_id, status in rows
    }


def ledger_export_xlsx(*, viewer: Staff, season: HeatingSeason) -> bytes:
    """专项服务台账: the watch list with what was done, as .xlsx (write-only, streams large lists)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("专项服务台账"))
    sheet.append([_("%(season)s采暖期 低温用户专项服务台账") % {"season": season}])
    sheet.append(
        [
            _("序号"),
            _("优先级"),
            _("户号"),
            _("地址"),
            _("片区"),
            _("上季最低室温"),
            _("上季分房间室温"),
            _("已知原因"),
            _("低温诉求次数"),
            _("状态"),
            _("计划上门日"),
            _("上门人员"),
            _("上门时间"),
            _("处理时间"),
            _("复测时间"),
            _("回访确认"),
            _("人工决定原因"),
        ]
    )
    labels = dict(EntryStatus.choices)

    def when(value: dt.datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    entries = entry_list_visible(viewer=viewer, season=season, status=None).iterator(chunk_size=2000)
    for number, entry in enumerate(entries, start=1):
        sheet.append(
            [
                number,
                entry.priority,
                entry.household.account_number,
                entry.household.address,
                entry.district.name,
                float(entry.min_temperature) if entry.min_temperature is not None else None,
                ";".join(f"{room} {value}℃" for room, value in entry.rooms.items()),
                "、".join(entry.causes),
                entry.complaint_count,
                str(labels.get(entry.status, entry.status)),
                entry.planned_for.isoformat() if entry.planned_for else "",
                entry.assignee.display_name if entry.assignee else "",
                when(entry.visited_at),
                when(entry.fixed_at),
                when(entry.remeasured_at),
                when(entry.confirmed_at),
                entry.manual_reason,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
