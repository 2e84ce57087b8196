"""The map page: one Leaflet map with layers, its data fetched from /api/v1/map/… (scoped there)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from heatline.core.seasons import season_current
from heatline.registry.models import Building, District, Role, Staff
from heatline.registry.scoping import scope_by_district, visible_district_ids
from heatline.requests.models import Kind, Status

# Heihe (黑河), where the demo utility lies: the view when nothing is geocoded yet.
DEFAULT_CENTER = (127.50, 50.25)


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def map_config(viewer: Staff) -> dict[str, Any]:
    """What the page's script needs: the base map setting, the extent of the viewer's buildings, the API."""
    extent = _in_scope_extent(viewer)
    return {
        "tiles": {
            "url": settings.HEATLINE_MAP_TILE_URL,
            "attribution": settings.HEATLINE_MAP_TILE_ATTRIBUTION,
            "subdomains": settings.HEATLINE_MAP_TILE_SUBDOMAINS,
            "datum": settings.HEATLINE_MAP_TILE_DATUM,
        },
        "extent": extent,
        "center": [DEFAULT_CENTER[1], DEFAULT_CENTER[0]],
        "api": {
            name: reverse(f"api:map_{name}")
            for name in (
                "requests",
                "heat",
                "watchlist",
                "hazard_areas",
                "incidents",
                "pipes",
                "buildings",
                "crews",
            )
        },
        "labels": {
            "late": _("已超时"),
            "soon": _("30分钟内到期"),
            "ok": _("时限内"),
            "none": _("无时限"),
            "emergency": _("紧急"),
            "routine": _("常规"),
            "requests": _("件"),
            "visited": _("已上门"),
            "to_visit": _("待上门"),
            "households": _("户"),
            "buildings": _("栋"),
            "open": _("打开"),
            "season": _("全季"),
            "company": _("本公司管段"),
            "not_company": _("非本公司管段"),
            "picked": _("已选楼栋"),
            "inside": _("范围内"),
            "draw_hint": _("在地图上依次点击顶点,双击结束"),
        },
    }


def _in_scope_extent(viewer: Staff) -> list[list[float]] | None:
    box = scope_by_district(Building.objects.filter(lat__isnull=False, lon__isnull=False), viewer).aggregate(
        west=Min("lon"), east=Max("lon"), south=Min("lat"), north=Max("lat"), lat=Avg("lat")
    )
    if box["west"] is None:
        return None
    return [[box["south"], box["west"]], [box["north"], box["east"]]]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    ids = visible_district_ids(viewer)
    districts = District.objects.order_by("code") if ids is None else District.objects.filter(pk__in=ids)
    season = season_current()
    return render(
        request,
        "maps/map.html",
        {
            "config": map_config(viewer),
            "districts": list(districts) if ids is None or len(ids) > 1 else [],
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "season": season,
            "shows_crews": viewer.is_superuser or viewer.role != Role.WORKER,
        },
    )
