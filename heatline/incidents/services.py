"""Writes of incidents (issue 10): open, link calls, arrive, restore, report to every caller, bulk callbacks."""

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import ActionForbidden, Conflict, DomainError, InvalidInput, TransitionNotAllowed
from heatline.core.rules import rule
from heatline.incidents.models import (
    Incident,
    IncidentAction,
    IncidentBuilding,
    IncidentClock,
    IncidentClockName,
    IncidentEvent,
    IncidentKind,
    IncidentLink,
    IncidentStatus,
)
from heatline.incidents.permissions import (
    incident_district_ids,
    may_change_incident,
    may_link_call,
    may_open_incident,
)
from heatline.maps.services import area_parse, buildings_in_area
from heatline.outbox.models import Outbox
from heatline.outbox.services import notify, outbox_enqueue
from heatline.registry.models import Building, Community, Household, PipeSection, Staff, Station, Team
from heatline.requests import clocks
from heatline.requests.models import (
    Action,
    Category,
    Cause,
    Clock,
    ClockName,
    RequestEvent,
    ServiceRequest,
    Status,
)
from heatline.requests.permissions import may_act
from heatline.requests.services import Intake, request_register
from heatline.requests.transitions import Params, request_transition

MAX_TITLE = 100
BATCH = 500
MAX_PICKED = 2000


@dataclass
class IncidentInput:
    """What the hotline lead, the crew or district staff hand in to open an incident."""

    kind: str = IncidentKind.FAULT
    title: str = ""
    description: str = ""
    station_id: int | None = None
    pipe_section_id: int | None = None
    building_id: int | None = None
    community_id: int | None = None
    category: str | None = None  # category code of the symptom
    crew_id: int | None = None
    started_at: datetime | None = None
    expected_restore_at: datetime | None = None
    # Drawn or picked on the map (issue 21): a ring [[lon, lat], …] whose buildings are affected, and
    # buildings picked one by one.
    area: list[list[float]] | None = None
    building_ids: list[int] = field(default_factory=list)


@dataclass
class CloseResult:
    incident: Incident
    reported: int = 0  # linked calls reported in bulk
    walked: int = 0  # calls that had their own job, moved one by one
    skipped: list[str] = field(default_factory=list)  # request numbers left to their own handler


@dataclass
class CallbackResult:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _event(incident: Incident, *, by: Staff | None, action: str, at: datetime, old: str = "", new: str = "",
           note: str = "", extra: dict[str, object] | None = None) -> None:  # fmt: skip
    IncidentEvent.objects.create(
        incident=incident,
        actor=by,
        at=at,
        action=action,
        from_status=old,
        to_status=new or old,
        note=note[:2000],
        extra=extra or {},
    )


def _clock_start(incident: Incident, name: IncidentClockName, started_at: datetime, limit: timedelta) -> None:
    due = started_at + limit
    IncidentClock.objects.get_or_create(
        incident=incident,
        name=name,
        defaults={
            "started_at": started_at,
            "due_at": due,
            "warn_at": clocks.warn_time(started_at, due, rule("warn_ratio")),
        },
    )


def _clock_meet(incident: Incident, name: IncidentClockName, at: datetime) -> None:
    IncidentClock.objects.filter(incident=incident, name=name, met_at=None).update(met_at=at)


def _affected(data: IncidentInput) -> list[tuple[int, int]]:
    """(building id, district id) of every building the assets feed, from the register."""
    condition = Q()
    if data.station_id is not None:
        condition |= Q(station_id=data.station_id)
    if data.pipe_section_id is not None:
        condition |= Q(sections__id=data.pipe_section_id)
    if data.building_id is not None:
        condition |= Q(pk=data.building_id)
    if data.community_id is not None:
        condition |= Q(community_id=data.community_id)
    picked = set(data.building_ids)
    if data.area:
        picked.update(buildings_in_area(data.area))
    if picked:
        condition |= Q(pk__in=sorted(picked))
    if not condition:
        return []
    return list(Building.objects.filter(condition).order_by().values_list("id", "district_id").distinct())


