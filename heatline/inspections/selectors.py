"""Reads of 第五条, scoped by viewer: inspectors see their campaigns' areas, district staff their district."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from heatline.core.errors import NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_bounds
from heatline.inspections.models import (
    Campaign,
    CampaignArea,
    ChecklistItem,
    CheckStatus,
    HazardArea,
    ItemStatus,
    Level,
    RectificationItem,
)
from heatline.registry.models import Role, Staff
from heatline.registry.scoping import scope_by_district, visible_district_ids
from heatline.requests.models import ServiceRequest


def _is_inspector(viewer: Staff) -> bool:
    return viewer.role == Role.INSPECTOR and not viewer.is_superuser


def hazard_area_list_visible(*, viewer: Staff, season: HeatingSeason | None = None) -> QuerySet[HazardArea]:
    queryset = HazardArea.objects.select_related("season", "community", "building__community", "district")
    if season is not None:
        queryset = queryset.filter(season=season)
    if _is_inspector(viewer):
        return queryset.filter(campaign_areas__campaign__members__staff=viewer).distinct()
    return scope_by_district(queryset, viewer)


def hazard_area_get_visible(*, viewer: Staff, pk: int) -> HazardArea:
    area = hazard_area_list_visible(viewer=viewer).filter(pk=pk).first()
    if area is None:
        raise NotVisible()
    return area


def area_requests(area: HazardArea) -> QuerySet[ServiceRequest]:
    """The season's requests behind an area (the explanation of why it is high-risk)."""
    start, end = season_bounds(area.season)
    queryset = ServiceRequest.objects.filter(
        received_at__gte=start, received_at__lt=end, household__isnull=False
    ).select_related("household", "cause", "building__community")
    if area.level == Level.BUILDING:
        return queryset.filter(building=area.building).order_by("received_at")
    return queryset.filter(building__community_id=area.community_id).order_by("received_at")


def requests_by_area(areas: list[HazardArea]) -> dict[int, list[str]]:
    """Request numbers behind each area, in one query per season (for the API list)."""
    result: dict[int, list[str]] = {area.pk: [] for area in areas}
    by_season: dict[int, list[HazardArea]] = defaultdict(list)
    for area in areas:
        by_season[area.season_id].append(area)
    for season_areas in by_season.values():
        start, end = season_bounds(season_areas[0].season)
        buildings = {a.building_id: a.pk for a in season_areas if a.level == Level.BUILDING}
        communities = {a.community_id: a.pk for a in season_areas if a.level == Level.COMMUNITY}
        rows = (
            ServiceRequest.objects.filter(
                received_at__gte=start, received_at__lt=end, household__isnull=False
            )
            .filter(Q(building_id__in=list(buildings)) | Q(building__community_id__in=list(communities)))
            .order_by("received_at")
            .values_list("number", "building_id", "building__community_id")
        )
        for number, building_id, community_id in rows:
            if building_id in buildings:
                result[buildings[building_id]].append(number)
            if community_id in communities:
                result[communities[community_id]].append(number)
    return result


def campaign_list_visible(*, viewer: Staff) -> QuerySet[Campaign]:
    queryset = Campaign.objects.select_related("season", "created_by").annotate(area_count=Count("areas"))
    if _is_inspector(viewer):
        return queryset.filter(members__staff=viewer)
    return queryset


def campaign_get_visible(*, viewer: Staff, pk: int) -> Campaign:
    campaign = campaign_list_visible(viewer=viewer).filter(pk=pk).first()
    if campaign is None:
        raise NotVisible()
    return campaign


def campaign_area_list_visible(*, viewer: Staff, campaign: Campaign | None = None) -> QuerySet[CampaignArea]:
    queryset = CampaignArea.objects.select_related(
        "campaign__season",
        "hazard_area__community",
        "hazard_area__building__community",
        "hazard_area__district",
    )
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    if _is_inspector(viewer):
        return queryset.filter(campaign__members__staff=viewer)
    return scope_by_district(queryset, viewer, field="hazard_area__district")


def campaign_area_get_visible(*, viewer: Staff, pk: int) -> CampaignArea:
    area = campaign_area_list_visible(viewer=viewer).filter(pk=pk).first()
    if area is None:
        raise NotVisible()
    return area


