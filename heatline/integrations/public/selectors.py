"""Reads of the residents' page."""

from django.db.models import QuerySet

from heatline.integrations.models import ServiceHall
from heatline.registry.models import Company, Household
from heatline.registry.selectors import by_address_fragments
from heatline.requests.models import Category, RequestEvent, ServiceRequest


def halls_active() -> QuerySet[ServiceHall]:
    return ServiceHall.objects.filter(is_active=True).order_by("order", "id")


def hotline() -> str:
    company = Company.objects.order_by("id").first()
    return company.hotline if company else "963000"


def categories_for_residents() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("priority", "code")


def addresses_matching(*, q: str, limit: int = 10) -> list[str]:
    """Addresses of the register for the picker: text only (no account number, no name, no phone)."""
    parts = q.split()
    if not parts or len(q.strip()) < 2 or len(q) > 60:
        return []
    matches = by_address_fragments(Household.objects.all(), parts, limit=limit)
    return list(matches.values_list("address", flat=True)[:limit])


def timeline_of(service_request: ServiceRequest) -> list[RequestEvent]:
    return list(service_request.events.order_by("at", "id").only("at", "action", "to_status"))
