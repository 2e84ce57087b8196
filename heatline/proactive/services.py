"""Writes of 未诉先办 (第四条): build the watch list, plan and book visits, record visits, fixes,
re-measurements and follow-up calls."""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.bulk import RawJSON, insert_rows
from heatline.core.errors import ActionForbidden, InvalidInput, NotVisible, TransitionNotAllowed
from heatline.core.models import HeatingSeason
from heatline.core.rules import rule, rule_int
from heatline.core.seasons import season_bounds, season_previous
from heatline.proactive.models import (
    BookingCall,
    BookingResult,
    EntrySource,
    EntryStatus,
    FollowupCall,
    FollowupResult,
    ManualDecision,
    Reading,
    ReadingSource,
    Visit,
    VisitAction,
    WatchEntry,
)
from heatline.proactive.refunds import CountingRules, reading_counts
from heatline.proactive.selectors import progress_invalidate
from heatline.registry.models import Building, Household, Role, Staff
from heatline.registry.scoping import may_see_district
from heatline.requests.models import Cause, ServiceRequest, Source
from heatline.requests.services import Intake, request_register

TEMPERATURE_MIN = Decimal(-10)
TEMPERATURE_MAX = Decimal(40)
VISITS_PER_DAY = 8  # per staff member; a worker walks one building (estate) at a time
COMPLAINT_SOURCES = (Source.HOTLINE, Source.GOV_12345, Source.GOV_12319)
CHUNK = 5000

BUILD_ROLES = frozenset({Role.ADMIN, Role.DEPT_HEAD, Role.BRANCH, Role.DISTRICT})
EDIT_ROLES = frozenset({Role.ADMIN, Role.DEPT_HEAD, Role.BRANCH, Role.DISTRICT})
FIELD_ROLES = frozenset({Role.ADMIN, Role.BRANCH, Role.DISTRICT, Role.WORKER})
CALL_ROLES = frozenset({Role.ADMIN, Role.BRANCH, Role.DISTRICT, Role.WORKER, Role.OPERATOR})

Progress = Callable[[str], None]


def _require_role(by: Staff, roles: frozenset[Role]) -> None:
    if not (by.is_superuser or by.role in roles):
        raise ActionForbidden(_("您的角色不能执行此操作"))


def _require_district(by: Staff, district_id: int | None) -> None:
    if not may_see_district(by, district_id):
        raise NotVisible(_("该用户不在您的管辖片区"))


@dataclass
class Candidate:
    min_temperature: Decimal | None = None
    low_readings: int = 0
    complaints: int = 0
    rooms: dict[str, float] = field(default_factory=dict)
    causes: set[str] = field(default_factory=set)
    place: tuple[int, int] | None = None  # (building, district) when the query already knew them
    # PostgreSQL: the rooms as the database aggregated them (JSON text), written to a new entry as they
    # are; parsed only to compare with an existing entry (`room_values`).
    rooms_json: RawJSON | None = None

    def room_values(self) -> dict[str, float]:
        if self.rooms_json is None:
            return self.rooms
        rooms = json.loads(self.rooms_json)
        return {room: float(rooms[room]) for room in sorted(rooms)}


def priority_of(min_temperature: Decimal | None, repeats: int) -> tuple[int, int]:
    """(level, score): coldest and most repeated first. Level 1: under 16 ℃ or 3+ times; 2: under 18 ℃ or
    twice; else 3. Within a level, the colder and then the more repeated comes first."""
    if (min_temperature is not None and min_temperature < 16) or repeats >= 3:
        level = 1
    elif (min_temperature is not None and min_temperature < 18) or repeats >= 2:
        level = 2
    else:
        level = 3
    tenths = int((min_temperature if min_temperature is not None else Decimal(30)) * 10) + 100
    return level, max(tenths, 0) * 1000 + (999 - min(repeats, 999))


def _window(season: HeatingSeason) -> tuple[HeatingSeason | None, dt.datetime, dt.datetime]:
    previous = season_previous(season)
    if previous is not None:
        start, end = season_bounds(previous)
        return previous, start, end
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(season.trial_start or season.first_heating_day, dt.time.min, tzinfo=tz)
    return None, end - dt.timedelta(days=365), end


