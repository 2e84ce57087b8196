"""What the map shows, as GeoJSON, scoped like the lists: a district's staff see their district's rows only.

Coordinates are WGS84 numbers `[lon, lat]` (RFC 7946). Requests take their building's point (a join on the
indexed `building(lat, lon)`: the open requests of one box come from one index range scan, and a building
moved in admin moves its pins at once, nothing to keep in step). When a box holds more than `limit` pins
the answer is clustered on the server: one feature a grid cell, with its count and how many are
emergencies or late, so a city view never ships 30,000 points to the browser.
"""

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any, Final, TypedDict, cast

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.seasons import season_bounds, season_current
from heatline.incidents.models import ACTIVE_STATUSES, IncidentBuilding
from heatline.incidents.selectors import incidents_visible
from heatline.inspections.selectors import hazard_area_list_visible
from heatline.maps.geo import BBox
from heatline.proactive.models import EntryStatus, WatchEntry
from heatline.registry.models import Building, PipeOwner, PipeSection, Role, Staff
from heatline.registry.scoping import scope_by_district, sees_personal_data, visible_district_ids
from heatline.requests.models import Action, Kind, RequestEvent, ServiceRequest
from heatline.requests.selectors import request_list_visible

DEFAULT_LIMIT: Final = 1500  # pins a box answers one by one; past it, grid clusters (more is unreadable)
MAX_LIMIT: Final = 10000
CLUSTER_CELLS: Final = 16  # grid cells across the box's wider side (~60 px each on a screen's map)
WIDE_BOX: Final = 0.03  # degrees (~2 km): a box this wide is counted per building first
SOON: Final = dt.timedelta(minutes=30)  # a clock due within this is drawn amber
FIELD_ACTIONS: Final = (Action.CONTACT, Action.ARRIVE, Action.COMPLETE)
CREW_ROLES: Final = (Role.CREW, Role.WORKER, Role.DISTRICT)
CREW_WINDOW: Final = dt.timedelta(hours=24)  # a position older than this is no longer "where the crew is"


class FeatureCollection(TypedDict, total=False):
    type: str
    features: list[dict[str, Any]]
    total: int
    clustered: bool


def _point(lon: float | None, lat: float | None) -> dict[str, Any]:
    """Rows reach here filtered to located ones (`_in_box`)."""
    assert lon is not None and lat is not None
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(features: list[dict[str, Any]], **members: Any) -> FeatureCollection:
    result: FeatureCollection = {"type": "FeatureCollection", "features": features}
    result.update(members)  # type: ignore[typeddict-item]
    return result


def _in_box(queryset: QuerySet[Any], bbox: BBox | None, prefix: str = "") -> QuerySet[Any]:
    located = queryset.filter(**{f"{prefix}lat__isnull": False, f"{prefix}lon__isnull": False})
    if bbox is None:
        return located
    return located.filter(
        **{
            f"{prefix}lat__gte": bbox.south,
            f"{prefix}lat__lte": bbox.north,
            f"{prefix}lon__gte": bbox.west,
            f"{prefix}lon__lte": bbox.east,
        }
    )


def clock_state(next_due_at: dt.datetime | None, now: dt.datetime) -> str:
    """late (past due), soon (due within 30 min), ok (running), none (no clock running)."""
    if next_due_at is None:
        return "none"
    if next_due_at < now:
        return "late"
    if next_due_at < now + SOON:
        return "soon"
    return "ok"


def _building_label(community: str, number: str) -> str:
    return _("%(community)s%(number)s号楼") % {"community": community, "number": number}


