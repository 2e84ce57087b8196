"""API of incidents (mounted by heatline/api.py): /api/v1/incidents. Endpoints are a few lines each."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus
from pydantic import ConfigDict

from heatline.api import current_staff
from heatline.incidents.models import Incident, IncidentKind, IncidentStatus
from heatline.incidents.selectors import (
    incident_get_visible,
    incident_list_visible,
    incident_stats,
    incident_suggestions,
)
from heatline.incidents.services import (
    IncidentInput,
    incident_callbacks_bulk,
    incident_link_call,
    incident_open,
    incident_resolve,
)
from heatline.registry.scoping import mask_phone, sees_personal_data
from heatline.requests.schemas import Text, Time
from heatline.requests.services import Intake

router = Router(tags=["incidents"])


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class IncidentIn(StrictIn):
    kind: IncidentKind = IncidentKind.FAULT
    title: Text = Field(..., max_length=100)
    description: Text = Field("", max_length=4000)
    station_id: int | None = Field(None, ge=1, le=2**31 - 1)
    pipe_section_id: int | None = Field(None, ge=1, le=2**31 - 1)
    building_id: int | None = Field(None, ge=1, le=2**31 - 1)
    community_id: int | None = Field(None, ge=1, le=2**31 - 1)
    category: Text | None = Field(None, max_length=30)
    crew_id: int | None = Field(None, ge=1, le=2**31 - 1)
    started_at: Time | None = None
    expected_restore_at: Time | None = None
    area: list[list[float]] | None = Field(
        None, max_length=1000, description="the affected area drawn on a map: a WGS84 ring [[lon, lat], …]"
    )
    building_ids: list[int] = Field(
        default_factory=list, max_length=2000, description="buildings picked on a map"
    )


class IncidentOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    title: str
    asset: str
    station_id: int | None
    pipe_section_id: int | None
    building_id: int | None
    community_id: int | None
    crew_id: int | None
    started_at: datetime
    expected_restore_at: datetime | None
    arrived_at: datetime | None
    restored_at: datetime | None
    closed_at: datetime | None
    households_affected: int
    calls: int
    result: str

    @staticmethod
    def resolve_asset(obj: Incident) -> str:
        return obj.asset_label

    @staticmethod
    def resolve_calls(obj: Incident) -> int:
        calls = getattr(obj, "calls", None)
        return calls if isinstance(calls, int) else obj.links.count()


class LinkIn(StrictIn):
    phone: Text = Field(..., max_length=20)
    content: Text = Field(..., max_length=4000)
    caller_name: Text = Field("", max_length=50)
    household: Text | None = Field(None, max_length=20)
    address: Text = Field("", max_length=200)
    source: str = Field("963000", pattern=r"^(963000|12345|12319|service_point|department)$")
    external_id: Text | None = Field(None, max_length=64)
    category: Text | None = Field(None, max_length=30)
    wants_callback: bool = True


class LinkOut(Schema):
    incident_id: int
    number: str
    status: str
    phone: str
    linked_at: datetime


class ResolveIn(StrictIn):
    result: Text = Field("", max_length=4000)
    cause: Text | None = Field(None, max_length=30)
    restored_at: Time | None = None


class ResolveOut(Schema):
    incident: IncidentOut
    reported: int
    walked: int
    skipped: list[str]


class CallbacksIn(StrictIn):
    request_ids: list[int] = Field(..., max_length=5000)
    outcome: str = Field(..., pattern=r"^(answered|no_answer|refused)$")
    solved: bool | None = None
    satisfaction: str | None = Field(None, pattern=r"^(satisfied|basic|unsatisfied)$")
    channel: str = Field("phone", pattern=r"^(phone|sms|web)$")
    comment: Text = Field("", max_length=500)


class CallbacksOut(Schema):
    done: list[str]
    failed: dict[str, str]


class SuggestionOut(Schema):
    asset: str
    asset_id: int
    asset_name: str
    category_id: int
    category_name: str
    calls: int
    first_at: datetime
    last_at: datetime


@router.get("/incidents", response=list[IncidentOut])
def list_incidents(
    request: HttpRequest, status: IncidentStatus | None = None, kind: IncidentKind | None = None
) -> list[Incident]:
    return incident_list_visible(viewer=current_staff(request), status=status, kind=kind)


@router.post("/incidents", response={201: IncidentOut})
def create_incident(request: HttpRequest, body: IncidentIn) -> HttpStatus[Incident]:
    staff = current_staff(request)
    incident = incident_open(data=IncidentInput(**body.model_dump()), by=staff)
    return HttpStatus(201, incident_get_visible(viewer=staff, pk=incident.pk))


@router.get("/incidents/suggestions", response=list[SuggestionOut])
def list_suggestions(request: HttpRequest) -> list[object]:
    return list(incident_suggestions(viewer=current_staff(request)))


@router.get("/incidents/stats")
def stats(request: HttpRequest, start: Time, end: Time) -> dict[str, object]:
    return dict(incident_stats(current_staff(request), start, end))


@router.get("/incidents/{incident_id}", response=IncidentOut)
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    return incident_get_visible(viewer=current_staff(request), pk=incident_id)


@router.post("/incidents/{incident_id}/links", response={201: LinkOut})
def link_call(request: HttpRequest, incident_id: int, body: LinkIn) -> HttpStatus[dict[str, object]]:
    staff = current_staff(request)
    incident = incident_get_visible(viewer=staff, pk=incident_id)
    service_request, link = incident_link_call(
        incident=incident, intake=Intake(**body.model_dump()), by=staff
    )
    phone = service_request.phone if sees_personal_data(staff) else mask_phone(service_request.phone)
    return HttpStatus(
        201,
        {
            "incident_id": incident.pk,
            "number": service_request.number,
            "status": service_request.status,
            "phone": phone,
            "linked_at": link.linked_at,
        },
    )


@router.post("/incidents/{incident_id}/resolve", response=ResolveOut)
def resolve(request: HttpRequest, incident_id: int, body: ResolveIn) -> dict[str, object]:
    staff = current_staff(request)
    incident = incident_get_visible(viewer=staff, pk=incident_id)
    result = incident_resolve(incident=incident, by=staff, **body.model_dump())
    return {
        "incident": incident_get_visible(viewer=staff, pk=incident.pk),
        "reported": result.reported,
        "walked": result.walked,
        "skipped": result.skipped,
    }


@router.post("/incidents/{incident_id}/callbacks", response=CallbacksOut)
def callbacks(request: HttpRequest, incident_id: int, body: CallbacksIn) -> dict[str, object]:
    staff = current_staff(request)
    incident = incident_get_visible(viewer=staff, pk=incident_id)
    result = incident_callbacks_bulk(incident=incident, by=staff, **body.model_dump())
    return {"done": result.done, "failed": result.failed}
