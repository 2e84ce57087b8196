"""API of 第五条 (mounted by heatline/api.py): high-risk areas, campaigns, checklists, findings, the ledger."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja import Status as HttpStatus
from ninja.files import UploadedFile

from heatline.api import current_staff
from heatline.core.errors import InvalidInput, NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_get
from heatline.inspections import schemas as s
from heatline.inspections.models import (
    Campaign,
    ChecklistItem,
    HazardArea,
    Notice,
    RectificationItem,
)
from heatline.inspections.selectors import (
    Progress,
    campaign_area_get_visible,
    campaign_get_visible,
    campaign_list_visible,
    campaign_progress,
    checklist_of,
    hazard_area_get_visible,
    hazard_area_list_visible,
    item_get_visible,
    item_list_visible,
    requests_by_area,
)
from heatline.inspections.services import (
    Asset,
    TeamMember,
    campaign_close,
    campaign_create,
    checklist_record,
    finding_record,
    hazard_area_add,
    hazard_detect,
    item_complete,
    item_progress,
    item_replacement_create,
    notice_record,
)
from heatline.registry.models import Building, Community, Household, PipeSection, Staff, Station, Unit

router = Router(tags=["inspections"])


def _season(year: int) -> HeatingSeason:
    season = season_get(year)
    if season is None:
        raise InvalidInput(_("没有该采暖期:%(year)s") % {"year": year}, field="season")
    return season


def _area_out(area: HazardArea, numbers: list[str]) -> s.HazardAreaOut:
    return s.HazardAreaOut(
        id=area.pk,
        season=area.season.year,
        level=area.level,  # type: ignore[arg-type]
        name=area.name,
        community_id=area.community_id,
        building_id=area.building_id,
        district_id=area.district_id,
        households=area.households,
        request_count=area.request_count,
        causes=[s.CauseSeasonsOut(**cause) for cause in area.evidence.get("causes", [])],
        requests=numbers,
        is_detected=area.is_detected,
        is_manual=area.is_manual,
        reason=area.reason,
    )


def _staff(pk: int | None, field: str) -> Staff | None:
    if pk is None:
        return None
    staff = Staff.objects.filter(pk=pk, is_active=True).first()
    if staff is None:
        raise InvalidInput(_("人员不存在"), field=field)
    return staff


@router.get("/hazard-areas", response=list[s.HazardAreaOut])
def list_hazard_areas(request: HttpRequest, season: int) -> list[s.HazardAreaOut]:
    """第五条.1: the season's high-risk areas with the households, causes and requests behind them."""
    staff = current_staff(request)
    areas = list(hazard_area_list_visible(viewer=staff, season=_season(season)))
    numbers = requests_by_area(areas)
    return [_area_out(area, numbers[area.pk]) for area in areas]


@router.get("/hazard-areas/{int:area_id}", response=s.HazardAreaOut)
def get_hazard_area(request: HttpRequest, area_id: int) -> s.HazardAreaOut:
    area = hazard_area_get_visible(viewer=current_staff(request), pk=area_id)
    return _area_out(area, requests_by_area([area])[area.pk])


@router.post("/hazard-areas", response={201: s.HazardAreaOut})
def post_hazard_area(request: HttpRequest, body: s.HazardAreaIn) -> HttpStatus[s.HazardAreaOut]:
    """Add an area by hand, with a reason."""
    staff = current_staff(request)
    community = Community.objects.filter(pk=body.community_id).first()
    if community is None:
        raise InvalidInput(_("小区不存在"), field="community_id")
    building = None
    if body.building_id is not None:
        building = Building.objects.filter(pk=body.building_id).first()
        if building is None:
            raise InvalidInput(_("楼栋不存在"), field="building_id")
    area = hazard_area_add(
        season=_season(body.season), community=community, building=building, reason=body.reason, by=staff
    )
    return HttpStatus(201, _area_out(area, requests_by_area([area])[area.pk]))


