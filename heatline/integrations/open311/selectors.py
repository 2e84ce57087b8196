"""Reads of the Open311 endpoint (public: no viewer; the mapping strips personal data)."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from heatline.integrations.models import Open311Key, Open311Submission
from heatline.requests.models import OPEN_STATUSES, Category, RequestEvent, ServiceRequest


def services_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("priority", "code")


def service_get(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()


def key_find(secret: str) -> Open311Key | None:
    if not secret or len(secret) > 200:
        return None
    return (
        Open311Key.objects.select_related("staff")
        .filter(digest=Open311Key.digest_of(secret), is_active=True)
        .first()
    )


def requests_query(
    *,
    numbers: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
    with_notes: bool = False,
) -> QuerySet[ServiceRequest]:
    queryset = ServiceRequest.objects.select_related(
        "category", "building__community", "district", "department"
    ).order_by("-received_at", "-id")
    if with_notes:
        queryset = queryset.prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.order_by("at", "id"), to_attr="open311_notes")
        )
    if numbers is not None:
        return queryset.filter(number__in=numbers)
    if service_codes:
        queryset = queryset.filter(category__code__in=service_codes)
    if start is not None:
        queryset = queryset.filter(received_at__gte=start)
    if end is not None:
        queryset = queryset.filter(received_at__lte=end)
    if statuses:
        wanted = set(statuses)
        if wanted == {"open"}:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            queryset = queryset.exclude(status__in=OPEN_STATUSES)
    return queryset


def submission_by_token(token: str) -> Open311Submission | None:
    return Open311Submission.objects.select_related("service_request").filter(token=token).first()