def checklist_of(campaign_area: CampaignArea) -> QuerySet[ChecklistItem]:
    return campaign_area.checklist.select_related(
        "pipe_section__owner_partner",
        "station",
        "building__community",
        "unit__building__community",
        "checked_by",
    ).prefetch_related("notices")


def item_list_visible(
    *,
    viewer: Staff,
    campaign: Campaign | None = None,
    campaign_area: CampaignArea | None = None,
    status: str = "",
    is_overdue: bool = False,
    mine: bool = False,
    today: dt.date | None = None,
) -> QuerySet[RectificationItem]:
    today = today or timezone.localdate()
    queryset = RectificationItem.objects.select_related(
        "campaign",
        "campaign_area__hazard_area__community",
        "campaign_area__hazard_area__building__community",
        "pipe_section",
        "responsible",
        "completed_by",
        "finding__recorded_by",
        "finding__station",
        "finding__building__community",
        "finding__unit__building__community",
        "finding__pipe_section",
    )
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    if campaign_area is not None:
        queryset = queryset.filter(campaign_area=campaign_area)
    if status:
        queryset = queryset.filter(status=status)
    if is_overdue:
        queryset = queryset.filter(status=ItemStatus.OPEN, due_on__lt=today)
    if mine:
        queryset = queryset.filter(responsible=viewer)
    if _is_inspector(viewer):
        queryset = queryset.filter(Q(campaign__members__staff=viewer) | Q(responsible=viewer)).distinct()
    elif visible_district_ids(viewer) is not None:
        queryset = scope_by_district(queryset, viewer, field="campaign_area__hazard_area__district")
    return queryset.order_by("campaign_id", "id")


def item_get_visible(*, viewer: Staff, pk: int) -> RectificationItem:
    item = item_list_visible(viewer=viewer).filter(pk=pk).first()
    if item is None:
        raise NotVisible()
    return item


@dataclass
class Progress:
    items: int = 0
    completed: int = 0
    overdue: int = 0
    checks: int = 0
    checks_done: int = 0

    @property
    def open(self) -> int:
        return self.items - self.completed

    @property
    def percent(self) -> int:
        """Work done: checklist lines checked plus ledger items completed, over both."""
        whole = self.checks + self.items
        return round(100 * (self.checks_done + self.completed) / whole) if whole else 0


@dataclass
class CampaignProgress:
    total: Progress
    by_area: dict[int, Progress]


def campaign_progress(*, campaign: Campaign, today: dt.date | None = None) -> CampaignProgress:
    """Progress per area and for the campaign: two GROUP BY queries."""
    today = today or timezone.localdate()
    by_area: dict[int, Progress] = defaultdict(Progress)
    item_rows = (
        RectificationItem.objects.filter(campaign=campaign)
        .values("campaign_area_id")
        .annotate(
            items=Count("id"),
            completed=Count("id", filter=Q(status=ItemStatus.COMPLETED)),
            overdue=Count("id", filter=Q(status=ItemStatus.OPEN, due_on__lt=today)),
        )
        .order_by()
    )
    for row in item_rows:
        progress = by_area[row["campaign_area_id"]]
        progress.items, progress.completed, progress.overdue = row["items"], row["completed"], row["overdue"]
    check_rows = (
        ChecklistItem.objects.filter(campaign_area__campaign=campaign)
        .values("campaign_area_id")
        .annotate(checks=Count("id"), done=Count("id", filter=Q(status=CheckStatus.DONE)))
        .order_by()
    )
    for check in check_rows:
        progress = by_area[check["campaign_area_id"]]
        progress.checks, progress.checks_done = check["checks"], check["done"]
    total = Progress(
        items=sum(p.items for p in by_area.values()),
        completed=sum(p.completed for p in by_area.values()),
        overdue=sum(p.overdue for p in by_area.values()),
        checks=sum(p.checks for p in by_area.values()),
        checks_done=sum(p.checks_done for p in by_area.values()),
    )
    return CampaignProgress(total=total, by_area=dict(by_area))


def seasons_all() -> QuerySet[HeatingSeason]:
    return HeatingSeason.objects.order_by("-year")