def _validate(data: IncidentInput, now: datetime) -> Category | None:
    if data.kind not in IncidentKind.values:
        raise InvalidInput(_("事件类型无效"), field="kind")
    if not data.title.strip():
        raise InvalidInput(_("请填写事件名称"), field="title")
    if len(data.title.strip()) > MAX_TITLE:
        raise InvalidInput(_("事件名称过长"), field="title")
    if data.area is not None:
        data.area = area_parse(data.area)
    if len(data.building_ids) > MAX_PICKED:
        raise InvalidInput(_("所选楼栋过多(最多 %(n)s 栋)") % {"n": MAX_PICKED}, field="building_ids")
    assets = (data.station_id, data.pipe_section_id, data.building_id, data.community_id)
    if all(asset is None for asset in assets) and not data.area and not data.building_ids:
        raise InvalidInput(
            _("请至少选择一项受影响的设施(换热站、管段、楼栋或小区),或在地图上划定范围"), field="asset"
        )
    if data.building_ids and Building.objects.filter(pk__in=data.building_ids).count() != len(
        set(data.building_ids)
    ):
        raise InvalidInput(_("所选楼栋不存在"), field="building_ids")
    for model, pk, name in (
        (Station, data.station_id, "station"),
        (PipeSection, data.pipe_section_id, "pipe_section"),
        (Building, data.building_id, "building"),
        (Community, data.community_id, "community"),
    ):
        if pk is not None and not model.objects.filter(pk=pk).exists():  # type: ignore[attr-defined]
            raise InvalidInput(_("所选设施不存在"), field=name)
    if data.crew_id is not None and not Team.objects.filter(pk=data.crew_id).exists():
        raise InvalidInput(_("班组不存在"), field="crew")
    started_at = data.started_at or now
    if data.kind == IncidentKind.FAULT and started_at > now + timedelta(minutes=1):
        raise InvalidInput(_("故障开始时间不能晚于当前时间"), field="started_at")
    if data.kind == IncidentKind.PLANNED and (data.started_at is None or data.expected_restore_at is None):
        raise InvalidInput(_("计划停热须填写停热时段"), field="started_at")
    if data.expected_restore_at is not None and data.expected_restore_at <= started_at:
        raise InvalidInput(_("预计恢复时间须晚于停热开始时间"), field="expected_restore_at")
    if not data.category:
        return None
    category = Category.objects.filter(code=data.category, is_active=True).first()
    if category is None:
        raise InvalidInput(_("类别不存在:%(code)s") % {"code": data.category}, field="category")
    return category


def _area_of(data: IncidentInput, affected: list[tuple[int, int]]) -> dict[str, Any] | None:
    """What the map drew: the Polygon, else (buildings picked one by one) their points as a MultiPoint."""
    if data.area:
        return {"type": "Polygon", "coordinates": [data.area]}
    if data.building_ids:
        points = Building.objects.filter(pk__in=data.building_ids, lat__isnull=False, lon__isnull=False)
        return {
            "type": "MultiPoint",
            "coordinates": [[lon, lat] for lon, lat in points.values_list("lon", "lat")],
        }
    return None


