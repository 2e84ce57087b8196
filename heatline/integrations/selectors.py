"""Reads of the integrations' overview page: deliveries to the platforms and orders received."""

from django.db.models import Q, QuerySet

from heatline.integrations.models import ExchangeOrder
from heatline.outbox.models import Outbox

PLATFORM_SOURCES = ("12345", "12319")


def _platform_messages() -> QuerySet[Outbox]:
    return Outbox.objects.filter(topic="request.moved").filter(
        Q(payload__source="12345") | Q(payload__source="12319")
    )


def deliveries_failed(*, limit: int = 200) -> QuerySet[Outbox]:
    """Given up (failed) or still being retried after an error."""
    return (
        _platform_messages()
        .filter(delivered_at=None)
        .filter(Q(failed_at__isnull=False) | Q(attempts__gt=0))
        .order_by("-failed_at", "-id")[:limit]
    )


def deliveries_counts() -> dict[str, int]:
    messages = _platform_messages()
    return {
        "pending": messages.filter(delivered_at=None, failed_at=None).count(),
        "failed": messages.filter(failed_at__isnull=False, delivered_at=None).count(),
        "delivered": messages.filter(delivered_at__isnull=False).count(),
    }


def orders_recent(*, limit: int = 50) -> QuerySet[ExchangeOrder]:
    return ExchangeOrder.objects.select_related("service_request").order_by("-received_at", "-id")[:limit]
