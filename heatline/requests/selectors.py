"""Reads of requests, each scoped by the viewer (district staff see their own district only)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput, NotVisible
from heatline.incidents.selectors import incidents_open_for_households
from heatline.proactive.selectors import watchlist_status_for_households
from heatline.registry.models import DISTRICT_ROLES, Household, Role, Staff
from heatline.registry.scoping import scope_by_district, visible_district_ids
from heatline.registry.selectors import households_by_phone
from heatline.requests.models import (
    OPEN_STATUSES,
    Category,
    Cause,
    Clock,
    Extension,
    RequestEvent,
    ServiceRequest,
    Status,
)


def _base() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.select_related(
        "category", "district", "assignee", "household", "team", "department"
    )


def _scoped(queryset: QuerySet[ServiceRequest], viewer: Staff) -> QuerySet[ServiceRequest]:
    if visible_district_ids(viewer) is None:
        return queryset
    return scope_by_district(queryset, viewer)


def request_list_visible(
    *,
    viewer: Staff,
    status: str = "",
    kind: str = "",
    source: str = "",
    district: int | None = None,
    overdue: bool = False,
    today: bool = False,
    q: str = "",
    now: datetime | None = None,
) -> QuerySet[ServiceRequest]:
    """The requests the viewer may see, filtered; newest call first, overdue ones by due time."""
    now = now or timezone.now()
    queryset = _scoped(_base(), viewer)
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if source:
        queryset = queryset.filter(source=source)
    if district:
        queryset = queryset.filter(district_id=district)
    if overdue:
        queryset = queryset.filter(status__in=OPEN_STATUSES, next_due_at__lt=now)
    if today:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        queryset = queryset.filter(received_at__gte=start, received_at__lt=start + timedelta(days=1))
    q = q.strip()
    if q:
        queryset = queryset.filter(
            Q(number=q)
            | Q(external_id=q)
            | Q(phone=q)
            | Q(household__account_number=q)
            | Q(address__contains=q)
            | Q(content__contains=q)
        )
    if overdue:
        return queryset.order_by("next_due_at", "id")
    return queryset.order_by("-received_at", "-id")


def request_get_visible(*, number: str, viewer: Staff) -> ServiceRequest:
    """One request, or NotVisible (404) when it does not exist or lies outside the viewer's districts."""
    service_request = _scoped(_base(), viewer).filter(number=number).first()
    if service_request is None:
        raise NotVisible()
    return service_request


def request_detail_visible(*, number: str, viewer: Staff) -> ServiceRequest:
    """One request with its events (and their actors) and clocks loaded, for a detail page or the API."""
    service_request = (
        _scoped(_base(), viewer)
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("clocks", queryset=Clock.objects.order_by("round", "started_at", "id")),
        )
        .filter(number=number)
        .first()
    )
    if service_request is None:
        raise NotVisible()
    return service_request


def work_queue(*, viewer: Staff) -> QuerySet[ServiceRequest]:
    """第七条.2: the open jobs that wait on me — assigned to me, my team, my district (district staff) or my
    department (its head) — the nearest due time first (requests without a running clock last)."""
    mine = Q(assignee_id=viewer.pk)
    if viewer.team_id is not None:
        mine |= Q(team_id=viewer.team_id)
    if viewer.role in DISTRICT_ROLES and viewer.district_id is not None:
        mine |= Q(district_id=viewer.district_id)
    if viewer.role == Role.DEPT_HEAD and viewer.department_id is not None:
        mine |= Q(department_id=viewer.department_id)
    return (
        _scoped(_base(), viewer)
        .filter(mine, status__in=OPEN_STATUSES - {Status.REPORTED})
        .order_by(F("next_due_at").asc(nulls_last=True), "id")
    )


def warn_times(requests: list[ServiceRequest]) -> dict[int, datetime]:
    """The 80 % warning time of each open request's next clock (the one due at `next_due_at`), so that a
    list's countdowns turn amber at the warning and red at the breach in the browser, without a reload."""
    due = {r.pk: r.next_due_at for r in requests if r.next_due_at is not None and r.status in OPEN_STATUSES}
    if not due:
        return {}
    found: dict[int, datetime] = {}
    rows = Clock.objects.filter(service_request_id__in=list(due), met_at=None, cancelled_at=None).values_list(
        "service_request_id", "due_at", "warn_at"
    )
    for request_id, due_at, warn_at in rows:
        if due_at == due[request_id] and (request_id not in found or warn_at < found[request_id]):
            found[request_id] = warn_at
    return found


def callbacks_due(*, viewer: Staff) -> QuerySet[ServiceRequest]:
    """第八条: requests whose result is reported and which wait for the hotline's callback.

    In REPORTED the callback clock is the only one running, so `next_due_at` is its due time.
    """
    return (
        _scoped(_base(), viewer)
        .filter(status=Status.REPORTED)
        .order_by(F("next_due_at").asc(nulls_last=True), "id")
    )


@dataclass
class CallerLookup:
    """来电弹屏: the households with the caller's phone, their requests, watch list and open incidents."""

    households: list[Household]
    open_requests: list[ServiceRequest] = field(default_factory=list)
    past_requests: list[ServiceRequest] = field(default_factory=list)
    watchlist: dict[int, str] = field(default_factory=dict)  # household id → watch-list status
    incidents: dict[int, list[Any]] = field(default_factory=dict)  # household id → open incidents


def caller_lookup(*, phone: str, viewer: Staff, past_limit: int = 10) -> CallerLookup:
    """第六条 / 来电弹屏: what the operator must see the moment a known number calls."""
    phone = phone.strip()
    if not phone:
        return CallerLookup(households=[])
    households = list(households_by_phone(phone=phone, viewer=viewer)[:20])
    household_ids = [household.pk for household in households]
    condition = Q(phone=phone) | Q(household_id__in=household_ids)
    requests = _scoped(_base(), viewer).filter(condition).prefetch_related("clocks")
    return CallerLookup(
        households=households,
        open_requests=list(requests.filter(status__in=OPEN_STATUSES).order_by("-received_at", "-id")[:20]),
        past_requests=list(
            requests.exclude(status__in=OPEN_STATUSES).order_by("-received_at", "-id")[:past_limit]
        ),
        watchlist=watchlist_status_for_households(household_ids) if household_ids else {},
        incidents=incidents_open_for_households(household_ids) if household_ids else {},
    )


def extension_get_visible(*, extension_id: int, viewer: Staff) -> Extension:
    """An extension of a request the viewer may see, or NotVisible."""
    visible = _scoped(ServiceRequest.objects.all(), viewer)
    extension = (
        Extension.objects.select_related("service_request", "clock", "requested_by", "decided_by")
        .filter(pk=extension_id, service_request__in=visible)
        .first()
    )
    if extension is None:
        raise NotVisible()
    return extension


def staff_id_by_username(username: str) -> int:
    """The id of an active staff member, for reassignment by name (InvalidInput when unknown)."""
    staff_id = (
        Staff.objects.filter(username=username.strip(), is_active=True).values_list("id", flat=True).first()
    )
    if staff_id is None:
        raise InvalidInput(_("承办人不存在:%(username)s") % {"username": username}, field="assignee")
    return staff_id


def categories_list() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("priority", "code"))


def causes_list() -> list[Cause]:
    return list(Cause.objects.filter(is_active=True).order_by("code"))