@transaction.atomic
def incident_open(
    *, data: IncidentInput, by: Staff, link_requests: list[ServiceRequest] | None = None
) -> Incident:
    """Open a fault (its arrival clock starts: 第七条.2, on site within the hour) or enter a planned outage."""
    now = timezone.now()
    category = _validate(data, now)
    affected = _affected(data)
    if not affected:
        raise InvalidInput(_("所选设施下没有登记楼栋,无法确定影响范围"), field="asset")
    district_ids = Counter(district_id for _building, district_id in affected)
    if not may_open_incident(by, district_ids.keys()):
        raise ActionForbidden(_("只有片区人员、抢修班组和热线可以建立事件"))
    incident = Incident.objects.create(
        kind=data.kind,
        title=data.title.strip(),
        description=data.description.strip(),
        category=category,
        station_id=data.station_id,
        pipe_section_id=data.pipe_section_id,
        building_id=data.building_id,
        community_id=data.community_id,
        district_id=district_ids.most_common(1)[0][0],
        crew_id=data.crew_id,
        started_at=data.started_at or now,
        expected_restore_at=data.expected_restore_at,
        area=_area_of(data, affected),
        households_affected=Household.objects.filter(building_id__in=[b for b, _d in affected]).count(),
        created_by=by,
        created_at=now,
    )
    IncidentBuilding.objects.bulk_create(
        [IncidentBuilding(incident=incident, building_id=building_id) for building_id, _d in affected],
        batch_size=BATCH,
    )
    if incident.kind == IncidentKind.FAULT:
        _clock_start(
            incident, IncidentClockName.ARRIVAL, now, timedelta(minutes=float(rule("arrival_minutes")))
        )
    _event(incident, by=by, action=IncidentAction.OPEN, at=now, new=IncidentStatus.OPEN, note=incident.title)
    outbox_enqueue(
        topic="incident.opened",
        key=incident.number,
        payload={
            "number": incident.number,
            "kind": incident.kind,
            "asset": incident.asset_label,
            "started_at": incident.started_at.isoformat(),
            "expected_restore_at": incident.expected_restore_at.isoformat()
            if incident.expected_restore_at
            else None,
            "households": incident.households_affected,
        },
    )
    if incident.crew_id is not None:
        leader_id = Team.objects.filter(pk=incident.crew_id).values_list("leader_id", flat=True).first()
        if leader_id and leader_id != by.pk:
            notify(recipient_id=leader_id, title=_("新事件 %(n)s") % {"n": incident.number}, body=incident.title,
                   link=f"/incidents/{incident.pk}/")  # fmt: skip
    for service_request in link_requests or []:
        incident_link_request(incident=incident, service_request=service_request, by=by)
    return incident


def _status_locked(incident: Incident, *, exclusive: bool) -> str:
    """Read the status under a row lock: links share it, closing takes it alone, so that no call is
    linked after the callers have been told (PostgreSQL; SQLite has one writer anyway)."""
    if connection.vendor == "postgresql" and not exclusive:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM incidents_incident WHERE id = %s FOR SHARE", [incident.pk])
            row = cursor.fetchone()
        if row is None:
            raise InvalidInput(_("事件不存在"))
        return str(row[0])
    status: str = Incident.objects.select_for_update().values_list("status", flat=True).get(pk=incident.pk)
    return status


def _link(incident: Incident, service_request: ServiceRequest, by: Staff, now: datetime) -> IncidentLink:
    try:
        with transaction.atomic():
            return _link_new(incident, service_request, by, now)
    except IntegrityError:
        existing = IncidentLink.objects.filter(service_request=service_request).first()
        if existing is None:
            raise
        if existing.incident_id != incident.pk:
            raise Conflict(_("该工单已关联到其他事件")) from None
        return existing


def _link_new(incident: Incident, service_request: ServiceRequest, by: Staff, now: datetime) -> IncidentLink:
    """The link, and a note in the request's own history naming the incident (its status does not change)."""
    link = IncidentLink.objects.create(
        incident=incident, service_request=service_request, linked_at=now, linked_by=by
    )
    RequestEvent.objects.create(
        service_request=service_request,
        at=now,
        actor=by,
        action=Action.NOTE,
        from_status=service_request.status,
        to_status=service_request.status,
        note=_("关联故障事件 %(incident)s,随事件统一处置") % {"incident": incident},
        extra={"incident": incident.number},
    )
    return link


def _refuse_closed(incident: Incident, status: str) -> None:
    if status == IncidentStatus.CLOSED:
        raise TransitionNotAllowed(
            IncidentStatus.CLOSED.label, IncidentAction.LINK.label, _("事件已办结,不能再关联来电,请新建工单")
        )


