"""Writes of 第五条: detect high-risk areas, run the post-season inspection, keep the rectification ledger.

Every change writes an audit event (heatline.core.audit) in the same transaction.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record, audit_record_bulk
from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.core.models import HeatingSeason
from heatline.core.rules import rule_int
from heatline.core.seasons import season_bounds
from heatline.inspections.models import (
    CHECKS_BY_ASSET,
    AssetType,
    Campaign,
    CampaignArea,
    CampaignMember,
    CampaignStatus,
    CheckKind,
    ChecklistItem,
    CheckStatus,
    Finding,
    HazardArea,
    ItemKind,
    ItemStatus,
    Level,
    MemberKind,
    Notice,
    NoticeKind,
    Photo,
    ProgressUpdate,
    RectificationItem,
)
from heatline.outbox.services import notify
from heatline.proactive.models import Visit
from heatline.registry.models import (
    Building,
    Community,
    Household,
    PipeOwner,
    PipeSection,
    Role,
    Staff,
    Station,
    Unit,
)
from heatline.requests.models import ServiceRequest

# Who runs the campaign: administrators, department heads and branch managers (managers only read).
MANAGING_ROLES = frozenset({Role.ADMIN, Role.DEPT_HEAD, Role.BRANCH})
LEAK_CAUSE = "network_leak"
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def may_manage(staff: Staff) -> bool:
    return staff.is_active and (staff.is_superuser or staff.role in MANAGING_ROLES)


def is_member(staff: Staff, campaign: Campaign) -> bool:
    return CampaignMember.objects.filter(campaign=campaign, staff=staff).exists()


def _require_manager(staff: Staff) -> None:
    if not may_manage(staff):
        raise ActionForbidden()


def _require_team(staff: Staff, campaign: Campaign) -> None:
    if not (may_manage(staff) or is_member(staff, campaign)):
        raise ActionForbidden(_("只有本次排查的队员可以记录"))


# ---------------------------------------------------------------------------------------------
# High-risk areas (第五条.1)


@dataclass
class AreaEvidence:
    households: int = 0
    requests: int = 0
    causes: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))


def _season_of_request(seasons: Sequence[HeatingSeason]) -> Case:
    """SQL CASE mapping `received_at` to the season year it falls in (the seasons' bounds, not dates in Python)."""
    whens = []
    for season in seasons:
        start, end = season_bounds(season)
        whens.append(When(received_at__gte=start, received_at__lt=end, then=Value(season.year)))
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _households_per_building(*, start: dt.datetime, end: dt.datetime) -> list[tuple[int, int, int, int]]:
    """(building, community, distinct households, requests) of the season's requests, in one query.

    The inner GROUP BY (building, household) is a hash aggregate; the outer one counts the pairs —
    COUNT(DISTINCT) without sorting the season's rows. Portable SQL (SQLite and PostgreSQL).
    """
    requests_table = connection.ops.quote_name(ServiceRequest._meta.db_table)
    buildings_table = connection.ops.quote_name(Building._meta.db_table)
    sql = (
        "SELECT pairs.building_id, b.community_id, COUNT(*), SUM(pairs.n) FROM ("
        f" SELECT building_id, household_id, COUNT(*) AS n FROM {requests_table}"
        " WHERE received_at >= %s AND received_at < %s"
        " AND household_id IS NOT NULL AND building_id IS NOT NULL"
        " GROUP BY building_id, household_id"
        f") pairs JOIN {buildings_table} b ON b.id = pairs.building_id"
        " GROUP BY pairs.building_id, b.community_id"
    )
    params = [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Keep the (building, household) hash table in memory for a season of ~10^6 requests.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return [(int(b), int(c), int(h), int(n)) for b, c, h, n in cursor.fetchall()]


def hazard_candidates(*, season: HeatingSeason) -> dict[tuple[str, int], AreaEvidence]:
    """第五条.1 as set-based queries (GROUP BY / COUNT DISTINCT in the database, no loop over requests).

    1. Per building: distinct households and requests of the season (one grouped query; a request's
       building is its household's building, so a community's distinct households are the sum over
       its buildings, added up from the per-building rows).
    2. The distinct (building, hazard cause, season) triples over this and earlier seasons, from
       requests (completion causes) and proactive visits (one grouped query each), rolled up to
       communities.
    3. An area is high-risk when households ≥ hazard_household_threshold and its hazard causes span
       ≥ hazard_min_seasons seasons.
    """
    threshold = rule_int("hazard_household_threshold")
    min_seasons = rule_int("hazard_min_seasons")
    start, end = season_bounds(season)
    history = list(HeatingSeason.objects.filter(year__lte=season.year).order_by("year"))
    history_start = min(season_bounds(s)[0] for s in history)
    evidence: dict[tuple[str, int], AreaEvidence] = {}
    for building_id, community_id, households, requests in _households_per_building(start=start, end=end):
        evidence[(Level.BUILDING, building_id)] = AreaEvidence(households=households, requests=requests)
        community = evidence.setdefault((Level.COMMUNITY, community_id), AreaEvidence())
        community.households += households
        community.requests += requests
    evidence = {key: area for key, area in evidence.items() if area.households >= threshold}
    if not evidence:
        return {}
    triples = (
        ServiceRequest.objects.filter(
            cause__is_hazard=True, received_at__gte=history_start, received_at__lt=end, building__isnull=False
        )
        .annotate(season_year=_season_of_request(history))
        .filter(season_year__isnull=False)
        .values_list("building_id", "building__community_id", "cause__code", "season_year")
        .distinct()
        .order_by()
    )
    # Causes recorded at proactive visits (第四条) count the same way, by the visit's season.
    visited = (
        Visit.objects.filter(cause__is_hazard=True, entry__season__year__lte=season.year)
        .values_list(
            "entry__building_id", "entry__building__community_id", "cause__code", "entry__season__year"
        )
        .distinct()
        .order_by()
    )
    for rows in (triples, visited):
        for building_id, community_id, cause_code, year in rows:
            for area_key in ((Level.BUILDING, building_id), (Level.COMMUNITY, community_id)):
                if area_key in evidence:
                    evidence[area_key].causes[cause_code].add(year)
    result: dict[tuple[str, int], AreaEvidence] = {}
    for key, area in evidence.items():
        seasons_seen = set().union(*area.causes.values()) if area.causes else set()
        if len(seasons_seen) >= min_seasons:
            result[key] = area
    return result


def _cause_names() -> dict[str, str]:
    from heatline.requests.models import Cause

    return dict(Cause.objects.values_list("code", "name"))


def _evidence_json(area: AreaEvidence, names: dict[str, str]) -> dict[str, Any]:
    return {
        "causes": [
            {"code": code, "name": names.get(code, code), "seasons": sorted(years)}
            for code, years in sorted(area.causes.items())
        ]
    }


@transaction.atomic
def hazard_detect(*, season: HeatingSeason, by: Staff | None = None) -> list[HazardArea]:
    """第五条.1: compute the season's high-risk areas; safe to rerun (updates rows, never duplicates).

    Detected rows that no longer qualify lose their detected mark; they are deleted unless added by
    hand or already in a campaign's ledger.
    """
    if by is not None:
        _require_manager(by)
    now = timezone.now()
    found = hazard_candidates(season=season)
    names = _cause_names()
    existing = {
        (row.level, row.building_id if row.level == Level.BUILDING else row.community_id): row
        for row in HazardArea.objects.filter(season=season)
    }
    new_keys = [key for key in found if key not in existing]
    community_ids = {area_id for (level, area_id) in new_keys if level == Level.COMMUNITY}
    building_ids = {area_id for (level, area_id) in new_keys if level == Level.BUILDING}
    communities = {c.pk: c for c in Community.objects.filter(pk__in=community_ids).only("pk", "district_id")}
    buildings = {
        b.pk: b
        for b in Building.objects.filter(pk__in=building_ids).only("pk", "community_id", "district_id")
    }
    created: list[HazardArea] = []
    changed = 0
    for (level, area_id), area in found.items():
        values = {
            "households": area.households,
            "request_count": area.requests,
            "hazard_seasons": len(set().union(*area.causes.values())),
            "evidence": _evidence_json(area, names),
            "is_detected": True,
        }
        row = existing.get((level, area_id))
        if row is None:
            if level == Level.COMMUNITY:
                community = communities[area_id]
                row = HazardArea(
                    season=season, level=level, community=community, district_id=community.district_id
                )
            else:
                building = buildings[area_id]
                row = HazardArea(
                    season=season,
                    level=level,
                    community_id=building.community_id,
                    building_id=building.pk,
                    district_id=building.district_id,
                )
            for name, value in values.items():
                setattr(row, name, value)
            row.detected_at = now
            created.append(row)
        elif any(getattr(row, name) != value for name, value in values.items()):
            # Only rows whose figures moved are written (a rerun on unchanged data writes nothing).
            HazardArea.objects.filter(pk=row.pk).update(**values, detected_at=now, updated_at=now)
            changed += 1
    HazardArea.objects.bulk_create(created, batch_size=1000)
    gone = [row for key, row in existing.items() if key not in found and row.is_detected]
    removed = []
    for row in gone:
        if row.is_manual or row.campaign_areas.exists():
            HazardArea.objects.filter(pk=row.pk).update(is_detected=False, updated_at=now)
        else:
            removed.append(row.pk)
    HazardArea.objects.filter(pk__in=removed).delete()
    audit_record_bulk(
        by=by,
        action="detected",
        objects=created,
        at=now,
        extra=lambda row: {"season": season.year, "households": row.households, **row.evidence},
    )
    audit_record_bulk(
        by=by,
        action="no_longer_high_risk",
        objects=[HazardArea(pk=pk) for pk in removed],
        at=now,
        extra=lambda _row: {"season": season.year},
    )
    audit_record(
        by=by,
        obj=season,
        action="hazard_detect",
        extra={
            "areas": len(found),
            "created": len(created),
            "updated": changed,
            "removed": len(removed),
        },
    )
    return list(
        HazardArea.objects.filter(season=season, is_detected=True).select_related("community", "building")
    )


@transaction.atomic
def hazard_area_add(
    *,
    season: HeatingSeason,
    community: Community,
    building: Building | None = None,
    reason: str,
    by: Staff,
) -> HazardArea:
    """Staff add an area by hand, with a reason (第五条.1, explainable either way)."""
    _require_manager(by)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("人工添加高风险区域必须填写理由"), field="reason")
    if building is not None and building.community_id != community.pk:
        raise InvalidInput(_("楼栋不属于该小区"), field="building")
    level = Level.BUILDING if building is not None else Level.COMMUNITY
    lookup: dict[str, Any] = {"season": season, "level": level}
    lookup.update(building=building) if building is not None else lookup.update(community=community)
    area = HazardArea.objects.filter(**lookup).first()
    if area is None:
        area = HazardArea.objects.create(
            season=season,
            level=level,
            community=community,
            building=building,
            district_id=building.district_id if building is not None else community.district_id,
            is_manual=True,
            reason=reason,
            added_by=by,
        )
    else:
        area.is_manual = True
        area.reason = reason
        area.added_by = by
        area.save(update_fields=["is_manual", "reason", "added_by", "updated_at"])
    audit_record(by=by, obj=area, action="added_by_hand", note=reason, extra={"season": season.year})
    return area


# ---------------------------------------------------------------------------------------------
# The campaign and its inspection ledger (第五条.2)


def _area_buildings(area: HazardArea) -> list[Building]:
    if area.level == Level.BUILDING and area.building is not None:
        return [area.building]
    return list(Building.objects.filter(community_id=area.community_id).select_related("community"))


def leaked_sections(*, season: HeatingSeason, buildings: Iterable[Building]) -> QuerySet[PipeSection]:
    """Pipe sections feeding these buildings with a network-leak cause recorded in the season."""
    start, end = season_bounds(season)
    building_ids = [b.pk for b in buildings]
    leaked_buildings = ServiceRequest.objects.filter(
        building_id__in=building_ids,
        cause__code=LEAK_CAUSE,
        received_at__gte=start,
        received_at__lt=end,
    ).values("building_id")
    return (
        PipeSection.objects.filter(buildings__in=leaked_buildings).distinct().select_related("owner_partner")
    )


def _generate_checklist(*, campaign_area: CampaignArea, by: Staff) -> int:
    """Checklist items per asset type, and a replacement work item for every company-owned leaked pipe."""
    area = campaign_area.hazard_area
    buildings = _area_buildings(area)
    sections = list(PipeSection.objects.filter(buildings__in=buildings).distinct().order_by("code"))
    station_ids = sorted({b.station_id for b in buildings if b.station_id is not None})
    leaked = list(leaked_sections(season=campaign_area.campaign.season, buildings=buildings))
    items: list[ChecklistItem] = []
    for section in sections:
        for kind in CHECKS_BY_ASSET[AssetType.NETWORK]:
            items.append(
                ChecklistItem(
                    campaign_area=campaign_area, asset_type=AssetType.NETWORK, kind=kind, pipe_section=section
                )
            )
    for section in leaked:
        kind = CheckKind.LEAKED_REPLACE if section.is_company_owned else CheckKind.LEAKED_NOTIFY
        items.append(
            ChecklistItem(
                campaign_area=campaign_area, asset_type=AssetType.NETWORK, kind=kind, pipe_section=section
            )
        )
    for station_id in station_ids:
        for kind in CHECKS_BY_ASSET[AssetType.STATION]:
            items.append(
                ChecklistItem(
                    campaign_area=campaign_area,
                    asset_type=AssetType.STATION,
                    kind=kind,
                    station_id=station_id,
                )
            )
    units: dict[int, list[Unit]] = defaultdict(list)
    for unit in Unit.objects.filter(building__in=buildings).order_by("building_id", "number"):
        units[unit.building_id].append(unit)
    for building in buildings:
        for kind in CHECKS_BY_ASSET[AssetType.RISER]:
            items.append(
                ChecklistItem(
                    campaign_area=campaign_area, asset_type=AssetType.RISER, kind=kind, building=building
                )
            )
        riser_units: list[Unit | None] = list(units[building.pk]) or [None]
        for riser_unit in riser_units:
            items.append(
                ChecklistItem(
                    campaign_area=campaign_area,
                    asset_type=AssetType.RISER,
                    kind=CheckKind.DOOR_TO_DOOR,
                    building=building,
                    unit=riser_unit,
                )
            )
    ChecklistItem.objects.bulk_create(items)
    for section in leaked:
        if section.is_company_owned:
            item_replacement_create(campaign_area=campaign_area, pipe_section=section, by=by)
    return len(items)


@dataclass
class TeamMember:
    staff: Staff
    kind: str = MemberKind.COMPANY_STAFF


@transaction.atomic
def campaign_create(
    *,
    season: HeatingSeason,
    team: Sequence[TeamMember],
    by: Staff,
    name: str = "",
    starts_on: dt.date | None = None,
    areas: Iterable[HazardArea] | None = None,
) -> Campaign:
    """第五条.2: after the season, a team works through a ledger generated from the high-risk areas."""
    _require_manager(by)
    if Campaign.objects.filter(season=season).exists():
        raise InvalidInput(_("该采暖期的隐患排查已创建"), field="season")
    if not team:
        raise InvalidInput(_("排查队伍不能为空"), field="team")
    for member in team:
        if member.kind not in MemberKind.values:
            raise InvalidInput(_("队员身份无效"), field="team")
        if not member.staff.is_active:
            raise InvalidInput(_("队员账号已停用:%(name)s") % {"name": member.staff}, field="team")
    chosen = list(areas) if areas is not None else list(HazardArea.objects.filter(season=season))
    if any(area.season_id != season.pk for area in chosen):
        raise InvalidInput(_("区域不属于该采暖期"), field="areas")
    if not chosen:
        raise InvalidInput(_("该采暖期尚无高风险区域,请先判定或人工添加"), field="season")
    campaign = Campaign.objects.create(
        season=season,
        name=name.strip() or _("%(season)s采暖期停暖后隐患排查") % {"season": season},
        starts_on=starts_on or timezone.localdate(),
        created_by=by,
    )
    CampaignMember.objects.bulk_create(
        [CampaignMember(campaign=campaign, staff=m.staff, kind=m.kind) for m in team]
    )
    audit_record(
        by=by,
        obj=campaign,
        action="created",
        extra={"season": season.year, "team": [[m.staff.pk, m.kind] for m in team]},
    )
    for area in chosen:
        campaign_area = CampaignArea.objects.create(campaign=campaign, hazard_area=area)
        count = _generate_checklist(campaign_area=campaign_area, by=by)
        audit_record(by=by, obj=campaign_area, action="ledger_generated", extra={"checklist_items": count})
    for m in team:
        notify(
            recipient_id=m.staff.pk,
            title=_("您已加入隐患排查:%(name)s") % {"name": campaign.name},
            link=f"/inspections/campaigns/{campaign.pk}/",
            dedupe_key=f"campaign-member:{campaign.pk}:{m.staff.pk}",
        )
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, by: Staff) -> Campaign:
    _require_manager(by)
    if campaign.status != CampaignStatus.ACTIVE:
        raise TransitionNotAllowed(campaign.get_status_display(), _("结束排查"))
    pending = ChecklistItem.objects.filter(
        campaign_area__campaign=campaign, status=CheckStatus.PENDING
    ).count()
    if pending:
        raise InvalidInput(_("尚有%(n)d项检查未完成") % {"n": pending})
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED, updated_at=timezone.now())
    campaign.status = CampaignStatus.CLOSED
    audit_record(by=by, obj=campaign, action="closed")
    return campaign