def map_requests(
    *,
    viewer: Staff,
    bbox: BBox | None,
    status: str = "open",
    kind: str = "",
    source: str = "",
    district: int | None = None,
    overdue: bool = False,
    q: str = "",
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
) -> FeatureCollection:
    """Requests at their building's point, with the list page's filters; clustered past `limit`."""
    now = now or timezone.now()
    limit = max(1, min(limit, MAX_LIMIT))
    queryset = request_list_visible(
        viewer=viewer,
        status=status,
        kind=kind,
        source=source,
        district=district,
        overdue=overdue,
        q=q,
        now=now,
    )
    queryset = _in_box(queryset.order_by(), bbox, "building__")
    if bbox is None or max(bbox.width, bbox.height) > WIDE_BOX:
        # A town's view: most likely past the limit, so the per-building counts come first (one query).
        buildings = _per_building(queryset, now)
        total = sum(row[2] for row in buildings)
        if total > limit:
            return collection(_clusters(buildings, bbox), total=total, clustered=True)
    elif queryset.count() > limit:  # an index-only count (request_open_building_idx): a millisecond or two
        buildings = _per_building(queryset, now)
        return collection(_clusters(buildings, bbox), total=sum(row[2] for row in buildings), clustered=True)
    personal = sees_personal_data(viewer)
    detail = reverse("requests:detail", args=["-"])[:-2]  # once, not a reverse() per pin
    rows = list(
        queryset.values_list(
            "number",
            "kind",
            "status",
            "next_due_at",
            "category__name",
            "address",
            "building__community__name",
            "building__number",
            "building__lon",
            "building__lat",
            "received_at",
        ).order_by("-received_at", "-id")[: limit + 1]
    )
    if len(rows) > limit:
        buildings = _per_building(queryset, now)
        return collection(_clusters(buildings, bbox), total=sum(row[2] for row in buildings), clustered=True)
    features = []
    for number, kind_, status_, due, category, address, community, building, lon, lat, received in rows:
        features.append(
            _feature(
                _point(lon, lat),
                {
                    "number": number,
                    "kind": kind_,
                    "status": status_,
                    "clock": clock_state(due, now),
                    "category": category or "",
                    # Names and phones never travel to the map; the address only to who needs it.
                    "address": address if personal else _building_label(community, building),
                    "received_at": received.isoformat(),
                    "url": f"{detail}{number}/",
                },
            )
        )
    return collection(features, total=len(features), clustered=False)


# (lon, lat, requests, emergencies, late) of each building with requests in the box
BuildingCount = tuple[float, float, int, int, int]


def _per_building(queryset: QuerySet[ServiceRequest], now: dt.datetime) -> list[BuildingCount]:
    """One grouped query: what each building holds (an index-only scan of request_open_building_idx on
    PostgreSQL for open requests, joined to the buildings in the box)."""
    rows = (
        queryset.values("building_id", "building__lon", "building__lat")
        .annotate(
            count=Count("id"),
            emergency=Count("id", filter=Q(kind=Kind.EMERGENCY)),
            late=Count("id", filter=Q(next_due_at__lt=now)),
        )
        .order_by()
        .values_list("building__lon", "building__lat", "count", "emergency", "late")
    )
    return [(cast(float, lon), cast(float, lat), count, e, late) for lon, lat, count, e, late in rows]


def _clusters(buildings: list[BuildingCount], bbox: BBox | None) -> list[dict[str, Any]]:
    """Grid clusters: CLUSTER_CELLS cells across the box's wider side, at the requests' mean point."""
    if not buildings:
        return []
    box = bbox or BBox(
        min(b[0] for b in buildings),
        min(b[1] for b in buildings),
        max(b[0] for b in buildings),
        max(b[1] for b in buildings),
    )
    cell = max(box.width, box.height, 1e-6) / CLUSTER_CELLS
    cells: dict[tuple[int, int], list[float]] = {}
    for lon, lat, count, emergency, late in buildings:
        key = (math.floor((lon - box.west) / cell), math.floor((lat - box.south) / cell))
        sums = cells.setdefault(key, [0.0, 0.0, 0, 0, 0])
        sums[0] += lon * count
        sums[1] += lat * count
        sums[2] += count
        sums[3] += emergency
        sums[4] += late
    return [
        _feature(
            _point(sums[0] / sums[2], sums[1] / sums[2]),
            {"cluster": True, "count": int(sums[2]), "emergency": int(sums[3]), "late": int(sums[4])},
        )
        for _key, sums in sorted(cells.items())
    ]


class HeatLayer(TypedDict):
    season: str
    start: str
    days: int
    # [lat, lon, day (0 = the season's first day), requests] per building and day
    points: list[list[float]]


def map_heat(*, viewer: Staff, season_year: int | None = None) -> HeatLayer | None:
    """The season's requests (all of them, open and closed, imported history too) by building and day."""
    from heatline.core.seasons import season_get

    season = season_get(season_year) if season_year else season_current()
    if season is None:
        return None
    start, end = season_bounds(season)
    queryset = scope_by_district(ServiceRequest.objects.all(), viewer).filter(
        received_at__gte=start, received_at__lt=end
    )
    queryset = _in_box(queryset, None, "building__")
    rows = (
        queryset.annotate(day=TruncDate("received_at"))
        .values("building_id", "day")
        .annotate(count=Count("id"), lat=Max("building__lat"), lon=Max("building__lon"))
        .order_by()
    )
    first = timezone.localtime(start).date()
    points = [
        [round(row["lat"], 6), round(row["lon"], 6), (row["day"] - first).days, row["count"]] for row in rows
    ]
    return HeatLayer(
        season=str(season),
        start=first.isoformat(),
        days=(timezone.localtime(end).date() - first).days,
        points=points,
    )