@transaction.atomic
def incident_link_call(
    *, incident: Incident, intake: Intake, by: Staff
) -> tuple[ServiceRequest, IncidentLink]:
    """At intake: register the call (its own caller data and number) and link it to the incident in one
    action. The request is not dispatched: no crew job, no arrival or contact clock of its own."""
    if not may_link_call(by, incident):
        raise ActionForbidden(_("您无权关联来电到该事件"))
    _refuse_closed(incident, _status_locked(incident, exclusive=False))
    intake = replace(
        intake,
        dispatch=False,
        resolved_at_intake="",
        category=intake.category or (incident.category.code if incident.category else None),
    )
    service_request, created = request_register(intake=intake, by=by)
    if (
        service_request.building_id is None
        or not IncidentBuilding.objects.filter(
            incident=incident, building_id=service_request.building_id
        ).exists()
    ):
        raise InvalidInput(_("该户不在事件影响范围内,请按普通工单登记"), field="household")
    now = timezone.now()
    if created:
        # A request registered in this very transaction cannot be linked yet: no savepoint needed.
        return service_request, _link_new(incident, service_request, by, now)
    return service_request, _link(incident, service_request, by, now)


@transaction.atomic
def incident_link_request(*, incident: Incident, service_request: ServiceRequest, by: Staff) -> IncidentLink:
    """Count an already registered call (e.g. from a suggestion) in the incident's reach."""
    if not may_link_call(by, incident):
        raise ActionForbidden(_("您无权关联来电到该事件"))
    _refuse_closed(incident, _status_locked(incident, exclusive=False))
    if not service_request.is_open:
        raise InvalidInput(_("工单已办结,不能关联"), field="request")
    return _link(incident, service_request, by, timezone.now())


def _require_change(incident: Incident, by: Staff) -> None:
    if not may_change_incident(by, incident):
        raise ActionForbidden(_("只有事件所在片区人员和抢修班组可以修改事件"))


def _move(incident: Incident, old: IncidentStatus, new: IncidentStatus, action: IncidentAction,
          **changes: object) -> None:  # fmt: skip
    same = Incident.objects.filter(pk=incident.pk, status=old, version=incident.version)
    if same.update(status=new, version=F("version") + 1, updated_at=timezone.now(), **changes) != 1:
        raise TransitionNotAllowed(old.label, action.label, _("事件已被他人处理,请刷新后重试"))
    incident.refresh_from_db()


@transaction.atomic
def incident_update(
    *, incident: Incident, by: Staff, expected_restore_at: datetime | None = None,
    crew_id: int | None = None, description: str | None = None,
) -> Incident:  # fmt: skip
    """Change the expected restoration time (announced again), the crew or the description."""
    _require_change(incident, by)
    if not incident.is_active:
        raise TransitionNotAllowed(IncidentStatus(incident.status).label, IncidentAction.UPDATE.label)
    changes: dict[str, object] = {}
    if expected_restore_at is not None:
        if expected_restore_at <= incident.started_at:
            raise InvalidInput(_("预计恢复时间须晚于停热开始时间"), field="expected_restore_at")
        changes["expected_restore_at"] = expected_restore_at
    if crew_id is not None:
        if not Team.objects.filter(pk=crew_id).exists():
            raise InvalidInput(_("班组不存在"), field="crew")
        changes["crew_id"] = crew_id
    if description is not None:
        changes["description"] = description.strip()
    status = IncidentStatus(incident.status)
    _move(incident, status, status, IncidentAction.UPDATE, **changes)
    now = timezone.now()
    extra = {
        key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in changes.items()
    }
    _event(incident, by=by, action=IncidentAction.UPDATE, at=now, old=status, extra=extra)
    if expected_restore_at is not None:
        outbox_enqueue(
            topic="incident.updated",
            key=incident.number,
            payload={"number": incident.number, "expected_restore_at": expected_restore_at.isoformat()},
        )
    return incident


