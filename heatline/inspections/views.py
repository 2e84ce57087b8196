"""HTMX pages of 第五条: high-risk areas, the campaign, the phone-size inspection screen, the ledger."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import DomainError, InvalidInput, NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.seasons import season_current, season_get
from heatline.inspections.export import ledger_workbook
from heatline.inspections.models import (
    AssetType,
    CheckKind,
    ItemStatus,
    MemberKind,
    Photo,
    ProgressUpdate,
)
from heatline.inspections.selectors import (
    Progress,
    area_requests,
    campaign_area_get_visible,
    campaign_area_list_visible,
    campaign_get_visible,
    campaign_list_visible,
    campaign_progress,
    checklist_of,
    hazard_area_get_visible,
    hazard_area_list_visible,
    item_get_visible,
    item_list_visible,
    seasons_all,
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
    may_manage,
    notice_record,
)
from heatline.registry.models import (
    Building,
    Community,
    Household,
    PipeSection,
    Role,
    Staff,
    Station,
    Unit,
)
from heatline.registry.scoping import mask_phone, sees_personal_data

View = Callable[..., HttpResponseBase]


def staff_view(function: View) -> View:
    """Signed-in staff only; objects outside the viewer's reach are a 404."""

    @login_required
    @wraps(function)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return function(request, *args, **kwargs)
        except NotVisible as error:
            raise Http404(error.message) from error

    return wrapper


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(request.POST.get("next") or fallback)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _pk(value: str | None) -> int:
    """A posted id; 0 (never a row) when missing or malformed."""
    return _int(value) or 0


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(_("日期格式无效"), field=field) from error


def _season_from(request: HttpRequest) -> HeatingSeason | None:
    year = _int(request.GET.get("season"))
    if year is not None:
        return season_get(year)
    current = season_current()
    return current


@staff_view
def index(request: HttpRequest) -> HttpResponse:
    """High-risk areas of a season (explained) and the campaigns."""
    staff = _staff(request)
    season = _season_from(request)
    areas = list(hazard_area_list_visible(viewer=staff, season=season)) if season else []
    campaigns = list(campaign_list_visible(viewer=staff))
    return render(
        request,
        "inspections/index.html",
        {
            "season": season,
            "seasons": seasons_all(),
            "areas": areas,
            "campaigns": campaigns,
            "may_manage": may_manage(staff),
            "communities": Community.objects.order_by("code") if may_manage(staff) else [],
        },
    )


