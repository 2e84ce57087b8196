"""Reads for the home page: real counts from the database, scoped to the viewer."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from heatline.registry.models import Building, Community, Household, Staff, Station
from heatline.registry.scoping import scope_by_district
from heatline.requests.models import OPEN_STATUSES, ServiceRequest


@dataclass(frozen=True)
class DashboardCounts:
    households: int
    stopped: int
    buildings: int
    communities: int
    stations: int
    open_requests: int
    overdue_requests: int
    today_requests: int
    emergency_open: int


def dashboard_counts(*, viewer: Staff) -> DashboardCounts:
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    households = scope_by_district(Household.objects.all(), viewer, field="building__district").aggregate(
        total=Count("id"), stopped=Count("id", filter=Q(heating_status="stopped"))
    )
    requests = scope_by_district(ServiceRequest.objects.all(), viewer).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, next_due_at__lt=now)),
        today=Count("id", filter=Q(received_at__gte=start_of_day)),
        emergency=Count("id", filter=Q(status__in=OPEN_STATUSES, kind="emergency")),
    )
    return DashboardCounts(
        households=households["total"],
        stopped=households["stopped"],
        buildings=scope_by_district(Building.objects.all(), viewer).count(),
        communities=scope_by_district(Community.objects.all(), viewer).count(),
        stations=Station.objects.count(),
        open_requests=requests["open"],
        overdue_requests=requests["overdue"],
        today_requests=requests["today"],
        emergency_open=requests["emergency"],
    )