@transaction.atomic
def incident_arrive(*, incident: Incident, by: Staff) -> Incident:
    """The crew is on site (第七条.2: within the hour): the arrival clock is met."""
    _require_change(incident, by)
    if incident.status != IncidentStatus.OPEN or incident.arrived_at is not None:
        raise TransitionNotAllowed(IncidentStatus(incident.status).label, IncidentAction.ARRIVE.label)
    now = timezone.now()
    _move(incident, IncidentStatus.OPEN, IncidentStatus.OPEN, IncidentAction.ARRIVE, arrived_at=now)
    _clock_meet(incident, IncidentClockName.ARRIVAL, now)
    _event(incident, by=by, action=IncidentAction.ARRIVE, at=now, old=IncidentStatus.OPEN)
    return incident


@transaction.atomic
def incident_restore(
    *,
    incident: Incident,
    by: Staff,
    restored_at: datetime | None = None,
    result: str = "",
    cause: str | None = None,
) -> Incident:
    """Heat is back. The report clock starts (第七条.2: results reported within 2 h of completion)."""
    _require_change(incident, by)
    if incident.status != IncidentStatus.OPEN:
        raise TransitionNotAllowed(IncidentStatus(incident.status).label, IncidentAction.RESTORE.label)
    now = timezone.now()
    restored_at = restored_at or now
    if restored_at < incident.started_at:
        raise InvalidInput(_("恢复时间不能早于停热开始时间"), field="restored_at")
    if restored_at > now + timedelta(minutes=1):
        raise InvalidInput(_("恢复时间不能晚于当前时间"), field="restored_at")
    changes: dict[str, object] = {"restored_at": restored_at}
    if result.strip():
        changes["result"] = result.strip()[:4000]
    if cause:
        cause_row = Cause.objects.filter(code=cause, is_active=True).first()
        if cause_row is None:
            raise InvalidInput(_("原因代码不存在:%(code)s") % {"code": cause}, field="cause")
        changes["cause"] = cause_row
    _move(incident, IncidentStatus.OPEN, IncidentStatus.RESTORED, IncidentAction.RESTORE, **changes)
    # The crew was on site when the heat came back, if nobody recorded it earlier.
    _clock_meet(incident, IncidentClockName.ARRIVAL, incident.arrived_at or restored_at)
    _clock_start(
        incident, IncidentClockName.REPORT, restored_at, timedelta(hours=float(rule("report_hours")))
    )
    _event(incident, by=by, action=IncidentAction.RESTORE, at=now, old=IncidentStatus.OPEN,
           new=IncidentStatus.RESTORED, note=incident.result, extra={"restored_at": restored_at.isoformat()})  # fmt: skip
    outbox_enqueue(
        topic="incident.restored",
        key=incident.number,
        payload={"number": incident.number, "restored_at": restored_at.isoformat()},
    )
    return incident


