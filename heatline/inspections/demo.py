"""Demo rows of 第五条: last season's high-risk areas, its inspection campaign and a ledger in progress.

Idempotent: the campaign for the season is created once; a second run finds it and stops.
"""

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from heatline.core.models import HeatingSeason
from heatline.inspections.models import (
    AssetType,
    Campaign,
    CheckKind,
    CheckStatus,
    HazardArea,
    MemberKind,
    NoticeKind,
    RectificationItem,
)
from heatline.inspections.services import (
    Asset,
    TeamMember,
    campaign_create,
    checklist_record,
    finding_record,
    hazard_area_add,
    hazard_detect,
    notice_record,
)
from heatline.registry.models import Building, Household, Staff

FINDINGS = [
    (AssetType.STATION, "循环泵机械密封渗水", True, "现场更换机械密封"),
    (AssetType.STATION, "除污器堵塞,压差偏大", True, "现场清洗除污器"),
    (AssetType.RISER, "单元立管锈蚀严重,有渗水痕迹", False, ""),
    (AssetType.NETWORK, "管沟内保温层脱落约6米", False, ""),
    (AssetType.RISER, "顶层排气阀失灵", True, "更换自动排气阀"),
]


def _last_ended_season(today: dt.date) -> HeatingSeason | None:
    return HeatingSeason.objects.filter(last_day__lt=today).order_by("-year").first()


@transaction.atomic
def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    today = timezone.localdate()
    season = _last_ended_season(today)
    admin = Staff.objects.filter(username="admin").first()
    inspector = Staff.objects.filter(username="inspector").first()
    district = Staff.objects.filter(username="district").first()
    if season is None or admin is None or inspector is None or district is None:
        progress("inspections: no ended season or demo staff, skipped")
        return
    if Campaign.objects.filter(season=season).exists():
        progress("inspections: campaign present, nothing to do")
        return
    areas = hazard_detect(season=season, by=admin)
    if len(areas) < 2:
        # A small demo may not reach the threshold: add the busiest buildings by hand, with a reason.
        for manual in Building.objects.select_related("community").order_by("-id")[: 2 - len(areas)]:
            hazard_area_add(
                season=season,
                community=manual.community,
                building=manual,
                reason="演示:老旧管网,连续两季管道堵塞",
                by=admin,
            )
    chosen = list(HazardArea.objects.filter(season=season).order_by("-households")[:6])
    campaign = campaign_create(
        season=season,
        team=[
            TeamMember(inspector, MemberKind.STATION_TECHNICIAN),
            TeamMember(district, MemberKind.COMPANY_STAFF),
        ],
        by=admin,
        starts_on=season.last_day + dt.timedelta(days=10),
        areas=chosen,
    )
    first = campaign.areas.select_related("hazard_area__building", "hazard_area__community").first()
    assert first is not None
    for check in first.checklist.filter(status=CheckStatus.PENDING).order_by("id")[:6]:
        if check.kind in (CheckKind.RESIDENTS_NOTIFIED,) and check.building is not None:
            notice_record(
                campaign_area=first, kind=NoticeKind.RESIDENTS, building=check.building, by=inspector
            )
        if check.kind == CheckKind.LEAKED_NOTIFY and check.pipe_section is not None:
            notice_record(
                campaign_area=first, kind=NoticeKind.OWNER, pipe_section=check.pipe_section, by=inspector
            )
        checklist_record(
            item=check,
            by=inspector,
            is_ok=True,
            result="正常",
            supply_pressure=f"0.{rng.randint(55, 65)}",
            return_pressure=f"0.{rng.randint(25, 35)}",
            part_replaced="压力表" if check.kind == CheckKind.PARTS_REPLACED else "",
        )
    building = (
        first.hazard_area.building or Building.objects.filter(community=first.hazard_area.community).first()
    )
    household = Household.objects.filter(building=building).first()
    if household is not None:
        notice_record(campaign_area=first, kind=NoticeKind.AGED_PIPE, household=household, by=inspector)
    station = building.station if building is not None else None
    for asset_type, text, fixed, result in FINDINGS:
        asset = (
            Asset(station=station)
            if asset_type == AssetType.STATION and station
            else Asset(building=building)
        )
        finding_record(
            campaign_area=first,
            by=inspector,
            asset_type=asset_type,
            asset=asset,
            description=text,
            is_fixed_on_spot=fixed,
            result=result,
            responsible=None if fixed else district,
            due_on=None if fixed else today + dt.timedelta(days=rng.randint(3, 20)),
        )
    # Demo only: one open item set back in time so the ledger shows an overdue line.
    overdue = RectificationItem.objects.filter(campaign=campaign, status="open", responsible=district).first()
    if overdue is not None:
        RectificationItem.objects.filter(pk=overdue.pk).update(due_on=today - dt.timedelta(days=4))
    progress(
        f"inspections: {HazardArea.objects.filter(season=season).count()} high-risk areas in {season}, "
        f"campaign with {campaign.areas.count()} areas, {campaign.items.count()} ledger items"
    )
