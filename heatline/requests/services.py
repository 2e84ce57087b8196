"""Writes of 接收 (第二条, 第六条): registering a request, numbering it, linking repeats, extensions."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.core.inserts import PREPARED, insert_family
from heatline.core.rules import rule
from heatline.outbox.services import notification_message, notify, outbox_enqueue, outbox_rows
from heatline.registry.models import Building, District, Household, Staff
from heatline.registry.selectors import districts_by_id
from heatline.requests import clocks
from heatline.requests.models import (
    GOVERNMENT_SOURCES,
    Action,
    Category,
    Clock,
    ClockName,
    Extension,
    ExtensionStatus,
    Kind,
    Nature,
    NumberSequence,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)
from heatline.requests.permissions import may_act, may_approve_extension
from heatline.requests.routing import assignment_for, categories_active, suggest
from heatline.requests.transitions import Params, moved_message, request_transition

MAX_CONTENT = 4000
MAX_NAME = 50
MAX_ADDRESS = 200


@dataclass
class Intake:
    """What the operator (or a platform) hands in."""

    source: str
    phone: str
    content: str
    caller_name: str = ""
    address: str = ""
    household: str | None = None  # account number
    category: str | None = None  # category code; suggested from content when absent
    kind: str | None = None
    nature: str = Nature.HELP
    external_id: str | None = None
    received_at: datetime | None = None
    district_id: int | None = None  # the operator's pick when the address is unknown
    resolved_at_intake: str = ""  # 直办: the answer given on the phone (closes at intake)
    wants_callback: bool = True
    platform_due_at: datetime | None = None
    dispatch: bool = True  # False: registered only, handled by an incident (issue 10), no crew job or clocks
    building_id: int | None = None  # the building a point was found at (Open311 lat/long) when no household


def request_number_next(day: date, *, unless_order: tuple[str, str] | None = None) -> str | None:
    """RX + date + the day's sequence (RX2026112800042): one atomic UPSERT of the day's counter row, so
    concurrent intakes never share a number (PostgreSQL and SQLite ≥ 3.35 both take this statement).

    With `unless_order` (source, external_id), no number is taken (None) when that platform order is already
    registered: the duplicate check and the number in one statement, as every 12345/12319 push needs both.
    """
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    params: list[Any] = [connection.ops.adapt_datefield_value(day)]
    unless = ""
    if unless_order is not None:
        requests_table = connection.ops.quote_name(ServiceRequest._meta.db_table)
        unless = f"WHERE NOT EXISTS (SELECT 1 FROM {requests_table} WHERE source = %s AND external_id = %s) "
        params += unless_order
    with connection.cursor() as cursor:
        cursor.execute(
            f"{PREPARED}INSERT INTO {table} (day, last) SELECT %s, 1 {unless or 'WHERE true '}"
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            params,
        )
        taken = cursor.fetchone()
    return f"RX{day:%Y%m%d}{int(taken[0]):05d}" if taken else None


def request_numbers_take(day: date, count: int) -> list[str]:
    """`count` numbers of `day` at once (an import of past requests): one UPSERT moves the day's counter by
    `count`, so the block is the import's alone, as `request_number_next` keeps each intake's number its own."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + %s RETURNING last",
            [connection.ops.adapt_datefield_value(day), count, count],
        )
        row = cursor.fetchone()
    last = int(row[0]) if row else count
    return [f"RX{day:%Y%m%d}{number:05d}" for number in range(last - count + 1, last + 1)]


def household_match(*, account_number: str | None, address: str) -> Household | None:
    """A household of the register when found; otherwise the free text is kept (never blocks registration).

    Read with one prepared statement: the household's key, account number and address and its building's
    district (what registration and its answer read); the rest loads on access, as with `.only()`."""
    if account_number:
        household = _household_by("account_number", account_number.strip())
        if household is None:
            raise InvalidInput(_("户号不存在:%(number)s") % {"number": account_number}, field="household")
        return household
    text = address.strip().replace(" ", "")
    if text:
        return _household_by("address", text)
    return None


# What registration and its answer read of a household, in the model's field order (as `from_db` takes them)
_HOUSEHOLD_READ = [
    field.attname
    for field in Household._meta.concrete_fields
    if field.attname in ("id", "account_number", "address", "building_id")
]