def _report_linked_in_bulk(incident: Incident, by: Staff, now: datetime) -> int:
    """Every linked call still only registered gets the result reported and its callback clock started
    (第七条.2, 第八条) in a fixed number of statements, whatever their number (2,000 in well under 5 s).

    These requests never had a job of their own: the incident's crew did the work, so each request's
    complete and report are recorded together, as append-only events, with the same clocks and outbox
    rows `request_transition` would write. One UPDATE moves them (compare-and-swap on the status; the rows
    stay locked until commit); the moved set is then "linked here, reported at this very instant", and
    the events, clocks and messages are INSERT … SELECT statements over it, so no row crosses into Python.
    """
    restored_at = incident.restored_at or now
    cause = incident.cause
    callback_due = now + clocks.limit_of(ClockName.CALLBACK, kind="")
    ratio = rule("warn_ratio")
    report_due = restored_at + timedelta(hours=float(rule("report_hours")))
    moved = ServiceRequest.objects.filter(incident_link__incident=incident, status=Status.REGISTERED).update(
        status=Status.REPORTED,
        version=F("version") + 1,
        updated_at=now,
        team_id=incident.crew_id,
        completed_at=restored_at,
        reported_at=now,
        cause=cause,
        result=incident.result,
        next_due_at=callback_due,
    )
    if not moved:
        return 0
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    as_json = "CAST(%s AS jsonb)" if postgres else "%s"
    build = "jsonb_build_object" if postgres else "json_object"  # its arguments typed (prepared statements)

    def when(value: datetime) -> Any:
        return ops.adapt_datetimefield_value(value)

    request_table = ServiceRequest._meta.db_table
    moved_set = (
        f" FROM {request_table} r JOIN {IncidentLink._meta.db_table} l ON l.service_request_id = r.id"
        " WHERE l.incident_id = %s AND r.status = %s AND r.reported_at = %s"
    )
    moved_params: list[Any] = [incident.pk, Status.REPORTED, when(now)]
    note = incident.result[:200]
    extra = json.dumps({"incident": incident.number, "cause": cause.code if cause else None, "bulk": True})
    sms = _("您反映的供热问题(%(incident)s)已处理完毕:%(result)s。如仍有问题请致电热线。") % {
        "incident": incident.asset_label,
        "result": note,
    }
    with connection.cursor() as cursor:
        for action, old, new in (
            (Action.COMPLETE, Status.REGISTERED, Status.COMPLETED),
            (Action.REPORT, Status.COMPLETED, Status.REPORTED),
        ):
            cursor.execute(
                f"INSERT INTO {RequestEvent._meta.db_table}"
                " (service_request_id, at, actor_id, action, from_status, to_status, note, extra)"
                f" SELECT r.id, %s, %s, %s, %s, %s, %s, {as_json}" + moved_set,
                [when(now), by.pk, action, old, new, note, extra, *moved_params],
            )
        report_breached = when(report_due) if now > report_due else None
        for name, started, due, met, breached in (
            (ClockName.REPORT, restored_at, report_due, when(now), report_breached),
            (ClockName.CALLBACK, now, callback_due, None, None),
        ):
            cursor.execute(
                f"INSERT INTO {Clock._meta.db_table} (service_request_id, name, round, started_at, due_at,"
                " warn_at, warned_at, met_at, breached_at, cancelled_at, extended_count)"
                " SELECT r.id, %s, r.round, %s, %s, %s, NULL, %s, %s, NULL, 0" + moved_set,
                [name, when(started), when(due), when(clocks.warn_time(started, due, ratio)), met, breached,
                 *moved_params],
            )  # fmt: skip
        outbox = (
            f"INSERT INTO {Outbox._meta.db_table} (topic, key, payload, created_at, available_at, attempts,"
        )
        outbox += " last_error) SELECT %s, r.number, "
        cursor.execute(
            outbox + f"{build}('number', r.number, 'source', r.source, 'external_id', r.external_id,"
            " 'action', CAST(%s AS text), 'from', CAST(%s AS text), 'to', CAST(%s AS text), 'round', r.round,"
            " 'result', r.result, 'satisfaction', ''),"
            " %s, %s, 0, ''" + moved_set,
            [
                "request.moved",
                "report",
                Status.REGISTERED,
                Status.REPORTED,
                when(now),
                when(now),
                *moved_params,
            ],
        )
        cursor.execute(
            outbox + f"{build}('phone', r.phone, 'text', CAST(%s AS text)), %s, %s, 0, ''" + moved_set,
            ["resident.sms", sms, when(now), when(now), *moved_params],
        )
    return moved


_WALK: dict[str, tuple[Action, ...]] = {
    Status.DISPATCHED: (Action.ARRIVE, Action.COMPLETE, Action.REPORT),
    Status.CONTACTED: (Action.ARRIVE, Action.COMPLETE, Action.REPORT),
    Status.ON_SITE: (Action.COMPLETE, Action.REPORT),
    Status.COMPLETED: (Action.REPORT,),
}


