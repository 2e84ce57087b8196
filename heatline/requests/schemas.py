"""The API's shapes of the request life cycle (pydantic via django-ninja). No rules here: parsing only.

Inputs refuse unknown fields, wrong types, NUL characters and absurd lengths (422, never 500);
outputs mask personal data for viewers who do not need it (SPEC §5: management reads masked data).
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from heatline.registry.models import Staff
from heatline.registry.scoping import mask_name, mask_phone, sees_personal_data
from heatline.requests.models import Clock, Extension, RequestEvent, ServiceRequest

LOCAL = ZoneInfo("Asia/Shanghai")
MAX_INT = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def _sane_time(value: datetime) -> datetime:
    """Naive times are Beijing time; the year must be plausible (and convertible to UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL)
    if not 2000 <= value.year <= 2100:
        raise ValueError("time out of range")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise ValueError("time out of range") from error


Text = Annotated[str, AfterValidator(_no_nul)]
Time = Annotated[datetime, AfterValidator(_sane_time)]
ApiSource = Literal["963000", "12345", "12319", "service_point", "department"]
ApiKind = Literal["routine", "emergency"]
ApiNature = Literal["consult", "help", "complaint", "report", "suggestion", "thanks", "other", "invalid"]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- inputs


class RequestIn(StrictIn):
    """第二条, 第六条.2: what a platform or the phone system hands in."""

    source: ApiSource
    external_id: Text | None = Field(None, max_length=64)
    caller_name: Text = Field("", max_length=50)
    phone: Text = Field(..., max_length=20)
    address: Text = Field("", max_length=200)
    household: Text | None = Field(None, max_length=20, description="户号 (account number)")
    content: Text = Field(..., max_length=4000)
    category: Text | None = Field(
        None, max_length=30, description="类别编码; suggested from content when absent"
    )
    kind: ApiKind | None = None
    nature: ApiNature = "help"
    received_at: Time | None = None
    district: int | None = Field(None, ge=1, le=MAX_INT, description="片区 id, when the address is unknown")
    resolved_at_intake: Text = Field("", max_length=4000, description="直办: the answer given on the phone")
    wants_callback: bool = True


class RequestFilter(Schema):
    status: (
        Literal[
            "open",
            "registered",
            "dispatched",
            "contacted",
            "on_site",
            "completed",
            "reported",
            "closed",
            "returned",
        ]
        | None
    ) = None
    kind: ApiKind | None = None
    source: (
        Literal["963000", "12345", "12319", "service_point", "department", "open311", "public", "proactive"]
        | None
    ) = None
    district: int | None = Field(None, ge=1, le=MAX_INT)
    overdue: bool = False
    q: Text = Field("", max_length=100)


class TransitionIn(StrictIn):
    """One step of 接收 → 派单 → 处置 → 回访. Only the fields the action reads are checked."""

    action: Literal[
        "dispatch",
        "contact",
        "arrive",
        "complete",
        "report",
        "callback",
        "reassign",
        "close_at_intake",
        "return",
        "wait",
        "note",
        "exclude",
        "link_repeat",
    ]
    note: Text = Field("", max_length=2000)
    cause: Text | None = Field(None, max_length=30)
    result: Text = Field("", max_length=4000)
    solved: bool | None = None
    satisfied: bool | None = Field(None, description="true → satisfied, false → unsatisfied")
    satisfaction: Literal["satisfied", "basic", "unsatisfied"] | None = None
    comment: Text = Field("", max_length=2000)
    outcome: Literal["answered", "no_answer", "refused"] = "answered"
    channel: Literal["phone", "sms", "web"] = "phone"
    appointment_at: Time | None = None
    assignee: Text | None = Field(None, max_length=150, description="username of the new assignee")
    district: int | None = Field(None, ge=1, le=MAX_INT)


class ExtensionIn(StrictIn):
    clock: Literal["contact", "repair", "arrival", "report", "callback"]
    new_due_at: Time
    reason: Text = Field(..., max_length=2000)


class DecisionIn(StrictIn):
    approve: bool
    note: Text = Field("", max_length=2000)


# ---------------------------------------------------------------- outputs


def _viewer(context: Any) -> Staff | None:
    request: HttpRequest | None = (context or {}).get("request")
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return user if isinstance(user, Staff) else None


def shows_personal_data(context: Any) -> bool:
    viewer = _viewer(context)
    return viewer is not None and sees_personal_data(viewer)


class StaffRef(Schema):
    username: str
    name: str


class DistrictRef(Schema):
    id: int
    code: str
    name: str


class ClockOut(Schema):
    name: str
    round: int
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None
    cancelled_at: datetime | None