def map_watchlist(*, viewer: Staff, bbox: BBox | None, now: dt.datetime | None = None) -> FeatureCollection:
    """This season's watch list: visited (上门已完成) or still to visit, at the household's building."""
    season = season_current()
    if season is None:
        return collection([], total=0)
    queryset = scope_by_district(WatchEntry.objects.filter(season=season), viewer).exclude(
        status=EntryStatus.REMOVED
    )
    if viewer.role == Role.WORKER and not viewer.is_superuser:
        queryset = queryset.filter(assignee=viewer)
    queryset = _in_box(queryset, bbox, "building__")
    personal = sees_personal_data(viewer)
    labels = dict(EntryStatus.choices)
    rows = queryset.values_list(
        "pk",
        "status",
        "priority",
        "visited_at",
        "planned_for",
        "household__address",
        "building__community__name",
        "building__number",
        "building__lon",
        "building__lat",
    ).order_by("priority", "score", "id")[:MAX_LIMIT]
    features = [
        _feature(
            _point(lon, lat),
            {
                "id": pk,
                "status": status,
                "status_label": str(labels.get(status, status)),
                "visited": visited_at is not None,
                "priority": priority,
                "planned_for": planned_for.isoformat() if planned_for else None,
                "address": address if personal else _building_label(community, number),
                "url": reverse("proactive:entry", args=[pk]),
            },
        )
        for pk, status, priority, visited_at, planned_for, address, community, number, lon, lat in rows
    ]
    return collection(features, total=len(features))


def map_hazard_areas(*, viewer: Staff, bbox: BBox | None) -> FeatureCollection:
    """The high-risk areas in force: this season's, else the latest season's that has any (the areas are
    found after a season, for the inspection before the next one, 第五条). A building's point, or a
    community's (its own, else its buildings' centre)."""
    current = season_current()
    if current is None:
        return collection([], total=0)
    visible = hazard_area_list_visible(viewer=viewer)
    season_id = (
        visible.filter(season__year__lte=current.year)
        .order_by("-season__year")
        .values_list("season_id", flat=True)
        .first()
    )
    areas = list(visible.filter(season_id=season_id)) if season_id is not None else []
    community_points = _community_points({area.community_id for area in areas})
    features = []
    for area in areas:
        if area.building is not None and area.building.lat is not None and area.building.lon is not None:
            lon, lat = area.building.lon, area.building.lat
        elif area.community_id in community_points:
            lon, lat = community_points[area.community_id]
        else:
            continue
        if bbox is not None and not bbox.contains(lon, lat):
            continue
        features.append(
            _feature(
                _point(lon, lat),
                {
                    "id": area.pk,
                    "level": area.level,
                    "label": str(area.building or area.community),
                    "households": area.households,
                    "requests": area.request_count,
                    "url": reverse("inspections:area", args=[area.pk]),
                },
            )
        )
    return collection(features, total=len(features))


