"""The one place that answers "which districts may this user see".

`visible_district_ids(staff)` is None for company-wide roles (hotline, crew, department heads,
inspectors, management, administrators), the branch's districts for a branch manager, and the
own district for district staff. Every selector filters through `scope_by_district`.
"""

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from heatline.registry.models import COMPANY_WIDE_ROLES, District, Role, Staff

M = TypeVar("M", bound=Model)


def visible_district_ids(staff: Staff) -> frozenset[int] | None:
    """None means "all districts"; an empty set means "none"."""
    if not staff.is_active:
        return frozenset()
    if staff.is_superuser or staff.role in COMPANY_WIDE_ROLES:
        return None
    if staff.role == Role.BRANCH:
        if staff.branch_id is None:
            return frozenset()
        return frozenset(District.objects.filter(branch_id=staff.branch_id).values_list("id", flat=True))
    if staff.district_id is not None:
        return frozenset({staff.district_id})
    return frozenset()


def scope_by_district(
    queryset: QuerySet[M], staff: Staff, *, field: str = "district", allow_null: bool = False
) -> QuerySet[M]:
    """Keep the rows whose `field` (a district FK path) lies in the viewer's districts.

    allow_null keeps rows with no district (e.g. a request with an unknown address) for
    company-wide viewers only; district staff never see those.
    """
    ids = visible_district_ids(staff)
    if ids is None:
        return queryset
    return queryset.filter(Q(**{f"{field}__in": ids}))


def may_see_district(staff: Staff, district_id: int | None) -> bool:
    ids = visible_district_ids(staff)
    if ids is None:
        return True
    return district_id is not None and district_id in ids


def sees_personal_data(staff: Staff) -> bool:
    """Whether a role needs callers' names and full phone numbers. Management reads masked data."""
    return staff.is_superuser or staff.role != Role.MANAGER


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str) -> str:
    """张** : the family name only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
