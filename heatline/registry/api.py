"""API of the register: organisation lists for pickers (mounted by heatline/api.py)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from heatline.api import current_staff
from heatline.registry.models import District, Household, Staff
from heatline.registry.scoping import mask_name, mask_phone, sees_personal_data
from heatline.registry.selectors import household_search

router = Router(tags=["registry"])


class DistrictOut(Schema):
    id: int
    code: str
    name: str
    branch: str


@router.get("/districts", response=list[DistrictOut])
def list_districts(request: HttpRequest) -> list[DistrictOut]:
    return [
        DistrictOut(id=d.pk, code=d.code, name=d.name, branch=d.branch.name)
        for d in District.objects.select_related("branch").order_by("code")
    ]


class DistrictRef(Schema):
    id: int
    code: str
    name: str


class HouseholdOut(Schema):
    account_number: str
    address: str
    community: str
    district: DistrictRef
    contact_name: str
    phone: str
    heating_status: str

    @staticmethod
    def resolve_community(obj: Household) -> str:
        return obj.building.community.name

    @staticmethod
    def resolve_district(obj: Household) -> District:
        return obj.building.district

    @staticmethod
    def resolve_contact_name(obj: Household, context: Any) -> str:
        return obj.contact_name if _personal(context) else mask_name(obj.contact_name)

    @staticmethod
    def resolve_phone(obj: Household, context: Any) -> str:
        return obj.phone if _personal(context) else mask_phone(obj.phone)


def _personal(context: Any) -> bool:
    request = (context or {}).get("request")
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return isinstance(user, Staff) and sees_personal_data(user)


class HouseholdQuery(Schema):
    q: str = Field(..., min_length=1, max_length=100, pattern=r"^[^\x00]*$")
    limit: int = Field(20, ge=1, le=50)


@router.get("/households", response=list[HouseholdOut])
def search_households(request: HttpRequest, query: Query[HouseholdQuery]) -> list[Household]:
    """Account number (prefix) or address fragment, as the operator types (issue 3: < 100 ms on 200,000)."""
    staff = current_staff(request)
    return list(household_search(q=query.q, viewer=staff, limit=query.limit))