@router.post("/hazard-areas/detect", response=list[s.HazardAreaOut])
def post_detect(request: HttpRequest, body: s.DetectIn) -> list[s.HazardAreaOut]:
    """Recompute the season's areas (the same as `heatline hazard-areas SEASON`)."""
    staff = current_staff(request)
    areas = hazard_detect(season=_season(body.season), by=staff)
    visible = list(hazard_area_list_visible(viewer=staff).filter(pk__in=[a.pk for a in areas]))
    numbers = requests_by_area(visible)
    return [_area_out(area, numbers[area.pk]) for area in visible]


def _progress_out(progress: Progress) -> s.ProgressOut:
    return s.ProgressOut(
        items=progress.items,
        completed=progress.completed,
        open=progress.open,
        overdue=progress.overdue,
        checks=progress.checks,
        checks_done=progress.checks_done,
        percent=progress.percent,
    )


def _campaign_out(campaign: Campaign, staff: Staff) -> s.CampaignOut:
    from heatline.inspections.selectors import campaign_area_list_visible

    progress = campaign_progress(campaign=campaign)
    areas = campaign_area_list_visible(viewer=staff, campaign=campaign)
    return s.CampaignOut(
        id=campaign.pk,
        season=campaign.season.year,
        name=campaign.name,
        status=campaign.status,
        starts_on=campaign.starts_on,
        team=[
            {"staff_id": m.staff_id, "name": str(m.staff), "kind": m.kind}
            for m in campaign.members.select_related("staff")
        ],
        progress=_progress_out(progress.total),
        areas=[
            s.CampaignAreaOut(
                id=area.pk,
                hazard_area_id=area.hazard_area_id,
                name=area.hazard_area.name,
                level=area.hazard_area.level,
                progress=_progress_out(progress.by_area.get(area.pk, Progress())),
            )
            for area in areas
        ],
    )


@router.get("/campaigns", response=list[s.CampaignOut])
def list_campaigns(request: HttpRequest) -> list[s.CampaignOut]:
    staff = current_staff(request)
    return [_campaign_out(c, staff) for c in campaign_list_visible(viewer=staff)[:50]]