@staff_view
@require_POST
def detect(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    season = season_get(_int(request.POST.get("season")) or 0)
    if season is None:
        messages.error(request, _("请选择采暖期"))
        return redirect("inspections:index")
    try:
        areas = hazard_detect(season=season, by=staff)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已判定高风险区域 %(n)d 个") % {"n": len(areas)})
    return redirect(f"{reverse('inspections:index')}?season={season.year}")


@staff_view
@require_POST
def area_add(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    season = season_get(_int(request.POST.get("season")) or 0)
    community = Community.objects.filter(pk=_pk(request.POST.get("community"))).first()
    building_number = (request.POST.get("building") or "").strip()
    try:
        if season is None or community is None:
            raise InvalidInput(_("请选择采暖期和小区"))
        building = None
        if building_number:
            building = Building.objects.filter(community=community, number=building_number).first()
            if building is None:
                raise InvalidInput(_("该小区没有此楼号"), field="building")
        area = hazard_area_add(
            season=season,
            community=community,
            building=building,
            reason=request.POST.get("reason", ""),
            by=staff,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inspections:index")
    messages.success(request, _("已添加高风险区域:%(name)s") % {"name": area.name})
    return redirect("inspections:area", pk=area.pk)


@staff_view
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Why an area is high-risk: its households, requests and causes."""
    staff = _staff(request)
    area = hazard_area_get_visible(viewer=staff, pk=pk)
    requests = list(area_requests(area)[:2000])
    show_personal = sees_personal_data(staff)
    households: dict[int, dict[str, Any]] = {}
    for service_request in requests:
        household = service_request.household
        assert household is not None
        row = households.setdefault(
            household.pk,
            {
                "household": household,
                "phone": household.phone if show_personal else mask_phone(household.phone),
                "requests": 0,
            },
        )
        row["requests"] += 1
    return render(
        request,
        "inspections/area.html",
        {"area": area, "requests": requests, "households": list(households.values())},
    )


@staff_view
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Create the season's campaign with its team; the ledger is generated from the high-risk areas."""
    staff = _staff(request)
    if not may_manage(staff):
        raise Http404()
    candidates = Staff.objects.filter(is_active=True).order_by("role", "username")
    if request.method == "POST":
        season = season_get(_int(request.POST.get("season")) or 0)
        team = [
            TeamMember(person, MemberKind.COMPANY_STAFF)
            for person in candidates.filter(pk__in=request.POST.getlist("company_staff"))
        ] + [
            TeamMember(person, MemberKind.STATION_TECHNICIAN)
            for person in candidates.filter(pk__in=request.POST.getlist("technicians"))
        ]
        try:
            if season is None:
                raise InvalidInput(_("请选择采暖期"), field="season")
            starts_on = _date(request.POST.get("starts_on"), "starts_on")
            campaign = campaign_create(
                season=season, team=team, by=staff, name=request.POST.get("name", ""), starts_on=starts_on
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已创建隐患排查并生成排查台账"))
            return redirect("inspections:campaign", pk=campaign.pk)
    return render(
        request,
        "inspections/campaign_new.html",
        {
            "seasons": seasons_all(),
            "company_staff": [p for p in candidates if p.role != Role.INSPECTOR],
            "technicians": [p for p in candidates if p.role == Role.INSPECTOR],
        },
    )


@staff_view
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    campaign = campaign_get_visible(viewer=staff, pk=pk)
    progress = campaign_progress(campaign=campaign)
    areas = [
        (area, progress.by_area.get(area.pk, Progress()))
        for area in campaign_area_list_visible(viewer=staff, campaign=campaign)
    ]
    return render(
        request,
        "inspections/campaign.html",
        {
            "campaign": campaign,
            "progress": progress.total,
            "areas": areas,
            "members": campaign.members.select_related("staff"),
            "may_manage": may_manage(staff),
        },
    )


@staff_view
@require_POST
def campaign_finish(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    campaign = campaign_get_visible(viewer=staff, pk=pk)
    try:
        campaign_close(campaign=campaign, by=staff)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("排查已结束,未完成的整改事项继续跟踪"))
    return redirect("inspections:campaign", pk=campaign.pk)


@staff_view
def campaign_area(request: HttpRequest, pk: int) -> HttpResponse:
    """The inspector's phone-size screen: checklist per asset type, notices, findings with photos."""
    staff = _staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=pk)
    checklist = list(checklist_of(area))
    groups = [(label, [c for c in checklist if c.asset_type == value]) for value, label in AssetType.choices]
    hazard = area.hazard_area
    buildings = (
        [hazard.building]
        if hazard.building is not None
        else list(Building.objects.filter(community_id=hazard.community_id).select_related("community"))
    )
    return render(
        request,
        "inspections/campaign_area.html",
        {
            "area": area,
            "groups": groups,
            "buildings": buildings,
            "units": Unit.objects.filter(building__in=buildings).select_related("building__community"),
            "sections": PipeSection.objects.filter(buildings__in=buildings).distinct(),
            "stations": Station.objects.filter(buildings__in=buildings).distinct(),
            "notices": area.notices.select_related("by", "household", "pipe_section", "building__community"),
            "items": item_list_visible(viewer=staff, campaign_area=area).prefetch_related("finding__photos"),
            "responsibles": Staff.objects.filter(is_active=True)
            .exclude(role=Role.MANAGER)
            .order_by("username"),
            "asset_types": AssetType.choices,
            "today": timezone.localdate(),
            "gauge": CheckKind.PRESSURE_GAUGES,
            "parts": CheckKind.PARTS_REPLACED,
        },
    )


@staff_view
@require_POST
def check_record(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    staff = _staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=pk)
    item = area.checklist.filter(pk=item_pk).select_related("campaign_area__campaign").first()
    if item is None:
        raise Http404()
    verdict = request.POST.get("is_ok")
    try:
        checklist_record(
            item=item,
            by=staff,
            is_ok={"1": True, "0": False}.get(verdict or ""),
            result=request.POST.get("result", ""),
            supply_pressure=request.POST.get("supply_pressure"),
            return_pressure=request.POST.get("return_pressure"),
            part_replaced=request.POST.get("part_replaced", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录:%(item)s") % {"item": item.get_kind_display()})
    return redirect(f"{reverse('inspections:campaign_area', args=[area.pk])}#check-{item.pk}")


@staff_view
@require_POST
def notice_add(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=pk)
    household = None
    account = (request.POST.get("household") or "").strip()
    try:
        if account:
            household = Household.objects.filter(account_number=account).select_related("building").first()
            if household is None:
                raise InvalidInput(_("户号不存在"), field="household")
        notice_record(
            campaign_area=area,
            kind=request.POST.get("kind", ""),
            by=staff,
            pipe_section=PipeSection.objects.filter(pk=_pk(request.POST.get("pipe_section"))).first(),
            building=Building.objects.select_related("community__street")
            .filter(pk=_pk(request.POST.get("building")))
            .first(),
            household=household,
            recipient=request.POST.get("recipient", ""),
            channel=request.POST.get("channel", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("通知已记录"))
    return redirect(f"{reverse('inspections:campaign_area', args=[area.pk])}#notices")


@staff_view
@require_POST
def finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    area = campaign_area_get_visible(viewer=staff, pk=pk)
    post = request.POST
    try:
        responsible = Staff.objects.filter(pk=_pk(post.get("responsible")), is_active=True).first()
        finding_record(
            campaign_area=area,
            by=staff,
            asset_type=post.get("asset_type", ""),
            asset=Asset(
                pipe_section=PipeSection.objects.filter(pk=_pk(post.get("pipe_section"))).first(),
                station=Station.objects.filter(pk=_pk(post.get("station"))).first(),
                building=Building.objects.filter(pk=_pk(post.get("building"))).first(),
                unit=Unit.objects.select_related("building").filter(pk=_pk(post.get("unit"))).first(),
            ),
            description=post.get("description", ""),
            is_fixed_on_spot=post.get("fixed") == "1",
            result=post.get("result", ""),
            responsible=responsible,
            due_on=_date(post.get("due_on"), "due_on"),
            photos=request.FILES.getlist("photos"),
            checklist_item=area.checklist.filter(pk=_pk(post.get("checklist_item"))).first(),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("隐患已记录并列入整改台账"))
    return redirect(f"{reverse('inspections:campaign_area', args=[area.pk])}#findings")


def _ledger_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "status": request.GET.get("status") if request.GET.get("status") in ItemStatus.values else "",
        "is_overdue": request.GET.get("overdue") == "1",
        "mine": request.GET.get("mine") == "1",
    }


@staff_view
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """The rectification ledger of a campaign; overdue items stand out."""
    staff = _staff(request)
    campaign = campaign_get_visible(viewer=staff, pk=pk)
    filters = _ledger_filters(request)
    items = item_list_visible(viewer=staff, campaign=campaign, **filters)[:500]
    return render(
        request,
        "inspections/ledger.html",
        {
            "campaign": campaign,
            "items": items,
            "filters": filters,
            "today": timezone.localdate(),
            "progress": campaign_progress(campaign=campaign).total,
        },
    )


@staff_view
def ledger_export(request: HttpRequest, pk: int) -> HttpResponse:
    """隐患整改台账 as .xlsx, in ledger form."""
    staff = _staff(request)
    campaign = campaign_get_visible(viewer=staff, pk=pk)
    items = list(item_list_visible(viewer=staff, campaign=campaign, **_ledger_filters(request)))
    content = ledger_workbook(campaign=campaign, items=items, today=timezone.localdate())
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="rectification-{campaign.season.year}.xlsx"'
    return response


@staff_view
def my_items(request: HttpRequest) -> HttpResponse:
    """Items where I am the responsible person (across campaigns)."""
    staff = _staff(request)
    items = item_list_visible(viewer=staff, mine=True, status=ItemStatus.OPEN)[:500]
    return render(request, "inspections/my_items.html", {"items": items, "today": timezone.localdate()})


@staff_view
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    item = item_get_visible(viewer=staff, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "complete":
                item_complete(item=item, by=staff, result=request.POST.get("result", ""))
                messages.success(request, _("整改事项已完成"))
            else:
                progress = _int(request.POST.get("progress"))
                if progress is None:
                    raise InvalidInput(_("请填写进度"), field="progress")
                item_progress(
                    item=item,
                    by=staff,
                    progress=progress,
                    note=request.POST.get("note", ""),
                    responsible=Staff.objects.filter(
                        pk=_pk(request.POST.get("responsible")), is_active=True
                    ).first(),
                    due_on=_date(request.POST.get("due_on"), "due_on"),
                )
                messages.success(request, _("进展已记录"))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("inspections:item", pk=item.pk)
    updates = ProgressUpdate.objects.filter(item=item).select_related("by")
    photos = list(item.finding.photos.all()) if item.finding else []
    return render(
        request,
        "inspections/item.html",
        {
            "item": item,
            "updates": updates,
            "photos": photos,
            "today": timezone.localdate(),
            "responsibles": Staff.objects.filter(is_active=True)
            .exclude(role=Role.MANAGER)
            .order_by("username"),
        },
    )


@staff_view
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A finding's photo, served only to those who may see its area."""
    staff = _staff(request)
    row = Photo.objects.select_related("finding").filter(pk=pk).first()
    if row is None:
        raise Http404()
    campaign_area_get_visible(viewer=staff, pk=row.finding.campaign_area_id)
    return FileResponse(row.image.open("rb"), content_type=row.content_type)