def watchlist_candidates(season: HeatingSeason) -> dict[int, Candidate]:
    """第四条.1: households with a low-temperature request last season, or a reading under the standard."""
    standard = rule("room_temp_standard")
    previous, start, end = _window(season)
    readings = Reading.objects.all()
    if previous is not None:
        readings = readings.filter(season=previous)
    else:
        readings = readings.filter(measured_on__gte=start.date(), measured_on__lt=end.date())
    requests = ServiceRequest.objects.filter(
        category__is_low_temperature=True,
        source__in=COMPLAINT_SOURCES,
        received_at__gte=start,
        received_at__lt=end,
        household__isnull=False,
    )
    complaints = dict(requests.values_list("household_id").annotate(n=Count("id")).order_by())
    per_room = readings.values("household_id", "room").annotate(
        low=Min("temperature"), low_count=Count("id", filter=Q(temperature__lt=standard))
    )
    if connection.vendor == "postgresql":
        found = _candidates_postgresql(per_room, standard=standard, complaints=complaints)
    else:
        found = _candidates_generic(per_room, standard=standard, complaints=complaints)
    for household_id, count in complaints.items():
        found.setdefault(household_id, Candidate()).complaints = count
    causes = (
        readings.filter(temperature__lt=standard)
        .exclude(cause__isnull=True, cause_text="")
        .values_list("household_id", "cause__name", "cause_text")
        .distinct()
        .order_by()
    )
    for household_id, cause_name, cause_text in causes:
        if household_id in found:
            found[household_id].causes.add(cause_name or cause_text)
    request_causes = (
        requests.filter(cause__isnull=False).values_list("household_id", "cause__name").distinct().order_by()
    )
    for household_id, cause_name in request_causes:
        found[household_id].causes.add(cause_name)
    return found


def _candidates_generic(
    per_room: "QuerySet[Any, Any]", *, standard: Decimal, complaints: dict[int, int]
) -> dict[int, Candidate]:
    all_rooms: dict[int, dict[str, Decimal]] = defaultdict(dict)
    low_counts: dict[int, int] = defaultdict(int)
    for row in per_room.order_by():
        all_rooms[row["household_id"]][row["room"]] = row["low"]
        low_counts[row["household_id"]] += row["low_count"]
    found: dict[int, Candidate] = {}
    for household_id, rooms in all_rooms.items():
        coldest = min(rooms.values())
        if coldest < standard or household_id in complaints:
            found[household_id] = Candidate(
                min_temperature=coldest,
                low_readings=low_counts[household_id],
                rooms={room: float(value) for room, value in sorted(rooms.items())},
            )
    return found


def _candidates_postgresql(
    per_room: "QuerySet[Any, Any]", *, standard: Decimal, complaints: dict[int, int]
) -> dict[int, Candidate]:
    """The same as `_candidates_generic`, aggregated per household in the database (one row per candidate,
    with its building and district), which keeps a 600,000-reading ledger fast."""
    inner, params = per_room.order_by().query.sql_with_params()
    sql = (
        "SELECT a.household_id, h.building_id, b.district_id, a.coldest, a.low_count, a.rooms::text "
        "FROM (SELECT household_id, MIN(low) AS coldest, SUM(low_count) AS low_count, "
        "      jsonb_object_agg(room, low) AS rooms "
        f"     FROM ({inner}) per_room GROUP BY household_id) a "
        "JOIN registry_household h ON h.id = a.household_id "
        "JOIN registry_building b ON b.id = h.building_id "
        "WHERE a.coldest < %s OR a.household_id IN (SELECT unnest(%s::bigint[]))"
    )
    found: dict[int, Candidate] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, standard, list(complaints)])
        for household_id, building_id, district_id, coldest, low_count, rooms_json in cursor.fetchall():
            found[household_id] = Candidate(
                min_temperature=coldest,
                low_readings=int(low_count),
                rooms_json=RawJSON(rooms_json),
                place=(building_id, district_id),
            )
    return found