@router.get("/campaigns/{campaign_id}", response=s.CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> s.CampaignOut:
    staff = current_staff(request)
    return _campaign_out(campaign_get_visible(viewer=staff, pk=campaign_id), staff)


@router.post("/campaigns", response={201: s.CampaignOut})
def post_campaign(request: HttpRequest, body: s.CampaignIn) -> HttpStatus[s.CampaignOut]:
    """第五条.2: create the season's campaign; its ledger is generated from the high-risk areas."""
    staff = current_staff(request)
    season = _season(body.season)
    team = []
    for member in body.team:
        person = _staff(member.staff_id, "team")
        assert person is not None
        team.append(TeamMember(person, member.kind))
    areas = None
    if body.area_ids is not None:
        areas = list(HazardArea.objects.filter(pk__in=body.area_ids, season=season))
        if len(areas) != len(set(body.area_ids)):
            raise InvalidInput(_("区域不属于该采暖期"), field="area_ids")
    campaign = campaign_create(
        season=season, team=team, by=staff, name=body.name, starts_on=body.starts_on, areas=areas
    )
    return HttpStatus(201, _campaign_out(campaign, staff))


@router.post("/campaigns/{campaign_id}/close", response=s.CampaignOut)
def post_campaign_close(request: HttpRequest, campaign_id: int) -> s.CampaignOut:
    """Finish the inspection once every checklist line is checked; open items stay on the ledger."""
    staff = current_staff(request)
    campaign = campaign_close(campaign=campaign_get_visible(viewer=staff, pk=campaign_id), by=staff)
    return _campaign_out(campaign, staff)


def _check_out(item: ChecklistItem) -> s.ChecklistItemOut:
    return s.ChecklistItemOut(
        id=item.pk,
        asset_type=item.asset_type,
        kind=item.kind,
        label=item.get_kind_display(),
        asset=item.asset_label,
        pipe_section_id=item.pipe_section_id,
        station_id=item.station_id,
        building_id=item.building_id,
        unit_id=item.unit_id,
        status=item.status,
        is_ok=item.is_ok,
        result=item.result,
        supply_pressure=item.supply_pressure,
        return_pressure=item.return_pressure,
        part_replaced=item.part_replaced,
        notices=len(item.notices.all()),
    )


@router.get("/campaign-areas/{area_id}/checklist", response=list[s.ChecklistItemOut])
def get_checklist(request: HttpRequest, area_id: int) -> list[s.ChecklistItemOut]:
    area = campaign_area_get_visible(viewer=current_staff(request), pk=area_id)
    return [_check_out(item) for item in checklist_of(area)]


@router.post("/checklist-items/{item_id}", response=s.ChecklistItemOut)
def post_check(request: HttpRequest, item_id: int, body: s.CheckIn) -> s.ChecklistItemOut:
    staff = current_staff(request)
    item = ChecklistItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotVisible()
    campaign_area_get_visible(viewer=staff, pk=item.campaign_area_id)
    checklist_record(
        item=item,
        by=staff,
        is_ok=body.is_ok,
        result=body.result,
        supply_pressure=body.supply_pressure,
        return_pressure=body.return_pressure,
        part_replaced=body.part_replaced,
    )
    return _check_out(checklist_of(item.campaign_area).get(pk=item.pk))


@router.post("/campaign-areas/{area_id}/notices", response={201: s.NoticeOut})
def post_notice(request: HttpRequest, area_id: int, body: s.NoticeIn) -> HttpStatus[Notice]:
    staff = current_staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=area_id)
    notice = notice_record(
        campaign_area=area,
        kind=body.kind,
        by=staff,
        pipe_section=PipeSection.objects.filter(pk=body.pipe_section_id).first()
        if body.pipe_section_id
        else None,
        building=Building.objects.select_related("community__street").filter(pk=body.building_id).first()
        if body.building_id
        else None,
        household=Household.objects.filter(pk=body.household_id).first() if body.household_id else None,
        recipient=body.recipient,
        channel=body.channel,
        note=body.note,
    )
    return HttpStatus(201, notice)


def _item_out(item: RectificationItem) -> s.ItemOut:
    today = timezone.localdate()
    photos = (
        [reverse("inspections:photo", args=[p.pk]) for p in item.finding.photos.all()] if item.finding else []
    )
    return s.ItemOut(
        id=item.pk,
        campaign_id=item.campaign_id,
        campaign_area_id=item.campaign_area_id,
        area=item.campaign_area.hazard_area.name,
        kind=item.kind,
        asset_type=item.asset_type,
        asset=item.asset_label,
        description=item.description,
        status=item.status,
        responsible_id=item.responsible_id,
        responsible=str(item.responsible) if item.responsible else "",
        due_on=item.due_on,
        is_overdue=item.is_overdue_on(today),
        progress=item.progress,
        result=item.result,
        completed_at=item.completed_at,
        finding_id=item.finding.pk if item.finding else None,
        photos=photos,
    )


@router.post("/campaign-areas/{area_id}/findings", response={201: s.ItemOut})
def post_finding(request: HttpRequest, area_id: int, body: s.FindingIn) -> HttpStatus[s.ItemOut]:
    """A finding on an asset; it becomes one rectification item (photos: POST …/findings/{id}/photos)."""
    staff = current_staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=area_id)
    asset = Asset(
        pipe_section=PipeSection.objects.filter(pk=body.pipe_section_id).first()
        if body.pipe_section_id
        else None,
        station=Station.objects.filter(pk=body.station_id).first() if body.station_id else None,
        building=Building.objects.filter(pk=body.building_id).first() if body.building_id else None,
        unit=Unit.objects.select_related("building").filter(pk=body.unit_id).first()
        if body.unit_id
        else None,
    )
    checklist_item = None
    if body.checklist_item_id is not None:
        checklist_item = area.checklist.filter(pk=body.checklist_item_id).first()
        if checklist_item is None:
            raise InvalidInput(_("检查项不属于该区域"), field="checklist_item_id")
    finding = finding_record(
        campaign_area=area,
        by=staff,
        asset_type=body.asset_type,
        asset=asset,
        description=body.description,
        is_fixed_on_spot=body.is_fixed_on_spot,
        result=body.result,
        responsible=_staff(body.responsible_id, "responsible_id"),
        due_on=body.due_on,
        checklist_item=checklist_item,
    )
    return HttpStatus(201, _item_out(item_get_visible(viewer=staff, pk=finding.item.pk)))


