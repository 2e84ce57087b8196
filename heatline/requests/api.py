"""API of the request life cycle (mounted by heatline/api.py). Endpoints stay thin: parse → scoped
selector (404 outside the viewer's districts) → one service → Out schema; errors map in heatline/api.py."""

from contextlib import suppress
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import PageNumberPagination, paginate
from ninja.params.functions import Path

from heatline.api import api, current_staff
from heatline.core.errors import ActionForbidden, NotVisible
from heatline.registry.models import Role
from heatline.registry.scoping import mask_name, mask_phone, sees_personal_data
from heatline.requests.hotspots import hotspot_acknowledge, hotspots_visible
from heatline.requests.models import Category, Cause, Extension, HotspotAlert, ServiceRequest
from heatline.requests.schemas import (
    CallerOut,
    CategoryOut,
    CauseOut,
    DecisionIn,
    ExtensionIn,
    ExtensionOut,
    RequestDetailOut,
    RequestFilter,
    RequestIn,
    RequestOut,
    TransitionIn,
    request_answer,
)
from heatline.requests.selectors import (
    callbacks_due,
    caller_lookup,
    categories_list,
    causes_list,
    extension_get_visible,
    request_detail_visible,
    request_get_visible,
    request_list_visible,
    staff_id_by_username,
    work_queue,
)
from heatline.requests.services import Intake, extension_decide, extension_request, request_register
from heatline.requests.transitions import Params, request_transition

router = Router(tags=["requests"])
HOTSPOT_HEADS = frozenset({Role.DISTRICT, Role.DEPT_HEAD, Role.BRANCH, Role.MANAGER, Role.ADMIN})