def _decimal_or_none(value: Any, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError as error:
        raise InvalidInput(_("请输入数字"), field=field_name) from error
    if not number.is_finite() or number < 0 or number > 100:
        raise InvalidInput(_("读数超出范围"), field=field_name)
    return number


@transaction.atomic
def checklist_record(
    *,
    item: ChecklistItem,
    by: Staff,
    is_ok: bool | None,
    result: str = "",
    supply_pressure: Any = None,
    return_pressure: Any = None,
    part_replaced: str = "",
) -> ChecklistItem:
    """An inspector ticks a checklist line with what was seen (gauge numbers, the part replaced)."""
    campaign = item.campaign_area.campaign
    _require_team(by, campaign)
    if campaign.status != CampaignStatus.ACTIVE:
        raise TransitionNotAllowed(campaign.get_status_display(), _("记录检查"))
    result = result.strip()
    if is_ok is None:
        raise InvalidInput(_("请选择检查结论"), field="is_ok")
    if item.kind == CheckKind.PRESSURE_GAUGES:
        supply = _decimal_or_none(supply_pressure, "supply_pressure")
        back = _decimal_or_none(return_pressure, "return_pressure")
        if supply is None or back is None:
            raise InvalidInput(_("请填写供水与回水压力读数"), field="supply_pressure")
        item.supply_pressure, item.return_pressure = supply, back
    if item.kind == CheckKind.PARTS_REPLACED:
        item.part_replaced = part_replaced.strip()[:100]
    if item.kind in (CheckKind.LEAKED_NOTIFY, CheckKind.RESIDENTS_NOTIFIED) and not item.notices.exists():
        raise InvalidInput(_("请先登记通知记录"), field="notice")
    if not is_ok and not result:
        raise InvalidInput(_("发现问题时请说明情况"), field="result")
    old = {"status": item.status, "is_ok": item.is_ok, "result": item.result}
    item.status = CheckStatus.DONE
    item.is_ok = is_ok
    item.result = result
    item.checked_by = by
    item.checked_at = timezone.now()
    item.save()
    audit_record(
        by=by,
        obj=item,
        action="checked",
        extra={
            "old": old,
            "new": {"is_ok": is_ok, "result": result, "part_replaced": item.part_replaced},
            "supply_pressure": str(item.supply_pressure) if item.supply_pressure is not None else None,
            "return_pressure": str(item.return_pressure) if item.return_pressure is not None else None,
        },
    )
    return item


def _area_building_ids(campaign_area: CampaignArea) -> set[int]:
    return {b.pk for b in _area_buildings(campaign_area.hazard_area)}


@transaction.atomic
def notice_record(
    *,
    campaign_area: CampaignArea,
    kind: str,
    by: Staff,
    pipe_section: PipeSection | None = None,
    building: Building | None = None,
    household: Household | None = None,
    recipient: str = "",
    channel: str = "",
    note: str = "",
) -> Notice:
    """Record a notice: to the owner of a leaked pipe, to residents through the community, to one household."""
    _require_team(by, campaign_area.campaign)
    channel = channel.strip() or _("电话")
    checklist_item: ChecklistItem | None = None
    partner = None
    if kind == NoticeKind.OWNER:
        if pipe_section is None:
            raise InvalidInput(_("请选择管段"), field="pipe_section")
        if pipe_section.owner == PipeOwner.COMPANY:
            raise InvalidInput(_("该管段为本公司产权,应列入更换,不需通知产权人"), field="pipe_section")
        checklist_item = campaign_area.checklist.filter(
            kind=CheckKind.LEAKED_NOTIFY, pipe_section=pipe_section
        ).first()
        partner = pipe_section.owner_partner
        recipient = recipient.strip() or (str(partner) if partner else pipe_section.owner_name)
        if not recipient:
            raise InvalidInput(_("请填写被通知的产权人"), field="recipient")
    elif kind == NoticeKind.RESIDENTS:
        if building is None or building.pk not in _area_building_ids(campaign_area):
            raise InvalidInput(_("请选择本区域的楼栋"), field="building")
        checklist_item = campaign_area.checklist.filter(
            kind=CheckKind.RESIDENTS_NOTIFIED, building=building
        ).first()
        street = building.community.street
        recipient = recipient.strip() or (str(street) if street else _("社区"))
    elif kind == NoticeKind.AGED_PIPE:
        if household is None or household.building_id not in _area_building_ids(campaign_area):
            raise InvalidInput(_("请选择本区域的热用户"), field="household")
        building = household.building
        checklist_item = campaign_area.checklist.filter(
            kind=CheckKind.AGED_PIPE_REMINDERS, building_id=household.building_id
        ).first()
        recipient = recipient.strip() or household.contact_name or household.account_number
    else:
        raise InvalidInput(_("通知类型无效"), field="kind")
    notice = Notice.objects.create(
        campaign_area=campaign_area,
        checklist_item=checklist_item,
        kind=kind,
        pipe_section=pipe_section,
        partner=partner,
        building=building,
        household=household,
        recipient=recipient[:100],
        channel=channel[:30],
        note=note.strip(),
        at=timezone.now(),
        by=by,
    )
    audit_record(
        by=by,
        obj=notice,
        action="notice_recorded",
        extra={"kind": kind, "recipient": notice.recipient, "channel": notice.channel},
    )
    return notice


# ---------------------------------------------------------------------------------------------
# Findings and the rectification ledger (第五条.3)


@dataclass
class Asset:
    pipe_section: PipeSection | None = None
    station: Station | None = None
    building: Building | None = None
    unit: Unit | None = None

    @property
    def is_empty(self) -> bool:
        return all(x is None for x in (self.pipe_section, self.station, self.building, self.unit))


def _check_photo(photo: UploadedFile[bytes]) -> None:
    if (photo.content_type or "") not in PHOTO_TYPES:
        raise InvalidInput(_("照片格式不支持(请上传JPG/PNG/WEBP/HEIC)"), field="photos")
    if (photo.size or 0) > PHOTO_MAX_BYTES:
        raise InvalidInput(_("照片不能超过5MB"), field="photos")


@transaction.atomic
def finding_record(
    *,
    campaign_area: CampaignArea,
    by: Staff,
    asset_type: str,
    asset: Asset,
    description: str,
    is_fixed_on_spot: bool,
    result: str = "",
    responsible: Staff | None = None,
    due_on: dt.date | None = None,
    photos: Sequence[UploadedFile[bytes]] = (),
    checklist_item: ChecklistItem | None = None,
) -> Finding:
    """A finding on an asset becomes one ledger item: fixed on the spot → completed, else open with
    a responsible person and a due date (第五条.3)."""
    campaign = campaign_area.campaign
    _require_team(by, campaign)
    if asset_type not in AssetType.values:
        raise InvalidInput(_("资产类型无效"), field="asset_type")
    if asset.is_empty:
        raise InvalidInput(_("隐患必须指明资产(管段、换热站、楼栋或单元)"), field="asset")
    building_ids = _area_building_ids(campaign_area)
    if asset.building is not None and asset.building.pk not in building_ids:
        raise InvalidInput(_("楼栋不在本区域内"), field="asset")
    if asset.unit is not None and asset.unit.building_id not in building_ids:
        raise InvalidInput(_("单元不在本区域内"), field="asset")
    description = description.strip()
    if not description:
        raise InvalidInput(_("请描述发现的隐患"), field="description")
    result = result.strip()
    if is_fixed_on_spot and not result:
        raise InvalidInput(_("现场整改须填写整改结果"), field="result")
    if not is_fixed_on_spot:
        if responsible is None:
            raise InvalidInput(_("未现场整改的隐患须指定整改责任人"), field="responsible")
        if due_on is None:
            raise InvalidInput(_("未现场整改的隐患须填写整改期限"), field="due_on")
        if due_on < timezone.localdate():
            raise InvalidInput(_("整改期限不能早于今天"), field="due_on")
    for photo in photos:
        _check_photo(photo)
    now = timezone.now()
    finding = Finding.objects.create(
        campaign_area=campaign_area,
        checklist_item=checklist_item,
        asset_type=asset_type,
        pipe_section=asset.pipe_section,
        station=asset.station,
        building=asset.building
        if asset.building is not None
        else (asset.unit.building if asset.unit else None),
        unit=asset.unit,
        description=description,
        is_fixed_on_spot=is_fixed_on_spot,
        recorded_by=by,
        recorded_at=now,
    )
    for photo in photos:
        Photo.objects.create(finding=finding, image=photo, content_type=photo.content_type or "")
    item = RectificationItem.objects.create(
        campaign=campaign,
        campaign_area=campaign_area,
        finding=finding,
        kind=ItemKind.REPAIR,
        asset_type=asset_type,
        pipe_section=asset.pipe_section,
        description=description,
        status=ItemStatus.COMPLETED if is_fixed_on_spot else ItemStatus.OPEN,
        responsible=by if is_fixed_on_spot else responsible,
        due_on=due_on,
        progress=100 if is_fixed_on_spot else 0,
        result=result if is_fixed_on_spot else "",
        completed_at=now if is_fixed_on_spot else None,
        completed_by=by if is_fixed_on_spot else None,
    )
    audit_record(
        by=by,
        obj=finding,
        action="found",
        extra={"asset": finding.asset_label, "photos": len(photos), "fixed_on_spot": is_fixed_on_spot},
    )
    audit_record(
        by=by,
        obj=item,
        action="completed_on_spot" if is_fixed_on_spot else "opened",
        extra={"responsible": item.responsible_id, "due_on": due_on.isoformat() if due_on else None},
    )
    if not is_fixed_on_spot and responsible is not None:
        notify(
            recipient_id=responsible.pk,
            title=_("新的整改任务:%(text)s") % {"text": description[:40]},
            link=f"/inspections/items/{item.pk}/",
            dedupe_key=f"rectification-assigned:{item.pk}",
        )
    return finding


@transaction.atomic
def finding_photos_add(*, finding: Finding, photos: Sequence[UploadedFile[bytes]], by: Staff) -> list[Photo]:
    """More photos for a finding (taken on the phone after the finding was saved)."""
    _require_team(by, finding.campaign_area.campaign)
    if not photos:
        raise InvalidInput(_("请选择照片"), field="photos")
    for photo in photos:
        _check_photo(photo)
    added = [
        Photo.objects.create(finding=finding, image=p, content_type=p.content_type or "") for p in photos
    ]
    audit_record(by=by, obj=finding, action="photos_added", extra={"photos": [p.pk for p in added]})
    return added


@transaction.atomic
def item_replacement_create(
    *,
    campaign_area: CampaignArea,
    pipe_section: PipeSection,
    by: Staff,
    responsible: Staff | None = None,
    due_on: dt.date | None = None,
) -> RectificationItem:
    """A replacement work item for a leaked pipe. Refused for a pipe the company does not own:
    its owner is notified instead (第五条.2)."""
    _require_team(by, campaign_area.campaign)
    if pipe_section.owner != PipeOwner.COMPANY:
        raise InvalidInput(
            _("管段%(code)s非本公司产权,不能列入更换,请通知产权人") % {"code": pipe_section.code},
            field="pipe_section",
        )
    # One replacement per pipe and campaign (a building area and its community area share pipes).
    existing = RectificationItem.objects.filter(
        campaign=campaign_area.campaign, kind=ItemKind.REPLACEMENT, pipe_section=pipe_section
    ).first()
    if existing is not None:
        return existing
    item = RectificationItem.objects.create(
        campaign=campaign_area.campaign,
        campaign_area=campaign_area,
        kind=ItemKind.REPLACEMENT,
        asset_type=AssetType.NETWORK,
        pipe_section=pipe_section,
        description=_("上季漏水管段更换:%(section)s") % {"section": pipe_section},
        responsible=responsible,
        due_on=due_on,
    )
    audit_record(
        by=by, obj=item, action="opened", extra={"kind": ItemKind.REPLACEMENT, "pipe": pipe_section.code}
    )
    return item


def _require_item_actor(staff: Staff, item: RectificationItem) -> None:
    if item.responsible_id == staff.pk or may_manage(staff) or is_member(staff, item.campaign):
        return
    raise ActionForbidden(_("只有整改责任人、排查队员或管理人员可以操作"))


@transaction.atomic
def item_progress(
    *,
    item: RectificationItem,
    by: Staff,
    progress: int,
    note: str,
    responsible: Staff | None = None,
    due_on: dt.date | None = None,
) -> ProgressUpdate:
    """跟踪督办: a progress update on an open item (optionally re-assigning it or moving its due date)."""
    _require_item_actor(by, item)
    if item.status != ItemStatus.OPEN:
        raise TransitionNotAllowed(item.get_status_display(), _("填报进展"))
    note = note.strip()
    if not note:
        raise InvalidInput(_("请填写进展说明"), field="note")
    if not 0 <= progress <= 99:
        raise InvalidInput(_("进度应在0–99之间(完成请使用“整改完成”)"), field="progress")
    old = {"progress": item.progress, "responsible": item.responsible_id, "due_on": str(item.due_on)}
    now = timezone.now()
    update = ProgressUpdate.objects.create(item=item, at=now, by=by, progress=progress, note=note)
    changes: dict[str, Any] = {"progress": progress, "updated_at": now}
    if responsible is not None:
        changes["responsible"] = responsible
    if due_on is not None:
        changes["due_on"] = due_on
    if item.responsible_id is None and responsible is None:
        raise InvalidInput(_("请指定整改责任人"), field="responsible")
    if item.due_on is None and due_on is None:
        raise InvalidInput(_("请填写整改期限"), field="due_on")
    if RectificationItem.objects.filter(pk=item.pk, status=ItemStatus.OPEN).update(**changes) != 1:
        raise TransitionNotAllowed(item.get_status_display(), _("填报进展"))
    for key, value in changes.items():
        setattr(item, key, value)
    audit_record(
        by=by,
        obj=item,
        action="progress",
        note=note,
        extra={
            "old": old,
            "new": {"progress": progress, "responsible": item.responsible_id, "due_on": str(item.due_on)},
        },
    )
    return update


@transaction.atomic
def item_complete(*, item: RectificationItem, by: Staff, result: str) -> RectificationItem:
    """Close an item: refused without a result (第五条.3)."""
    _require_item_actor(by, item)
    result = result.strip()
    if not result:
        raise InvalidInput(_("整改事项关闭前必须填写整改结果"), field="result")
    now = timezone.now()
    same_row = RectificationItem.objects.filter(pk=item.pk, status=ItemStatus.OPEN)
    if (
        same_row.update(
            status=ItemStatus.COMPLETED,
            result=result,
            progress=100,
            completed_at=now,
            completed_by=by,
            updated_at=now,
        )
        != 1
    ):
        raise TransitionNotAllowed(item.get_status_display(), _("整改完成"))
    ProgressUpdate.objects.create(item=item, at=now, by=by, progress=100, note=result)
    item.status, item.result, item.progress, item.completed_at, item.completed_by = (
        ItemStatus.COMPLETED,
        result,
        100,
        now,
        by,
    )
    audit_record(by=by, obj=item, action="completed", note=result)
    return item


def item_remind(*, item: RectificationItem, today: dt.date) -> bool:
    """One reminder before the due date and one when overdue, each sent once (dedupe keys)."""
    if item.responsible_id is None or item.due_on is None:
        return False
    if item.due_on < today:
        key, title = f"rectification-overdue:{item.pk}", _("整改已超期:%(text)s")
    else:
        key, title = f"rectification-due:{item.pk}", _("整改即将到期(%(due)s):%(text)s")
    message = notify(
        recipient_id=item.responsible_id,
        title=title % {"text": item.description[:40], "due": item.due_on.isoformat()},
        link=f"/inspections/items/{item.pk}/",
        dedupe_key=key,
    )
    if message is None:
        return False
    audit_record(by=None, obj=item, action="reminded", extra={"dedupe_key": key})
    return True