@router.post("/findings/{finding_id}/photos", response={201: s.ItemOut})
def post_photos(
    request: HttpRequest,
    finding_id: int,
    photos: list[UploadedFile] = File(...),  # type: ignore[type-arg]  # noqa: B008
) -> HttpStatus[s.ItemOut]:
    from heatline.inspections.services import finding_photos_add

    staff = current_staff(request)
    item = item_list_visible(viewer=staff).filter(finding_id=finding_id).first()
    if item is None or item.finding is None:
        raise NotVisible()
    finding_photos_add(finding=item.finding, photos=photos, by=staff)
    return HttpStatus(201, _item_out(item_get_visible(viewer=staff, pk=item.pk)))


@router.post("/campaign-areas/{area_id}/replacements", response={201: s.ItemOut})
def post_replacement(request: HttpRequest, area_id: int, body: s.ReplacementIn) -> HttpStatus[s.ItemOut]:
    """A replacement work item for a company-owned pipe; refused (422) for anyone else's pipe."""
    staff = current_staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=area_id)
    section = get_object_or_404(PipeSection, pk=body.pipe_section_id)
    item = item_replacement_create(
        campaign_area=area,
        pipe_section=section,
        by=staff,
        responsible=_staff(body.responsible_id, "responsible_id"),
        due_on=body.due_on,
    )
    return HttpStatus(201, _item_out(item_get_visible(viewer=staff, pk=item.pk)))


@router.get("/rectification-items", response=list[s.ItemOut])
def list_items(request: HttpRequest, filters: Query[s.ItemFilter]) -> list[s.ItemOut]:
    """The rectification ledger; `overdue=true` keeps open items past their due date."""
    staff = current_staff(request)
    campaign = campaign_get_visible(viewer=staff, pk=filters.campaign) if filters.campaign else None
    area = campaign_area_get_visible(viewer=staff, pk=filters.area) if filters.area else None
    items = item_list_visible(
        viewer=staff,
        campaign=campaign,
        campaign_area=area,
        status=filters.status or "",
        is_overdue=filters.overdue,
        mine=filters.mine,
    ).prefetch_related("finding__photos")[:1000]
    return [_item_out(item) for item in items]


@router.get("/rectification-items/{item_id}", response=s.ItemOut)
def get_item(request: HttpRequest, item_id: int) -> s.ItemOut:
    return _item_out(item_get_visible(viewer=current_staff(request), pk=item_id))


@router.post("/rectification-items/{item_id}/progress", response=s.ItemOut)
def post_progress(request: HttpRequest, item_id: int, body: s.ProgressIn) -> s.ItemOut:
    staff = current_staff(request)
    item = item_get_visible(viewer=staff, pk=item_id)
    item_progress(
        item=item,
        by=staff,
        progress=body.progress,
        note=body.note,
        responsible=_staff(body.responsible_id, "responsible_id"),
        due_on=body.due_on,
    )
    return _item_out(item_get_visible(viewer=staff, pk=item_id))


@router.post("/rectification-items/{item_id}/complete", response=s.ItemOut)
def post_complete(request: HttpRequest, item_id: int, body: s.CompleteIn) -> s.ItemOut:
    """Close an item; refused (422) without a result."""
    staff = current_staff(request)
    item = item_get_visible(viewer=staff, pk=item_id)
    item_complete(item=item, by=staff, result=body.result)
    return _item_out(item_get_visible(viewer=staff, pk=item_id))