def _community_points(community_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    ids = list(community_ids)
    if not ids:
        return {}
    from heatline.registry.models import Community

    points: dict[int, tuple[float, float]] = {
        pk: (cast(float, lon), cast(float, lat))
        for pk, lon, lat in Community.objects.filter(
            pk__in=ids, lat__isnull=False, lon__isnull=False
        ).values_list("pk", "lon", "lat")
    }
    missing = [pk for pk in ids if pk not in points]
    if missing:
        for row in (
            Building.objects.filter(community_id__in=missing, lat__isnull=False, lon__isnull=False)
            .values("community_id")
            .annotate(lon=Avg("lon"), lat=Avg("lat"))
            .order_by()
        ):
            points[row["community_id"]] = (row["lon"], row["lat"])
    return points


def map_incidents(*, viewer: Staff, bbox: BBox | None, active_only: bool = True) -> FeatureCollection:
    """Faults and planned outages with the buildings they affect (their points), or the drawn area."""
    queryset = incidents_visible(viewer)
    if active_only:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    incidents = list(queryset.order_by("-started_at", "-id")[:500])
    points: dict[int, list[list[float]]] = {incident.pk: [] for incident in incidents}
    for incident_id, lon, lat in (
        IncidentBuilding.objects.filter(
            incident_id__in=points, building__lat__isnull=False, building__lon__isnull=False
        )
        .values_list("incident_id", "building__lon", "building__lat")
        .order_by("incident_id", "building_id")
    ):
        points[incident_id].append([round(cast(float, lon), 6), round(cast(float, lat), 6)])
    features = []
    for incident in incidents:
        buildings = points[incident.pk]
        if bbox is not None and not any(bbox.contains(lon, lat) for lon, lat in buildings):
            continue
        geometries: list[dict[str, Any]] = [{"type": "MultiPoint", "coordinates": buildings}]
        if incident.area and incident.area.get("type") == "Polygon":
            geometries.insert(0, incident.area)
        features.append(
            _feature(
                {"type": "GeometryCollection", "geometries": geometries},
                {
                    "id": incident.pk,
                    "number": incident.number,
                    "title": incident.title,
                    "kind": incident.kind,
                    "status": incident.status,
                    "state": incident.state_label,
                    "households": incident.households_affected,
                    "buildings": len(buildings),
                    "url": reverse("incidents:detail", args=[incident.pk]),
                },
            )
        )
    return collection(features, total=len(features))


def map_pipes(*, viewer: Staff, bbox: BBox | None) -> FeatureCollection:
    """Pipe sections as lines, company-owned or not; a district's staff see those feeding their buildings."""
    queryset = PipeSection.objects.filter(path__isnull=False)
    ids = visible_district_ids(viewer)
    if ids is not None:
        queryset = queryset.filter(buildings__district_id__in=ids).distinct()
    features = []
    for section in queryset.order_by("code")[:MAX_LIMIT]:
        path = section.path or []
        if len(path) < 2:
            continue
        if bbox is not None and not any(bbox.contains(point[0], point[1]) for point in path):
            continue
        features.append(
            _feature(
                {"type": "LineString", "coordinates": path},
                {
                    "code": section.code,
                    "name": section.name,
                    "owner": section.owner,
                    "company_owned": section.owner == PipeOwner.COMPANY,
                    "owner_name": section.owner_name,
                    "diameter_mm": section.diameter_mm,
                },
            )
        )
    return collection(features, total=len(features))


def map_buildings(*, viewer: Staff, bbox: BBox | None, limit: int = MAX_LIMIT) -> FeatureCollection:
    """The utility's own buildings: the base map when no tiles are configured, and what an incident picks."""
    queryset = _in_box(scope_by_district(Building.objects.all(), viewer), bbox)
    rows = queryset.values_list("pk", "community__name", "number", "lon", "lat", "district_id").order_by(
        "community_id", "pk"
    )[: max(1, min(limit, MAX_LIMIT))]
    features = [
        _feature(
            _point(lon, lat),
            {
                "id": pk,
                "label": _building_label(community, number),
                "community": community,
                "district": district,
            },
        )
        for pk, community, number, lon, lat, district in rows
    ]
    return collection(features, total=len(features))


def map_crews(*, viewer: Staff, now: dt.datetime | None = None) -> FeatureCollection:
    """Each field worker's last known position: the building of their latest field action (联系、到场、完成)
    within 24 h on a request the viewer may see, or the phone's position when the action carried one."""
    now = now or timezone.now()
    events = scope_by_district(
        RequestEvent.objects.filter(
            action__in=FIELD_ACTIONS, at__gte=now - CREW_WINDOW, actor__role__in=CREW_ROLES
        ),
        viewer,
        field="service_request__district",
    )
    latest = events.values("actor_id").annotate(last=Max("id")).order_by().values_list("last", flat=True)
    rows = (
        RequestEvent.objects.filter(pk__in=list(latest))
        .values_list(
            "actor__username",
            "actor__name",
            "actor__role",
            "actor__team__name",
            "action",
            "at",
            "extra",
            "service_request__number",
            "service_request__building__lon",
            "service_request__building__lat",
        )
        .order_by("actor__username")
    )
    labels = dict(Action.choices)
    features = []
    for username, name, role, team, action, at, extra, number, lon, lat in rows:
        position = (extra or {}).get("position") if isinstance(extra, dict) else None
        if isinstance(position, dict) and isinstance(position.get("lon"), float | int):
            lon, lat = float(position["lon"]), float(position["lat"])
        if lon is None or lat is None:
            continue
        features.append(
            _feature(
                _point(lon, lat),
                {
                    "name": name or username,
                    "role": role,
                    "team": team or "",
                    "action": str(labels.get(action, action)),
                    "at": at.isoformat(),
                    "request": number,
                },
            )
        )
    return collection(features, total=len(features))