@cache
def _household_sql(column: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    households, buildings = quote(Household._meta.db_table), quote(Building._meta.db_table)
    read = ", ".join(f"h.{quote(name)}" for name in _HOUSEHOLD_READ)
    return (
        f"{PREPARED}SELECT {read}, b.district_id FROM {households} h JOIN {buildings} b ON b.id = h.building_id "
        f"WHERE h.{quote(column)} = %s ORDER BY h.id LIMIT 1"
    )


def _household_by(column: str, value: str) -> Household | None:
    with connection.cursor() as cursor:
        cursor.execute(_household_sql(column, connection.vendor), [value])
        row = cursor.fetchone()
    if row is None:
        return None
    household = Household.from_db(connection.alias, _HOUSEHOLD_READ, row[:-1])
    building = Building.from_db(connection.alias, ["id", "district_id"], (household.building_id, row[-1]))
    Household.building.field.set_cached_value(household, building)
    return household


def _validate(intake: Intake) -> None:
    if intake.source not in Source.values:
        raise InvalidInput(_("来源无效:%(source)s") % {"source": intake.source}, field="source")
    phone = intake.phone.strip()
    if not phone:
        raise InvalidInput(_("请填写联系电话"), field="phone")
    if len(phone) > 20 or not phone.replace("-", "").replace("+", "").isdigit():
        raise InvalidInput(_("联系电话格式不正确"), field="phone")
    if not intake.content.strip():
        raise InvalidInput(_("请填写诉求内容"), field="content")
    if len(intake.content) > MAX_CONTENT:
        raise InvalidInput(_("诉求内容过长(最多%(n)s字)") % {"n": MAX_CONTENT}, field="content")
    if len(intake.caller_name) > MAX_NAME:
        raise InvalidInput(_("姓名过长"), field="caller_name")
    if len(intake.address) > MAX_ADDRESS:
        raise InvalidInput(_("地址过长"), field="address")
    if intake.kind is not None and intake.kind not in Kind.values:
        raise InvalidInput(_("类型无效:%(kind)s") % {"kind": intake.kind}, field="kind")
    if intake.nature not in Nature.values:
        raise InvalidInput(_("性质无效"), field="nature")
    if intake.source in GOVERNMENT_SOURCES and not (intake.external_id or "").strip():
        raise InvalidInput(_("12345/12319工单须填写平台工单号"), field="external_id")
    if intake.external_id is not None and len(intake.external_id) > 64:
        raise InvalidInput(_("外部工单号过长"), field="external_id")
    if not intake.household and not intake.address.strip():
        raise InvalidInput(_("请填写地址或户号"), field="address")


def request_find_external(*, source: str, external_id: str) -> ServiceRequest | None:
    return ServiceRequest.objects.filter(source=source, external_id=external_id).first()


def request_register(*, intake: Intake, by: Staff) -> tuple[ServiceRequest, bool]:
    """Register a request and dispatch it at once (第六条.2, 第七条.1). Returns (request, created).

    The same (source, external_id) again returns the existing request with created=False.
    """
    _validate(intake)
    external_id = (intake.external_id or "").strip()
    order = (intake.source, external_id) if external_id else None
    day = timezone.localdate(timezone.now())
    try:
        # The day's number is taken in a short transaction of its own, so that the counter's row lock is
        # not held while the request is written (intake throughput, issue 3). A registration that fails
        # afterwards leaves a gap in the day's numbers, never a duplicate.
        number = request_number_next(day, unless_order=order)
        if number is None:  # a platform's repeated push: answer with the registered request
            assert order is not None
            existing = request_find_external(source=order[0], external_id=order[1])
            if existing is not None:
                return existing, False
            number = request_number_next(day)  # (deleted in between)
        assert number is not None
        return _register(intake=intake, by=by, number=number), True
    except IntegrityError:
        # A concurrent push of the same order won the race: answer with its request.
        existing = request_find_external(source=order[0], external_id=order[1]) if order else None
        if existing is None:
            raise
        return existing, False


def _register(*, intake: Intake, by: Staff, number: str) -> ServiceRequest:
    """Write the request, its clocks, its events and its outbox rows at once (`insert_family`: one statement
    on PostgreSQL, atomic by itself; one transaction elsewhere).

    Registration dispatches at once (第七条.1) when the district is known (or it is an emergency): the
    request is written already dispatched, with both events (登记, 派单) in the audit trail, the intake
    clock met and the handling clocks running, exactly as `request_transition(DISPATCH)` would leave it.
    """
    now = timezone.now()
    received_at = intake.received_at or now
    if received_at > now + timedelta(minutes=1):
        raise InvalidInput(_("来电时间不能晚于当前时间"), field="received_at")
    if received_at < now - timedelta(days=400):
        raise InvalidInput(_("来电时间过早"), field="received_at")
    household = household_match(account_number=intake.household, address=intake.address)
    categories = categories_active()
    category: Category | None = None
    if intake.category:
        category = next((c for c in categories if c.code == intake.category), None)
        if category is None:
            raise InvalidInput(_("类别不存在:%(code)s") % {"code": intake.category}, field="category")
    suggestion = suggest(intake.content, categories=categories)
    if category is None:
        category = suggestion.category
    kind = intake.kind or (category.kind if intake.category and category else suggestion.kind)
    building: Building | None = household.building if household else None
    if building is None and intake.building_id is not None:
        building = Building.objects.filter(pk=intake.building_id).only("id", "district_id").first()
    district: District | None = districts_by_id().get(building.district_id) if building else None
    if district is None and intake.district_id is not None:
        district = districts_by_id().get(intake.district_id)
        if district is None:
            raise InvalidInput(_("片区不存在"), field="district")

    service_request = ServiceRequest(
        number=number,
        source=intake.source,
        external_id=(intake.external_id or "").strip() or None,
        nature=intake.nature,
        kind=kind,
        category=category,
        status=Status.REGISTERED,
        caller_name=intake.caller_name.strip(),
        phone=intake.phone.strip(),
        address=household.address if household else intake.address.strip(),
        household=household,
        building=building,
        district=district,
        content=intake.content.strip(),
        department=category.department if category else None,
        created_by=by,
        received_at=received_at,
        registered_at=now,
        wants_callback=intake.wants_callback,
        platform_due_at=intake.platform_due_at,
    )
    intake_clock = clocks.clock_new(
        service_request=service_request, name=ClockName.INTAKE, started_at=received_at
    )
    intake_clock.met_at = now
    service_request.is_late_intake = now > intake_clock.due_at
    if service_request.is_late_intake:
        intake_clock.breached_at = intake_clock.due_at
    new_clocks = [intake_clock]
    events = [
        RequestEvent(
            service_request=service_request,
            actor=by,
            at=now,
            action=Action.REGISTER,
            from_status="",
            to_status=Status.REGISTERED,
            note=service_request.content[:200],
            extra={
                "source": intake.source,
                "external_id": service_request.external_id,
                "late_intake": service_request.is_late_intake,
            },
        )
    ]
    messages = [moved_message(service_request, action=Action.REGISTER, old="", new=Status.REGISTERED)]
    dispatch = (
        not intake.resolved_at_intake.strip()
        and intake.dispatch
        and (district is not None or kind == Kind.EMERGENCY)
    )
    if dispatch:
        assignment = assignment_for(service_request, district=district)
        service_request.status = Status.DISPATCHED
        service_request.version += 1
        service_request.assignee = assignment.assignee
        service_request.team = assignment.team
        service_request.department = assignment.department or service_request.department
        service_request.dispatched_at = now
        handling = clocks.handling_clocks(service_request=service_request, at=now, repair_from=now)
        new_clocks += handling
        service_request.next_due_at = min(clock.due_at for clock in handling)
        events.append(
            RequestEvent(
                service_request=service_request,
                actor=by,
                at=now,
                action=Action.DISPATCH,
                from_status=Status.REGISTERED,
                to_status=Status.DISPATCHED,
                note="",
                extra={},
            )
        )
        messages.append(
            moved_message(
                service_request, action=Action.DISPATCH, old=Status.REGISTERED, new=Status.DISPATCHED
            )
        )
        if service_request.assignee_id and service_request.assignee_id != by.pk:
            messages.append(
                notification_message(
                    recipient_id=service_request.assignee_id,
                    title=_("新工单 %(number)s") % {"number": service_request.number},
                    body=service_request.content[:200],
                    link=f"/requests/{service_request.number}/",
                )
            )
    rows = (new_clocks, events, outbox_rows(messages=messages, at=now))
    if intake.resolved_at_intake.strip():
        with transaction.atomic():
            insert_family(service_request, *rows)
            closed = request_transition(
                service_request=service_request,
                action=Action.CLOSE_AT_INTAKE,
                by=_system_actor(by),
                params=Params(result=intake.resolved_at_intake),
            )
        prefetch_related_objects([closed], "clocks")
        return closed
    insert_family(service_request, *rows)
    _prefetched(service_request, "clocks", new_clocks)
    return service_request


def _prefetched(instance: ServiceRequest, name: str, rows: list[Any]) -> None:
    """Mark `rows` as the loaded `instance.<name>.all()` (as `prefetch_related` would), so that the answer
    to an intake is built from what was just written instead of reading it back."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {name: queryset}  # type: ignore[attr-defined]


def _system_actor(by: Staff) -> Staff:
    """Closing at intake (直办) is the registering operator's act: the registering act is the permission
    (an integrator's token, the public page's account). The event still names `by`."""
    if may_act(staff=by, service_request=ServiceRequest(), action=Action.DISPATCH):
        return by
    by_with_rights = Staff(pk=by.pk, username=by.username, role="admin", is_active=True)
    return by_with_rights


@transaction.atomic
def request_link_repeat(
    *, service_request: ServiceRequest, by: Staff, phone: str, note: str = ""
) -> ServiceRequest:
    """A repeat call about an open request: counted on it instead of a new job (重复来电)."""
    if not service_request.is_open:
        raise TransitionNotAllowed(
            Status(service_request.status).label, Action.LINK_REPEAT.label, _("工单已办结,请新建工单")
        )
    return request_transition(
        service_request=service_request,
        action=Action.LINK_REPEAT,
        by=by,
        params=Params(note=note or _("重复来电"), extra={"phone": phone}),
    )


@transaction.atomic
def extension_request(
    *, service_request: ServiceRequest, clock_name: str, new_due_at: datetime, reason: str, by: Staff
) -> Extension:
    """延期: asked before the due time, with a reason; approved later by a head or branch manager."""
    if not may_act(staff=by, service_request=service_request, action=Action.EXTEND):
        raise ActionForbidden()
    clock = Clock.objects.filter(
        service_request=service_request,
        name=clock_name,
        round=service_request.round,
        met_at=None,
        cancelled_at=None,
    ).first()
    if clock is None:
        raise InvalidInput(_("该时限不存在或已完成"), field="clock")
    now = timezone.now()
    if clock.due_at <= now:
        raise InvalidInput(_("延期须在到期前申请"), field="clock")
    if new_due_at <= clock.due_at:
        raise InvalidInput(_("新的到期时间须晚于原到期时间"), field="new_due_at")
    if not reason.strip():
        raise InvalidInput(_("请填写延期理由"), field="reason")
    extension = Extension.objects.create(
        service_request=service_request,
        clock=clock,
        reason=reason.strip(),
        new_due_at=new_due_at,
        requested_by=by,
        requested_at=now,
    )
    RequestEvent.objects.create(
        service_request=service_request,
        actor=by,
        at=now,
        action=Action.EXTEND,
        from_status=service_request.status,
        to_status=service_request.status,
        note=reason.strip(),
        extra={
            "clock": clock_name,
            "requested_due_at": new_due_at.isoformat(),
            "extension": extension.pk,
            "decision": "requested",
        },
    )
    return extension


@transaction.atomic
def extension_decide(*, extension: Extension, approve: bool, by: Staff, note: str = "") -> Extension:
    """Approve (the due time moves, the resident is told) or reject an extension."""
    if not may_approve_extension(by):
        raise ActionForbidden(_("延期须由科室负责人或分公司经理审批"))
    if (
        Extension.objects.filter(pk=extension.pk, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED,
            decided_by=by,
            decided_at=timezone.now(),
        )
        != 1
    ):
        raise TransitionNotAllowed(message=_("该延期申请已处理"))
    extension.refresh_from_db()
    service_request = extension.service_request
    now = timezone.now()
    if approve:
        clock = extension.clock
        clock.due_at = extension.new_due_at
        clock.warn_at = clocks.warn_time(clock.started_at, clock.due_at, rule("warn_ratio"))
        clock.warned_at = None
        clock.extended_count += 1
        clock.save(update_fields=["due_at", "warn_at", "warned_at", "extended_count"])
        ServiceRequest.objects.filter(pk=service_request.pk).update(
            next_due_at=clocks.next_due(service_request)
        )
        Extension.objects.filter(pk=extension.pk).update(resident_informed=True)
        outbox_enqueue(
            topic="resident.sms",
            key=service_request.number,
            payload={
                "phone": service_request.phone,
                "text": _("您的诉求%(number)s办理时间延长至%(due)s,给您带来不便敬请谅解。")
                % {
                    "number": service_request.number,
                    "due": timezone.localtime(clock.due_at).strftime("%m-%d %H:%M"),
                },
            },
        )
    RequestEvent.objects.create(
        service_request=service_request,
        actor=by,
        at=now,
        action=Action.EXTEND,
        from_status=service_request.status,
        to_status=service_request.status,
        note=note,
        extra={
            "extension": extension.pk,
            "decision": "approved" if approve else "rejected",
            "new_due_at": extension.new_due_at.isoformat(),
        },
    )
    notify(
        recipient_id=extension.requested_by_id,
        title=(_("延期已批准 %(number)s") if approve else _("延期被驳回 %(number)s"))
        % {"number": service_request.number},
        link=f"/requests/{service_request.number}/",
    )
    return extension
