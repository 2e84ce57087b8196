"""API of the map (mounted by heatline/api.py): /api/v1/map/… answer GeoJSON FeatureCollections (WGS84
numbers, `[lon, lat]`), scoped like the lists. `bbox=west,south,east,north`; a malformed one is a 422."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from heatline.api import current_staff
from heatline.core.errors import NotVisible
from heatline.maps import selectors as s
from heatline.maps.geo import bbox_parse

router = Router(tags=["map"])


def _geojson(data: s.FeatureCollection) -> HttpResponse:
    """The big layers (thousands of points) skip the response model's validation: the selectors build
    exactly FeatureCollectionOut, and one json.dumps of it is several times faster."""
    return HttpResponse(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False), content_type="application/json"
    )


BBOX_HELP = "west,south,east,north (WGS84 degrees), e.g. 127.45,50.20,127.56,50.29"


class FeatureCollectionOut(Schema):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]
    total: int = 0
    clustered: bool = False


class HeatOut(Schema):
    season: str
    start: str
    days: int
    points: list[list[float]]


class RequestFilters(Schema):
    bbox: str | None = Field(None, description=BBOX_HELP, max_length=200)
    status: str = Field("open", max_length=20, description="open, or one status; empty: all")
    kind: str = Field("", max_length=20)
    source: str = Field("", max_length=20)
    district: int | None = Field(None, ge=1, le=2**31 - 1)
    overdue: bool = False
    q: str = Field("", max_length=100)
    limit: int = Field(
        s.DEFAULT_LIMIT, ge=1, le=s.MAX_LIMIT, description="pins answered one by one; past it, clusters"
    )


class BoxIn(Schema):
    bbox: str | None = Field(None, description=BBOX_HELP, max_length=200)


@router.get(
    "/map/requests",
    url_name="map_requests",
    response=FeatureCollectionOut,
    summary="Requests as GeoJSON (pins or clusters)",
)
def map_requests(request: HttpRequest, filters: Query[RequestFilters]) -> HttpResponse:
    return _geojson(
        s.map_requests(
            viewer=current_staff(request),
            bbox=bbox_parse(filters.bbox),
            status=filters.status,
            kind=filters.kind,
            source=filters.source,
            district=filters.district,
            overdue=filters.overdue,
            q=filters.q,
            limit=filters.limit,
        )
    )


@router.get(
    "/map/hazard-areas",
    url_name="map_hazard_areas",
    response=FeatureCollectionOut,
    summary="This season's high-risk areas",
)
def map_hazard_areas(request: HttpRequest, box: Query[BoxIn]) -> s.FeatureCollection:
    return s.map_hazard_areas(viewer=current_staff(request), bbox=bbox_parse(box.bbox))


@router.get(
    "/map/incidents",
    url_name="map_incidents",
    response=FeatureCollectionOut,
    summary="Active incidents with their buildings",
)
def map_incidents(request: HttpRequest, box: Query[BoxIn]) -> s.FeatureCollection:
    return s.map_incidents(viewer=current_staff(request), bbox=bbox_parse(box.bbox))


@router.get(
    "/map/watchlist",
    url_name="map_watchlist",
    response=FeatureCollectionOut,
    summary="This season's watch list: visited / to visit",
)
def map_watchlist(request: HttpRequest, box: Query[BoxIn]) -> s.FeatureCollection:
    return s.map_watchlist(viewer=current_staff(request), bbox=bbox_parse(box.bbox))


@router.get(
    "/map/pipes", url_name="map_pipes", response=FeatureCollectionOut, summary="Pipe sections as lines"
)
def map_pipes(request: HttpRequest, box: Query[BoxIn]) -> s.FeatureCollection:
    return s.map_pipes(viewer=current_staff(request), bbox=bbox_parse(box.bbox))


@router.get(
    "/map/buildings",
    url_name="map_buildings",
    response=FeatureCollectionOut,
    summary="The utility's buildings (the base map)",
)
def map_buildings(request: HttpRequest, box: Query[BoxIn]) -> HttpResponse:
    return _geojson(s.map_buildings(viewer=current_staff(request), bbox=bbox_parse(box.bbox)))


@router.get(
    "/map/crews",
    url_name="map_crews",
    response=FeatureCollectionOut,
    summary="Field staff's last known positions (24 h)",
)
def map_crews(request: HttpRequest) -> s.FeatureCollection:
    return s.map_crews(viewer=current_staff(request))


class HeatIn(Schema):
    season: int | None = Field(None, ge=2000, le=2100)


@router.get(
    "/map/heat",
    url_name="map_heat",
    response=HeatOut,
    summary="The season's requests by building and day (heat map)",
)
def map_heat(request: HttpRequest, params: Query[HeatIn]) -> s.HeatLayer:
    layer = s.map_heat(viewer=current_staff(request), season_year=params.season)
    if layer is None:
        raise NotVisible()
    return layer