def _households(ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{household_id: (building_id, district_id)}, read in chunks (SQLite limits the IN list)."""
    ids = list(ids)
    result: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = Household.objects.filter(pk__in=ids[start : start + CHUNK]).values_list(
            "id", "building_id", "building__district_id"
        )
        result.update({pk: (building, district) for pk, building, district in rows})
    return result


@dataclass(slots=True)
class PlanItem:
    """A new entry while it is planned in memory (cheaper than a model instance at 100,000s)."""

    household_id: int
    district_id: int
    building_id: int
    values: dict[str, Any]
    assignee_id: int | None = None
    planned_for: dt.date | None = None
    booking_due_on: dt.date | None = None

    @property
    def priority(self) -> int:
        return int(self.values["priority"])

    @property
    def score(self) -> int:
        return int(self.values["score"])


@dataclass
class BuildResult:
    created: int = 0
    updated: int = 0
    dropped: int = 0
    kept_manual: int = 0
    total: int = 0
    planned: int = 0


@transaction.atomic
def watchlist_build(
    *, season: HeatingSeason, by: Staff | None, progress: Progress | None = None
) -> BuildResult:
    """第四条.1: (re)build the season's list. Manual decisions (added / removed, with reason) survive;
    an automatic entry that no longer qualifies is dropped while nothing was done on it yet."""
    if by is not None:
        _require_role(by, BUILD_ROLES)
    say = progress or (lambda message: None)
    say(_("读取上一采暖期的测温台账与低温诉求…"))
    found = watchlist_candidates(season)
    say(_("符合条件的热用户:%(n)s 户") % {"n": len(found)})
    existing = {
        entry.household_id: entry
        for entry in WatchEntry.objects.filter(season=season).only(
            "id",
            "household_id",
            "status",
            "manual",
            "min_temperature",
            "low_reading_count",
            "complaint_count",
            "rooms",
            "causes",
            "priority",
            "score",
            "is_candidate",
            "visited_at",
            "booked_at",
        )
    }
    places = {hid: c.place for hid, c in found.items() if c.place is not None and hid not in existing}
    places.update(_households(hid for hid in found if hid not in existing and hid not in places))
    result = BuildResult()
    new_entries: list[PlanItem] = []
    changed: list[WatchEntry] = []
    fields = [
        "min_temperature",
        "low_reading_count",
        "complaint_count",
        "rooms",
        "causes",
        "priority",
        "score",
    ]
    for household_id, candidate in found.items():
        level, score = priority_of(candidate.min_temperature, candidate.complaints + candidate.low_readings)
        entry = existing.get(household_id)
        values: dict[str, Any] = {
            "min_temperature": candidate.min_temperature,
            "low_reading_count": candidate.low_readings,
            "complaint_count": candidate.complaints,
            "rooms": candidate.rooms_json
            if entry is None and candidate.rooms_json is not None
            else candidate.room_values(),
            "causes": sorted(candidate.causes),
            "priority": level,
            "score": score,
        }
        if entry is None:
            building_id, district_id = places[household_id]
            new_entries.append(PlanItem(household_id, district_id, building_id, values))
            continue
        if entry.manual:
            result.kept_manual += 1
        dirty = not entry.is_candidate
        for name, value in values.items():
            if getattr(entry, name) != value:
                setattr(entry, name, value)
                dirty = True
        entry.is_candidate = True
        if dirty:
            changed.append(entry)
    say(_("排定上门计划(按楼栋分组)…"))
    _plan(season=season, entries=new_entries)
    insert_rows(
        WatchEntry,
        [
            "season_id",
            "household_id",
            "district_id",
            "building_id",
            "status",
            "is_candidate",
            "manual",
            "manual_reason",
            "was_below_standard",
            *fields,
            "assignee_id",
            "planned_for",
            "booking_due_on",
        ],
        (
            (
                season.pk,
                item.household_id,
                item.district_id,
                item.building_id,
                EntryStatus.PLANNED,
                True,
                "",
                "",
                False,
                *(item.values[name] for name in fields),
                item.assignee_id,
                item.planned_for,
                item.booking_due_on,
            )
            for item in new_entries
        ),
    )
    result.created = len(new_entries)
    say(_("新加入:%(n)s 户") % {"n": result.created})
    WatchEntry.objects.bulk_update(changed, [*fields, "is_candidate"], batch_size=1000)
    result.updated = len(changed)

    gone = [entry for household_id, entry in existing.items() if household_id not in found]
    drop = [
        e.pk
        for e in gone
        # A home a sensor found cold (在线监测) stays: it is on the list for this season's readings.
        if e.manual == ManualDecision.NONE
        and e.source == EntrySource.LEDGER
        and e.visited_at is None
        and e.booked_at is None
    ]
    dropped = set(drop)
    keep = [e.pk for e in gone if e.pk not in dropped]
    for start in range(0, len(drop), CHUNK):
        WatchEntry.objects.filter(pk__in=drop[start : start + CHUNK]).delete()
    for start in range(0, len(keep), CHUNK):
        WatchEntry.objects.filter(pk__in=keep[start : start + CHUNK]).update(is_candidate=False)
    result.dropped = len(drop)
    result.kept_manual += sum(1 for e in gone if e.manual)
    result.planned = len(new_entries) + visit_plan(season=season)
    result.total = WatchEntry.objects.filter(season=season).exclude(status=EntryStatus.REMOVED).count()
    if by is not None:
        audit_record(
            by=by,
            obj=season,
            action="watchlist_build",
            extra={"created": result.created, "updated": result.updated, "dropped": result.dropped},
        )
    say(_("完成:清单共 %(n)s 户") % {"n": result.total})
    progress_invalidate(season.pk)
    return result


def visit_plan(*, season: HeatingSeason, today: dt.date | None = None) -> int:
    """第四条.2: plan a visit for every entry of the list still without one (see `_plan`)."""
    unplanned = list(
        WatchEntry.objects.filter(season=season, planned_for__isnull=True)
        .exclude(status=EntryStatus.REMOVED)
        .only("id", "district_id", "building_id", "priority", "score")
    )
    if not unplanned:
        return 0
    _plan(season=season, entries=unplanned, today=today)
    WatchEntry.objects.bulk_update(
        unplanned, ["assignee_id", "planned_for", "booking_due_on"], batch_size=1000
    )
    return len(unplanned)


def _plan(*, season: HeatingSeason, entries: Sequence[Any], today: dt.date | None = None) -> None:
    """Plan visits in memory: from the first heating day (or tomorrow, if the season has begun, so the
    booking call can still come the day before), building by building — one building to one person, so a
    worker walks one estate at a time — shared among the district's field staff, VISITS_PER_DAY each."""
    today = today or timezone.localdate()
    days_before = rule_int("booking_days_before")
    first_day = max(season.first_heating_day, today + dt.timedelta(days=days_before))
    workers: dict[int, list[int]] = defaultdict(list)
    responsibles: dict[int, list[int]] = defaultdict(list)
    for staff_id, district_id, role in (
        Staff.objects.filter(is_active=True, role__in=[Role.WORKER, Role.DISTRICT], district__isnull=False)
        .order_by("id")
        .values_list("id", "district_id", "role")
    ):
        (workers if role == Role.WORKER else responsibles)[district_id].append(staff_id)
    # Workers visit; the district's responsible person only where the district has no worker.
    staff_by_district = {d: workers.get(d) or responsibles[d] for d in {*workers, *responsibles}}
    # The load already planned per (staff, day), so a rebuild continues the calendar.
    load: dict[tuple[int, dt.date], int] = defaultdict(int)
    for assignee_id, day, n in (
        WatchEntry.objects.filter(season=season, planned_for__gte=first_day, assignee__isnull=False)
        .values_list("assignee_id", "planned_for")
        .annotate(n=Count("id"))
        .order_by()
    ):
        load[(assignee_id, day)] = n
    building_ids = {entry.building_id for entry in entries}
    communities: dict[int, int] = {}
    ids = list(building_ids)
    for start in range(0, len(ids), CHUNK):
        communities.update(
            Building.objects.filter(pk__in=ids[start : start + CHUNK]).values_list("id", "community_id")
        )
    by_district: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        by_district[entry.district_id][entry.building_id].append(entry)
    next_free: dict[int, dt.date] = {}
    for district_id, buildings in by_district.items():
        staff = staff_by_district.get(district_id, [])
        # Buildings with the most urgent households first; a building's households stay together.
        order = sorted(
            buildings,
            key=lambda b: (min((e.priority, e.score) for e in buildings[b]), communities.get(b, 0), b),
        )
        for cursor, building_id in enumerate(order):
            assignee = staff[cursor % len(staff)] if staff else None
            for entry in sorted(buildings[building_id], key=lambda e: (e.priority, e.score, e.household_id)):
                day = first_day
                if assignee is not None:
                    day = next_free.get(assignee, first_day)
                    while load[(assignee, day)] >= VISITS_PER_DAY:
                        day += dt.timedelta(days=1)
                    next_free[assignee] = day
                    load[(assignee, day)] += 1
                entry.assignee_id = assignee
                entry.planned_for = day
                entry.booking_due_on = day - dt.timedelta(days=days_before)


@transaction.atomic
def watch_entry_add(*, season: HeatingSeason, household: Household, reason: str, by: Staff) -> WatchEntry:
    """Staff put a household on the list by hand; a rebuild keeps it."""
    _require_role(by, EDIT_ROLES)
    building = Building.objects.get(pk=household.building_id)
    _require_district(by, building.district_id)
    if not reason.strip():
        raise InvalidInput(_("请填写加入原因"), field="reason")
    entry, created = WatchEntry.objects.get_or_create(
        season=season,
        household=household,
        defaults={
            "district_id": building.district_id,
            "building": building,
            "is_candidate": False,
            "source": EntrySource.MANUAL,
            "manual": ManualDecision.ADDED,
            "manual_reason": reason.strip()[:200],
            "manual_by": by,
            **dict(zip(("priority", "score"), priority_of(None, 0), strict=True)),
        },
    )
    if not created:
        if entry.status != EntryStatus.REMOVED:
            raise TransitionNotAllowed(message=_("该用户已在清单中"))
        entry.status = EntryStatus.PLANNED
        entry.manual = ManualDecision.ADDED
        entry.manual_reason = reason.strip()[:200]
        entry.manual_by = by
        entry.save()
    visit_plan(season=season)
    entry.refresh_from_db()
    audit_record(by=by, obj=entry, action="watch_add", note=reason)
    progress_invalidate(season.pk)
    return entry


@transaction.atomic
def watch_entry_remove(*, entry: WatchEntry, reason: str, by: Staff) -> WatchEntry:
    """Staff take a household off the list with a reason; a rebuild does not bring it back."""
    _require_role(by, EDIT_ROLES)
    _require_district(by, entry.district_id)
    if not reason.strip():
        raise InvalidInput(_("请填写移出原因"), field="reason")
    if entry.status == EntryStatus.REMOVED:
        raise TransitionNotAllowed(message=_("该用户已移出清单"))
    entry.status = EntryStatus.REMOVED
    entry.manual = ManualDecision.REMOVED
    entry.manual_reason = reason.strip()[:200]
    entry.manual_by = by
    entry.save()
    audit_record(by=by, obj=entry, action="watch_remove", note=reason)
    progress_invalidate(entry.season_id)
    return entry


def _lock(entry: WatchEntry) -> WatchEntry:
    return WatchEntry.objects.select_for_update().select_related("household", "season").get(pk=entry.pk)


@transaction.atomic
def booking_record(
    *, entry: WatchEntry, result: str, by: Staff, new_time: dt.datetime | None = None, note: str = ""
) -> WatchEntry:
    """第四条.2: the booking call the day before: reached / not reached / rescheduled (with the new time)."""
    _require_role(by, CALL_ROLES)
    _require_district(by, entry.district_id)
    entry = _lock(entry)
    if result not in BookingResult.values:
        raise InvalidInput(_("预约结果无效"), field="result")
    if entry.status not in (EntryStatus.PLANNED, EntryStatus.BOOKED):
        raise TransitionNotAllowed(entry.get_status_display(), _("预约"))
    now = timezone.now()
    if result == BookingResult.RESCHEDULED:
        if new_time is None:
            raise InvalidInput(_("改约须填写新的上门时间"), field="new_time")
        if new_time < now:
            raise InvalidInput(_("新的上门时间不能早于现在"), field="new_time")
    BookingCall.objects.create(entry=entry, at=now, by=by, result=result, new_time=new_time, note=note[:200])
    if result != BookingResult.NOT_REACHED:
        entry.status = EntryStatus.BOOKED
        entry.booked_at = entry.booked_at or now
        if new_time is not None:
            entry.appointment_at = new_time
            entry.planned_for = timezone.localdate(new_time)
            entry.booking_due_on = entry.planned_for - dt.timedelta(days=rule_int("booking_days_before"))
        entry.save()
        progress_invalidate(entry.season_id)
    return entry


@dataclass
class RoomReading:
    room: str
    temperature: Decimal


def _check_readings(readings: list[RoomReading]) -> None:
    if not readings:
        raise InvalidInput(_("上门须至少录入一个房间的室温"), field="readings")
    rooms: set[str] = set()
    for reading in readings:
        room = reading.room.strip()
        if not room:
            raise InvalidInput(_("请填写房间"), field="readings")
        if room in rooms:
            raise InvalidInput(_("房间重复:%(room)s") % {"room": room}, field="readings")
        rooms.add(room)
        if not TEMPERATURE_MIN <= reading.temperature <= TEMPERATURE_MAX:
            raise InvalidInput(
                _("温度超出范围(-10~40℃):%(room)s %(t)s℃") % {"room": room, "t": reading.temperature},
                field="readings",
            )


def _store_readings(
    *, entry: WatchEntry, visit: Visit, readings: list[RoomReading], source: str, at: dt.datetime
) -> list[Reading]:
    rules = CountingRules.current()
    counts, reason = reading_counts(measured_at=at, is_calibrated=visit.is_calibrated, rules=rules)
    rows = [
        Reading(
            household_id=entry.household_id,
            season=entry.season,
            source=source,
            measured_on=timezone.localdate(at),
            measured_at=at,
            room=reading.room.strip(),
            temperature=reading.temperature,
            cause=visit.cause,
            instrument_id=visit.instrument_id,
            is_calibrated=visit.is_calibrated,
            counts_for_refund=counts,
            not_counting_reason=reason,
            visit=visit,
        )
        for reading in readings
    ]
    return Reading.objects.bulk_create(rows)


def _open_specialist_request(
    *, entry: WatchEntry, by: Staff, cause: Cause, note: str, low: str
) -> ServiceRequest:
    household = entry.household
    phone = household.phone or household.phone2 or by.phone or "963000"
    service_request, _created = request_register(
        intake=Intake(
            source=Source.PROACTIVE,
            phone=phone,
            caller_name=household.contact_name,
            household=household.account_number,
            category="low_temperature",
            content=_("未诉先办上门测温低于标准:%(low)s;原因:%(cause)s。%(note)s")
            % {"low": low, "cause": cause.name, "note": note},
            wants_callback=False,
        ),
        by=by,
    )
    return service_request


@transaction.atomic
def visit_record(
    *,
    entry: WatchEntry,
    by: Staff,
    readings: list[RoomReading],
    instrument_id: str,
    instrument_certificate: str = "",
    is_calibrated: bool,
    cause: str | None = None,
    action: str = "",
    action_note: str = "",
    photo: UploadedFile[bytes] | None = None,
    at: dt.datetime | None = None,
) -> Visit:
    """第四条.2–3: measure every main room; any room under 20 ℃ needs a cause and an action: fixed on the
    spot (re-measure in 30 minutes) or specialists brought in (a linked request, routed as usual)."""
    _require_role(by, FIELD_ROLES)
    _require_district(by, entry.district_id)
    entry = _lock(entry)
    if entry.status in (EntryStatus.REMOVED, EntryStatus.DONE):
        raise TransitionNotAllowed(entry.get_status_display(), _("上门测温"))
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput(_("上门时间不能晚于当前时间"), field="at")
    _check_readings(readings)
    if not instrument_id.strip():
        raise InvalidInput(_("请填写测温仪器编号"), field="instrument_id")
    standard = rule("room_temp_standard")
    low = [reading for reading in readings if reading.temperature < standard]
    cause_row: Cause | None = None
    if cause:
        cause_row = Cause.objects.filter(code=cause, is_active=True).first()
        if cause_row is None:
            raise InvalidInput(_("原因代码不存在:%(code)s") % {"code": cause}, field="cause")
    if low:
        if cause_row is None:
            raise InvalidInput(_("有房间低于%(t)s℃,须填写原因") % {"t": standard}, field="cause")
        if action not in (VisitAction.FIXED, VisitAction.SPECIALISTS):
            raise InvalidInput(
                _("有房间低于%(t)s℃,须选择处理方式:现场处理或转专业维修") % {"t": standard}, field="action"
            )
    elif action:
        action = VisitAction.NONE if action not in VisitAction.values else action
    visit = Visit.objects.create(
        entry=entry,
        at=at,
        by=by,
        instrument_id=instrument_id.strip()[:40],
        instrument_certificate=instrument_certificate.strip()[:60],
        is_calibrated=is_calibrated,
        cause=cause_row,
        action=action if low else VisitAction.NONE,
        action_note=action_note.strip()[:300],
        photo=photo,
    )
    _store_readings(entry=entry, visit=visit, readings=readings, source=ReadingSource.VISIT, at=at)
    entry.visited_at = entry.visited_at or at
    if low:
        entry.was_below_standard = True
        entry.remeasured_at = None
        entry.remeasure_warned_at = None
        if action == VisitAction.FIXED:
            entry.status = EntryStatus.FIXED
            entry.fixed_at = at
            entry.remeasure_due_at = at + dt.timedelta(minutes=rule_int("remeasure_minutes"))
        else:
            low_text = "、".join(f"{r.room}{r.temperature}℃" for r in low)
            assert cause_row is not None
            service_request = _open_specialist_request(
                entry=entry, by=by, cause=cause_row, note=action_note, low=low_text
            )
            visit.request = service_request
            visit.save(update_fields=["request"])
            entry.request = service_request
            entry.status = EntryStatus.SPECIALISTS
    else:
        entry.status = EntryStatus.FOLLOWUP
        entry.followup_due_on = timezone.localdate(at) + dt.timedelta(days=rule_int("followup_call_days"))
    entry.save()
    audit_record(
        by=by, obj=entry, action="visit", extra={"visit": visit.pk, "low": len(low), "action": action}
    )
    progress_invalidate(entry.season_id)
    return visit


@transaction.atomic
def fix_record(*, entry: WatchEntry, by: Staff, note: str = "") -> WatchEntry:
    """The fix after specialists (or after a re-measurement still low): starts the 30-minute re-measure clock."""
    _require_role(by, FIELD_ROLES)
    _require_district(by, entry.district_id)
    entry = _lock(entry)
    if entry.status not in (EntryStatus.LOW, EntryStatus.SPECIALISTS):
        raise TransitionNotAllowed(entry.get_status_display(), _("记录处理"))
    now = timezone.now()
    entry.status = EntryStatus.FIXED
    entry.fixed_at = now
    entry.remeasure_due_at = now + dt.timedelta(minutes=rule_int("remeasure_minutes"))
    entry.remeasure_warned_at = None
    entry.save()
    audit_record(by=by, obj=entry, action="fix", note=note)
    progress_invalidate(entry.season_id)
    return entry


@transaction.atomic
def remeasure_record(
    *,
    entry: WatchEntry,
    by: Staff,
    readings: list[RoomReading],
    instrument_id: str = "",
    is_calibrated: bool | None = None,
) -> WatchEntry:
    """第四条.3: 30 minutes after the fix, measure again. Still low keeps the entry open."""
    _require_role(by, FIELD_ROLES)
    _require_district(by, entry.district_id)
    entry = _lock(entry)
    if entry.status != EntryStatus.FIXED or entry.fixed_at is None or entry.remeasure_due_at is None:
        raise TransitionNotAllowed(message=_("尚未记录处理,不能复测"))
    now = timezone.now()
    if now < entry.remeasure_due_at:
        raise InvalidInput(
            _("处理后须满%(m)s分钟再复测(%(due)s 起)")
            % {
                "m": rule_int("remeasure_minutes"),
                "due": timezone.localtime(entry.remeasure_due_at).strftime("%H:%M"),
            }
        )
    _check_readings(readings)
    last_visit = entry.visits.order_by("-at").first()
    if last_visit is None:
        raise TransitionNotAllowed(message=_("尚未上门,不能复测"))
    visit = Visit(
        entry=entry,
        at=now,
        by=by,
        instrument_id=(instrument_id.strip() or last_visit.instrument_id)[:40],
        instrument_certificate=last_visit.instrument_certificate,
        is_calibrated=last_visit.is_calibrated if is_calibrated is None else is_calibrated,
        cause=last_visit.cause,
    )
    # The re-measure readings hang off the visit they check.
    visit.pk = last_visit.pk
    _store_readings(entry=entry, visit=visit, readings=readings, source=ReadingSource.REMEASURE, at=now)
    standard = rule("room_temp_standard")
    entry.remeasured_at = now
    if any(reading.temperature < standard for reading in readings):
        entry.status = EntryStatus.LOW
    else:
        entry.status = EntryStatus.FOLLOWUP
        entry.followup_due_on = timezone.localdate(now) + dt.timedelta(days=rule_int("followup_call_days"))
    entry.save()
    audit_record(by=by, obj=entry, action="remeasure", extra={"status": entry.status})
    progress_invalidate(entry.season_id)
    return entry


@transaction.atomic
def followup_record(*, entry: WatchEntry, by: Staff, result: str, note: str = "") -> WatchEntry:
    """第四条.3: the follow-up call makes sure the temperature holds; only then is the entry done."""
    _require_role(by, CALL_ROLES)
    _require_district(by, entry.district_id)
    entry = _lock(entry)
    if result not in FollowupResult.values:
        raise InvalidInput(_("回访结果无效"), field="result")
    if entry.status != EntryStatus.FOLLOWUP:
        raise TransitionNotAllowed(entry.get_status_display(), _("电话回访"))
    today = timezone.localdate()
    if entry.followup_due_on is not None and today < entry.followup_due_on:
        raise InvalidInput(
            _("电话回访应在 %(day)s 及以后进行(上门后%(n)s天)")
            % {"day": entry.followup_due_on.isoformat(), "n": rule_int("followup_call_days")}
        )
    now = timezone.now()
    FollowupCall.objects.create(entry=entry, at=now, by=by, result=result, note=note[:200])
    if result == FollowupResult.HOLDS:
        entry.status = EntryStatus.DONE
        entry.confirmed_at = now
    elif result == FollowupResult.STILL_COLD:
        entry.status = EntryStatus.LOW
    entry.save()
    progress_invalidate(entry.season_id)
    return entry


def remeasure_warn(*, now: dt.datetime, batch: int = 200) -> int:
    """Warn the visiting staff once when a re-measurement falls due (the 30-minute clock)."""
    from heatline.outbox.services import notify

    with transaction.atomic():
        due = WatchEntry.objects.filter(
            status=EntryStatus.FIXED, remeasure_due_at__lte=now, remeasure_warned_at__isnull=True
        ).select_related("household")
        claimed = list(
            due.order_by("remeasure_due_at").select_for_update(skip_locked=True, of=("self",))[:batch]
        )
        for entry in claimed:
            recipient = (
                entry.assignee_id or entry.visits.order_by("-at").values_list("by_id", flat=True).first()
            )
            if recipient is not None:
                notify(
                    recipient_id=recipient,
                    title=_("复测到期:%(address)s") % {"address": entry.household.address},
                    body=_("处理已满%(m)s分钟,请复测暖气片与室温。") % {"m": rule_int("remeasure_minutes")},
                    link=f"/proactive/entries/{entry.pk}/",
                    dedupe_key=f"remeasure:{entry.pk}:{entry.remeasure_due_at:%Y%m%d%H%M}",
                )
            WatchEntry.objects.filter(pk=entry.pk, remeasure_warned_at__isnull=True).update(
                remeasure_warned_at=now
            )
    return len(claimed)