class RequestOut(Schema):
    number: str
    status: str
    kind: str
    nature: str
    category: str | None
    district: DistrictRef | None
    household: str | None
    assignee: StaffRef | None
    round: int
    clocks: list[ClockOut]
    next_due_at: datetime | None
    is_overdue: bool
    source: str
    external_id: str | None
    received_at: datetime
    registered_at: datetime
    is_late_intake: bool
    content: str
    address: str
    caller_name: str
    phone: str
    repeat_count: int
    satisfaction: str
    closed_at: datetime | None

    @staticmethod
    def resolve_category(obj: ServiceRequest) -> str | None:
        return obj.category.code if obj.category else None

    @staticmethod
    def resolve_household(obj: ServiceRequest) -> str | None:
        return obj.household.account_number if obj.household else None

    @staticmethod
    def resolve_assignee(obj: ServiceRequest) -> dict[str, str] | None:
        if obj.assignee is None:
            return None
        return {"username": obj.assignee.username, "name": obj.assignee.name}

    @staticmethod
    def resolve_clocks(obj: ServiceRequest) -> list[Clock]:
        return list(obj.clocks.all())

    @staticmethod
    def resolve_is_overdue(obj: ServiceRequest, context: Any) -> bool:
        from django.utils import timezone

        return bool(obj.is_open and obj.next_due_at is not None and obj.next_due_at < timezone.now())

    @staticmethod
    def resolve_caller_name(obj: ServiceRequest, context: Any) -> str:
        return obj.caller_name if shows_personal_data(context) else mask_name(obj.caller_name)

    @staticmethod
    def resolve_phone(obj: ServiceRequest, context: Any) -> str:
        return obj.phone if shows_personal_data(context) else mask_phone(obj.phone)


def request_answer(obj: ServiceRequest, context: Any) -> dict[str, Any]:
    """`RequestOut` of `obj` as a dict, read straight off the object with RequestOut's own resolvers: the
    intake's answer (issue 3's throughput), where ninja would read each field through a proxy and validate
    what it just wrote again. Equal to `RequestOut.model_validate(obj, context=…).model_dump()` (tested)."""
    district = obj.district
    derived: dict[str, Any] = {
        "category": RequestOut.resolve_category(obj),
        "district": {name: getattr(district, name) for name in DistrictRef.model_fields}
        if district
        else None,
        "household": RequestOut.resolve_household(obj),
        "assignee": RequestOut.resolve_assignee(obj),
        "clocks": [
            {name: getattr(clock, name) for name in ClockOut.model_fields} for clock in obj.clocks.all()
        ],
        "is_overdue": RequestOut.resolve_is_overdue(obj, context),
        "caller_name": RequestOut.resolve_caller_name(obj, context),
        "phone": RequestOut.resolve_phone(obj, context),
    }
    return {
        name: derived[name] if name in derived else getattr(obj, name) for name in RequestOut.model_fields
    }


class EventOut(Schema):
    at: datetime
    actor: StaffRef | None
    action: str
    from_status: str = Field(..., serialization_alias="from")
    to_status: str = Field(..., serialization_alias="to")
    note: str

    @staticmethod
    def resolve_actor(obj: RequestEvent) -> dict[str, str] | None:
        if obj.actor is None:
            return None
        return {"username": obj.actor.username, "name": obj.actor.name}


class RequestDetailOut(RequestOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj: ServiceRequest) -> list[RequestEvent]:
        return list(obj.events.all())


class ExtensionOut(Schema):
    id: int
    number: str
    clock: str
    status: str
    reason: str
    new_due_at: datetime
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    @staticmethod
    def resolve_number(obj: Extension) -> str:
        return obj.service_request.number

    @staticmethod
    def resolve_clock(obj: Extension) -> str:
        return obj.clock.name

    @staticmethod
    def resolve_requested_by(obj: Extension) -> str:
        return obj.requested_by.username

    @staticmethod
    def resolve_decided_by(obj: Extension) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


class CallerHouseholdOut(Schema):
    account_number: str
    address: str
    contact_name: str
    phone: str
    district: DistrictRef | None
    heating_status: str
    watchlist: str | None
    incidents: list[str]


class CallerOut(Schema):
    """来电弹屏: households with the phone, their open and past requests, watch list, open incidents."""

    phone: str
    households: list[CallerHouseholdOut]
    open_requests: list[RequestOut]
    past_requests: list[RequestOut]


class CodeName(Schema):
    code: str
    name: str


class CategoryOut(CodeName):
    kind: str
    nature: str
    is_repair: bool


class CauseOut(CodeName):
    attribution: str
