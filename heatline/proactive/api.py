"""API of proactive (mounted by heatline/api.py): the watch list and its visits."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from heatline.api import current_staff
from heatline.core.errors import InvalidInput, NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_current, season_get
from heatline.proactive import services
from heatline.proactive.models import EntryStatus, WatchEntry
from heatline.proactive.schemas import (
    AddIn,
    BookingIn,
    BuildOut,
    EntryOut,
    EntryPage,
    FollowupIn,
    ReasonIn,
    RemeasureIn,
    VisitIn,
)
from heatline.proactive.selectors import entry_get_visible, entry_list_visible
from heatline.registry.models import Household

router = Router(tags=["proactive"])
LABELS = dict(EntryStatus.choices)


class ListFilter(Schema):
    season: int | None = None
    district: int | None = None
    stage: str | None = None
    status: str | None = None
    q: str = ""
    limit: int = 100
    offset: int = 0


def _season(year: int | None) -> HeatingSeason:
    season = season_get(year) if year else season_current()
    if season is None:
        raise InvalidInput(_("采暖期不存在:%(year)s") % {"year": year or ""}, field="season")
    return season


def entry_out(entry: WatchEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "season": entry.season.year,
        "account_number": entry.household.account_number,
        "address": entry.household.address,
        "district": entry.district.name,
        "rooms": entry.rooms,
        "causes": entry.causes,
        "complaint_count": entry.complaint_count,
        "low_reading_count": entry.low_reading_count,
        "min_temperature": entry.min_temperature,
        "priority": entry.priority,
        "status": entry.status,
        "status_label": str(LABELS.get(entry.status, entry.status)),
        "source": entry.source,
        "manual": entry.manual,
        "manual_reason": entry.manual_reason,
        "planned_for": entry.planned_for,
        "booking_due_on": entry.booking_due_on,
        "assignee": entry.assignee.display_name if entry.assignee else None,
        "visited_at": entry.visited_at,
        "fixed_at": entry.fixed_at,
        "remeasure_due_at": entry.remeasure_due_at,
        "remeasured_at": entry.remeasured_at,
        "followup_due_on": entry.followup_due_on,
        "confirmed_at": entry.confirmed_at,
        "request_number": entry.request.number if entry.request_id and entry.request else None,
    }


@router.get("/watchlist", response=EntryPage)
def watchlist(request: HttpRequest, filters: Query[ListFilter]) -> dict[str, Any]:
    """低温用户重点关注清单 of a season (default: the current one), scoped to the caller's districts."""
    staff = current_staff(request)
    season = _season(filters.season)
    entries = entry_list_visible(
        viewer=staff,
        season=season,
        district_id=filters.district,
        stage=filters.stage,
        status=filters.status,
        query=filters.q,
    ).select_related("season", "request")
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    return {
        "count": entries.count(),
        "items": [entry_out(entry) for entry in entries[offset : offset + limit]],
    }


@router.get("/watchlist/{entry_id}", response=EntryOut)
def watchlist_entry(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    return entry_out(entry_get_visible(pk=entry_id, viewer=current_staff(request)))


@router.post("/watchlist/build/{year}", response=BuildOut)
def watchlist_build(request: HttpRequest, year: int) -> services.BuildResult:
    return services.watchlist_build(season=_season(year), by=current_staff(request))


@router.post("/watchlist", response={201: EntryOut})
def watchlist_add(request: HttpRequest, body: AddIn) -> tuple[int, dict[str, Any]]:
    staff = current_staff(request)
    household = Household.objects.filter(account_number=body.account_number.strip()).first()
    if household is None:
        raise NotVisible(_("户号不存在"))
    entry = services.watch_entry_add(
        season=_season(body.season), household=household, reason=body.reason, by=staff
    )
    return 201, entry_out(entry_get_visible(pk=entry.pk, viewer=staff))


@router.post("/watchlist/{entry_id}/remove", response=EntryOut)
def watchlist_remove(request: HttpRequest, entry_id: int, body: ReasonIn) -> dict[str, Any]:
    staff = current_staff(request)
    entry = services.watch_entry_remove(
        entry=entry_get_visible(pk=entry_id, viewer=staff), reason=body.reason, by=staff
    )
    return entry_out(entry_get_visible(pk=entry.pk, viewer=staff))


@router.post("/watchlist/{entry_id}/booking", response=EntryOut)
def watchlist_booking(request: HttpRequest, entry_id: int, body: BookingIn) -> dict[str, Any]:
    staff = current_staff(request)
    entry = entry_get_visible(pk=entry_id, viewer=staff)
    services.booking_record(entry=entry, by=staff, result=body.result, new_time=body.new_time, note=body.note)
    return entry_out(entry_get_visible(pk=entry_id, viewer=staff))


@router.post("/watchlist/{entry_id}/visit", response=EntryOut)
def watchlist_visit(request: HttpRequest, entry_id: int, body: VisitIn) -> dict[str, Any]:
    staff = current_staff(request)
    entry = entry_get_visible(pk=entry_id, viewer=staff)
    services.visit_record(
        entry=entry,
        by=staff,
        readings=[services.RoomReading(room=r.room, temperature=r.temperature) for r in body.readings],
        instrument_id=body.instrument_id,
        instrument_certificate=body.instrument_certificate,
        is_calibrated=body.is_calibrated,
        cause=body.cause,
        action=body.action,
        action_note=body.action_note,
    )
    return entry_out(entry_get_visible(pk=entry_id, viewer=staff))


@router.post("/watchlist/{entry_id}/fix", response=EntryOut)
def watchlist_fix(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    staff = current_staff(request)
    services.fix_record(entry=entry_get_visible(pk=entry_id, viewer=staff), by=staff)
    return entry_out(entry_get_visible(pk=entry_id, viewer=staff))


@router.post("/watchlist/{entry_id}/remeasure", response=EntryOut)
def watchlist_remeasure(request: HttpRequest, entry_id: int, body: RemeasureIn) -> dict[str, Any]:
    staff = current_staff(request)
    services.remeasure_record(
        entry=entry_get_visible(pk=entry_id, viewer=staff),
        by=staff,
        readings=[services.RoomReading(room=r.room, temperature=r.temperature) for r in body.readings],
    )
    return entry_out(entry_get_visible(pk=entry_id, viewer=staff))


@router.post("/watchlist/{entry_id}/followup", response=EntryOut)
def watchlist_followup(request: HttpRequest, entry_id: int, body: FollowupIn) -> dict[str, Any]:
    staff = current_staff(request)
    services.followup_record(
        entry=entry_get_visible(pk=entry_id, viewer=staff), by=staff, result=body.result, note=body.note
    )
    return entry_out(entry_get_visible(pk=entry_id, viewer=staff))
