"""Reads of the register, scoped by viewer."""

import time

from django.db.models import Q, QuerySet

from heatline.registry.models import District, Household, Staff
from heatline.registry.scoping import scope_by_district


def household_search(*, q: str, viewer: Staff, limit: int = 20) -> QuerySet[Household]:
    """Households by account number (prefix) or address fragment, as the operator types."""
    q = q.strip()
    queryset = scope_by_district(
        Household.objects.select_related("building__community", "building__district", "unit"),
        viewer,
        field="building__district",
    )
    if not q:
        return queryset.none()
    if q.isdigit():
        by_account = queryset.filter(account_number__startswith=q)
        return (by_account | queryset.filter(Q(phone=q) | Q(phone2=q))).order_by("account_number")[:limit]
    condition = Q()
    for part in q.split():
        condition &= Q(address__contains=part)
    # Take the first matches through the trigram index (PostgreSQL) without ordering, then sort those:
    # ordering first makes the database walk the whole address index for a common fragment.
    first_matches = queryset.filter(condition).values("pk")[: max(limit * 10, 200)]
    return queryset.filter(pk__in=first_matches).order_by("address")[:limit]


def households_by_phone(*, phone: str, viewer: Staff) -> QuerySet[Household]:
    phone = phone.strip()
    queryset = Household.objects.select_related("building__community", "building__district", "unit")
    return scope_by_district(queryset, viewer, field="building__district").filter(
        Q(phone=phone) | Q(phone2=phone)
    )


DISTRICT_CACHE_SECONDS = 30.0
_districts: tuple[float, dict[int, District]] | None = None


def districts_by_id() -> dict[int, District]:
    """Every district with its responsible person, kept in the process for `DISTRICT_CACHE_SECONDS`
    (every intake routes through one; a few dozen rows). A district or staff change saved in this process
    is seen at once (`districts_forget`, connected in apps.py); other processes see it within the cache
    time."""
    global _districts
    now = time.time()
    if _districts is not None and now - _districts[0] < DISTRICT_CACHE_SECONDS:
        return _districts[1]
    rows = {district.pk: district for district in District.objects.select_related("responsible")}
    _districts = (now, rows)
    return rows


def districts_forget(**_kwargs: object) -> None:
    global _districts
    _districts = None