def _walk_own_jobs(incident: Incident, by: Staff, result: CloseResult) -> None:
    """Calls linked after they had a job of their own go through the life cycle one by one, when the
    closer may; otherwise they stay with their handler."""
    requests = ServiceRequest.objects.filter(incident_link__incident=incident, status__in=list(_WALK))
    params = Params(cause=incident.cause.code if incident.cause else None, result=incident.result,
                    extra={"incident": incident.number})  # fmt: skip
    for service_request in requests:
        try:
            with transaction.atomic():
                for action in _WALK[service_request.status]:
                    service_request = request_transition(
                        service_request=service_request, action=action, by=by, params=params
                    )
            result.walked += 1
        except DomainError:
            result.skipped.append(service_request.number)


@transaction.atomic
def incident_close(*, incident: Incident, by: Staff) -> CloseResult:
    """Report the result to every linked caller and start their callback clocks, in one transaction."""
    _require_change(incident, by)
    status = _status_locked(incident, exclusive=True)
    incident.refresh_from_db()
    if status != IncidentStatus.RESTORED:
        raise TransitionNotAllowed(IncidentStatus(status).label, IncidentAction.CLOSE.label)
    if not incident.result.strip():
        raise InvalidInput(_("请填写处置结果"), field="result")
    if incident.cause_id is None:
        raise InvalidInput(_("请选择原因"), field="cause")
    now = timezone.now()
    result = CloseResult(incident=incident)
    result.reported = _report_linked_in_bulk(incident, by, now)
    _walk_own_jobs(incident, by, result)
    IncidentLink.objects.filter(incident=incident, reported_at=None).update(reported_at=now)
    _move(incident, IncidentStatus.RESTORED, IncidentStatus.CLOSED, IncidentAction.CLOSE, closed_at=now)
    _clock_meet(incident, IncidentClockName.REPORT, now)
    _event(incident, by=by, action=IncidentAction.CLOSE, at=now, old=IncidentStatus.RESTORED,
           new=IncidentStatus.CLOSED, note=incident.result,
           extra={"reported": result.reported, "walked": result.walked, "skipped": result.skipped})  # fmt: skip
    result.incident = incident
    return result


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    by: Staff,
    result: str = "",
    cause: str | None = None,
    restored_at: datetime | None = None,
) -> CloseResult:
    """Restore (when still open) and report to every caller, in one transaction."""
    if incident.status == IncidentStatus.OPEN:
        incident = incident_restore(
            incident=incident, by=by, restored_at=restored_at, result=result, cause=cause
        )
    elif result.strip() or cause:
        _require_change(incident, by)
        cause_row = Cause.objects.filter(code=cause, is_active=True).first() if cause else incident.cause
        if cause and cause_row is None:
            raise InvalidInput(_("原因代码不存在:%(code)s") % {"code": cause}, field="cause")
        Incident.objects.filter(pk=incident.pk).update(
            result=result.strip() or incident.result, cause=cause_row
        )
        incident.refresh_from_db()
    return incident_close(incident=incident, by=by)


def incident_callbacks_bulk(
    *, incident: Incident, request_ids: list[int], by: Staff, outcome: str, solved: bool | None = None,
    satisfaction: str | None = None, channel: str = "phone", comment: str = "",
) -> CallbackResult:  # fmt: skip
    """第八条 in bulk: the same outcome recorded for many callers, each its own Callback via the life cycle."""
    if not may_act(staff=by, service_request=ServiceRequest(), action=Action.CALLBACK):
        raise ActionForbidden(_("回访由热线话务员进行"))
    if not request_ids:
        raise InvalidInput(_("请选择要回访的来电"), field="requests")
    result = CallbackResult()
    requests = ServiceRequest.objects.filter(incident_link__incident=incident, pk__in=request_ids)
    params = Params(
        outcome=outcome, solved=solved, satisfaction=satisfaction, channel=channel, comment=comment
    )
    for service_request in requests.order_by("id"):
        try:
            request_transition(service_request=service_request, action=Action.CALLBACK, by=by, params=params)
            result.done.append(service_request.number)
        except InvalidInput:
            raise
        except DomainError as error:
            result.failed[service_request.number] = error.message
    return result


def incident_districts(incident: Incident) -> frozenset[int]:
    return incident_district_ids(incident)