NUMBER = Path(..., max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
PHONE = Path(..., max_length=20, pattern=r"^[0-9+\-]+$")


class RequestPages(PageNumberPagination):
    """20 a page by default (a phone screen), at most 100 (`page_size`); pages numbered up to a million, so the
    offset stays a number every database holds (a page beyond the last is empty)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1)  # more than 100 is cut to 100

    def __init__(self, **kwargs: object) -> None:
        super().__init__(page_size=20, max_page_size=100)


@router.post("/requests", response={200: RequestOut, 201: RequestOut})
def post_request(request: HttpRequest, body: RequestIn) -> HttpStatus[ServiceRequest] | HttpResponse:
    """第二条, 第六条: register (and dispatch) a request; the same (source, external_id) again → 200."""
    staff = current_staff(request)
    intake = Intake(
        source=body.source,
        phone=body.phone,
        content=body.content,
        caller_name=body.caller_name,
        address=body.address,
        household=body.household,
        category=body.category,
        kind=body.kind,
        nature=body.nature,
        external_id=body.external_id,
        received_at=body.received_at,
        district_id=body.district,
        resolved_at_intake=body.resolved_at_intake,
        wants_callback=body.wants_callback,
    )
    service_request, created = request_register(intake=intake, by=staff)
    if created:  # answered from what was written
        return api.create_response(request, request_answer(service_request, {"request": request}), status=201)
    # a repeated push: answer with the stored request (as stored, outside the caller's districts)
    with suppress(NotVisible):
        service_request = request_get_visible(number=service_request.number, viewer=staff)
    return HttpStatus(200, service_request)


@router.get("/requests", response=list[RequestOut])
@paginate(RequestPages)
def list_requests(request: HttpRequest, filters: Query[RequestFilter]) -> list[ServiceRequest]:
    """Requests the caller may see, filtered; overdue ones sorted by due time."""
    staff = current_staff(request)
    queryset = request_list_visible(
        viewer=staff,
        status=filters.status or "",
        kind=filters.kind or "",
        source=filters.source or "",
        district=filters.district,
        overdue=filters.overdue,
        q=filters.q,
    ).prefetch_related("clocks")
    return queryset  # type: ignore[return-value]


@router.get("/queue", response=list[RequestOut])
@paginate(RequestPages)
def list_work_queue(request: HttpRequest) -> list[ServiceRequest]:
    """第七条.2: my open jobs (mine, my team's, my district's, my department's), the nearest due time first."""
    return work_queue(viewer=current_staff(request)).prefetch_related("clocks")  # type: ignore[return-value]


@router.get("/callbacks", response=list[RequestOut])
@paginate(RequestPages)
def list_callbacks_due(request: HttpRequest) -> list[ServiceRequest]:
    """第八条: reported requests waiting for the hotline's callback, by the callback clock's due time."""
    return callbacks_due(viewer=current_staff(request)).prefetch_related("clocks")  # type: ignore[return-value]


@router.get("/requests/{number}", response=RequestDetailOut, by_alias=True)
def get_request(request: HttpRequest, number: str = NUMBER) -> ServiceRequest:
    return request_detail_visible(number=number, viewer=current_staff(request))


@router.post("/requests/{number}/transitions", response=RequestDetailOut, by_alias=True)
def post_transition(request: HttpRequest, body: TransitionIn, number: str = NUMBER) -> ServiceRequest:
    """One step of 接收 → 派单 → 处置 → 回访: 409 wrong state, 403 not yours, 422 invalid."""
    staff = current_staff(request)
    service_request = request_get_visible(number=number, viewer=staff)
    satisfaction = body.satisfaction
    if satisfaction is None and body.satisfied is not None:
        satisfaction = "satisfied" if body.satisfied else "unsatisfied"
    params = Params(
        note=body.note,
        cause=body.cause,
        result=body.result,
        appointment_at=body.appointment_at,
        district_id=body.district,
        assignee_id=staff_id_by_username(body.assignee) if body.assignee else None,
        outcome=body.outcome,
        channel=body.channel,
        solved=body.solved,
        satisfaction=satisfaction,
        comment=body.comment,
    )
    moved = request_transition(service_request=service_request, action=body.action, by=staff, params=params)
    try:
        return request_detail_visible(number=number, viewer=staff)
    except NotVisible:
        return moved  # reassigned out of the caller's districts: the last view they may have


@router.post("/requests/{number}/extensions", response={201: ExtensionOut})
def post_extension(request: HttpRequest, body: ExtensionIn, number: str = NUMBER) -> HttpStatus[Extension]:
    """延期: asked before the due time, with a reason; a department head or branch manager decides."""
    staff = current_staff(request)
    service_request = request_get_visible(number=number, viewer=staff)
    extension = extension_request(
        service_request=service_request,
        clock_name=body.clock,
        new_due_at=body.new_due_at,
        reason=body.reason,
        by=staff,
    )
    return HttpStatus(201, extension_get_visible(extension_id=extension.pk, viewer=staff))


@router.post("/extensions/{extension_id}/decision", response=ExtensionOut)
def post_extension_decision(
    request: HttpRequest, body: DecisionIn, extension_id: int = Path(..., ge=1, le=2**31 - 1)
) -> Extension:
    staff = current_staff(request)
    extension = extension_get_visible(extension_id=extension_id, viewer=staff)
    extension_decide(extension=extension, approve=body.approve, by=staff, note=body.note)
    return extension_get_visible(extension_id=extension_id, viewer=staff)


@router.get("/callers/{phone}", response=CallerOut)
def get_caller(request: HttpRequest, phone: str = PHONE) -> dict[str, object]:
    """来电弹屏: the households with this phone, their open and past requests, watch list, incidents."""
    staff = current_staff(request)
    found = caller_lookup(phone=phone, viewer=staff)
    personal = sees_personal_data(staff)
    return {
        "phone": phone if personal else mask_phone(phone),
        "households": [
            {
                "account_number": household.account_number,
                "address": household.address,
                "contact_name": household.contact_name if personal else mask_name(household.contact_name),
                "phone": household.phone if personal else mask_phone(household.phone),
                "district": household.building.district,
                "heating_status": household.heating_status,
                "watchlist": found.watchlist.get(household.pk),
                "incidents": [str(incident) for incident in found.incidents.get(household.pk, [])],
            }
            for household in found.households
        ],
        "open_requests": found.open_requests,
        "past_requests": found.past_requests,
    }


@router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> list[Category]:
    current_staff(request)
    return categories_list()


@router.get("/causes", response=list[CauseOut])
def list_causes(request: HttpRequest) -> list[Cause]:
    current_staff(request)
    return causes_list()


class HotspotRequestOut(Schema):
    number: str
    received_at: datetime
    address: str
    status: str


class HotspotOut(Schema):
    id: int
    kind: str
    title: str
    district: str | None
    level: str
    responsible: str | None
    opened_at: datetime
    last_request_at: datetime
    acknowledged_at: datetime | None
    requests: list[HotspotRequestOut]


def _hotspot_out(alert: HotspotAlert) -> HotspotOut:
    return HotspotOut(
        id=alert.pk,
        kind=alert.kind,
        title=alert.title,
        district=alert.district.name if alert.district else None,
        level=alert.level,
        responsible=alert.responsible.display_name if alert.responsible else None,
        opened_at=alert.opened_at,
        last_request_at=alert.last_request_at,
        acknowledged_at=alert.acknowledged_at,
        requests=[
            HotspotRequestOut(number=r.number, received_at=r.received_at, address=r.address, status=r.status)
            for r in sorted(alert.requests.all(), key=lambda r: r.received_at)
        ],
    )


@router.get("/hotspots", response=list[HotspotOut])
def list_hotspots(request: HttpRequest, since: datetime | None = None) -> list[HotspotOut]:
    """热点预警 opened or joined since `since` (default: the last 24 hours), with the requests behind them."""
    staff = current_staff(request)
    start = since or (timezone.now() - timedelta(hours=24))
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    return [_hotspot_out(alert) for alert in hotspots_visible(viewer=staff, since=start)[:200]]


@router.post("/hotspots/{alert_id}/acknowledge", response=HotspotOut)
def acknowledge_hotspot(request: HttpRequest, alert_id: int) -> HotspotOut:
    """The responsible head has seen the alert: it stops escalating (heads and administrators)."""
    staff = current_staff(request)
    if not (staff.is_superuser or staff.role in HOTSPOT_HEADS):
        raise ActionForbidden()
    alert = hotspots_visible(viewer=staff).filter(pk=alert_id).first()
    if alert is None:
        raise NotVisible()
    hotspot_acknowledge(alert=alert, by=staff)
    return _hotspot_out(hotspots_visible(viewer=staff).get(pk=alert_id))
