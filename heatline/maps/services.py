"""Writes of the map: placing stations, communities and buildings, and `heatline import-network`.

The network file is GeoJSON (RFC 7946, WGS84): a FeatureCollection whose LineString features are pipe
sections (created or updated by `code`) and whose Point features locate a station, a community or a
building the register already holds. Every feature is checked first; one wrong feature and nothing is
written (one transaction); the same file twice changes nothing.
"""

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record, audit_record_of
from heatline.core.errors import InvalidInput
from heatline.core.tabular import ImportReport, Progress
from heatline.maps.geo import bbox_around, check_point, distance_m, line_length_m, point_in_ring, ring_bbox
from heatline.registry.models import Building, Community, PipeOwner, PipeSection, Staff, Station

NEAREST_WITHIN_M: Final = 50.0  # Open311 lat/long: the building a resident stands at, not the next block
MAX_FILE_BYTES: Final = 50 * 1024 * 1024
OWNER_WORDS: Final = {
    "company": PipeOwner.COMPANY,
    "本公司": PipeOwner.COMPANY,
    "公司": PipeOwner.COMPANY,
    "household": PipeOwner.HOUSEHOLD,
    "用户": PipeOwner.HOUSEHOLD,
    "other": PipeOwner.OTHER,
    "其他": PipeOwner.OTHER,
    "其他产权人": PipeOwner.OTHER,
}
POINT_KINDS: Final = ("station", "community", "building")

Located = Station | Community | Building


def location_set(*, obj: Located, lon: float | None, lat: float | None, by: Staff | None) -> Located:
    """Place (or, with None, unplace) a station, community or building; WGS84 checked, audited."""
    if (lon is None) != (lat is None):
        raise InvalidInput(_("经度和纬度须同时填写或同时留空"), field="lon")
    if lon is not None and lat is not None:
        lon, lat = check_point(lon, lat)
    old = {"lon": obj.lon, "lat": obj.lat}
    if old == {"lon": lon, "lat": lat}:
        return obj
    type(obj).objects.filter(pk=obj.pk).update(lon=lon, lat=lat, updated_at=timezone.now())
    obj.lon, obj.lat = lon, lat
    audit_record(by=by, obj=obj, action="map.locate", extra={"old": old, "new": {"lon": lon, "lat": lat}})
    return obj


def building_nearest(*, lon: float, lat: float, within_m: float = NEAREST_WITHIN_M) -> Building | None:
    """The geocoded building nearest to a point, if one lies within `within_m` metres (else None)."""
    lon, lat = check_point(lon, lat)
    box = bbox_around((lon, lat), within_m)
    candidates = Building.objects.filter(
        lat__gte=box.south, lat__lte=box.north, lon__gte=box.west, lon__lte=box.east
    ).values_list("pk", "lon", "lat")
    best: tuple[float, int] | None = None
    for pk, building_lon, building_lat in candidates:
        distance = distance_m((lon, lat), (cast(float, building_lon), cast(float, building_lat)))
        if distance <= within_m and (best is None or distance < best[0]):
            best = (distance, pk)
    if best is None:
        return None
    return Building.objects.select_related("community").get(pk=best[1])


def buildings_in_area(ring: Sequence[Sequence[float]]) -> list[int]:
    """Ids of the geocoded buildings inside a drawn ring [[lon, lat], …] (indexed box, then ray casting)."""
    box = ring_bbox(ring)
    rows = Building.objects.filter(
        lat__gte=box.south, lat__lte=box.north, lon__gte=box.west, lon__lte=box.east
    ).values_list("pk", "lon", "lat")
    return sorted(pk for pk, lon, lat in rows if point_in_ring((cast(float, lon), cast(float, lat)), ring))


def area_parse(value: Any) -> list[list[float]]:
    """A drawn area from a form or the API: a GeoJSON Polygon (or its outer ring) → a checked closed ring."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput(_("影响范围不是有效的 GeoJSON"), field="area") from None
    if isinstance(value, dict):
        if (
            value.get("type") != "Polygon"
            or not isinstance(value.get("coordinates"), list)
            or not value["coordinates"]
        ):
            raise InvalidInput(_("影响范围须为多边形(Polygon)"), field="area")
        value = value["coordinates"][0]
    if not isinstance(value, list) or len(value) < 3:
        raise InvalidInput(_("影响范围至少需要3个顶点"), field="area")
    ring: list[list[float]] = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) < 2:
            raise InvalidInput(_("影响范围的顶点须为 [经度, 纬度]"), field="area")
        lon, lat = check_point(point[0], point[1])
        ring.append([lon, lat])
    if ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    if len(ring) < 4:
        raise InvalidInput(_("影响范围至少需要3个顶点"), field="area")
    return ring


# --- heatline import-network -------------------------------------------------------------------------


def _text(properties: dict[str, Any], *names: str) -> str:
    for name in names:
        value = properties.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _line(geometry: Any, number: int, report: ImportReport) -> list[list[float]] | None:
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        report.error(number, "geometry", _("管段须为至少两个点的 LineString"))
        return None
    path: list[list[float]] = []
    for point in coordinates:
        if not isinstance(point, list) or len(point) < 2:
            report.error(number, "geometry", _("坐标须为 [经度, 纬度]"))
            return None
        try:
            lon, lat = check_point(point[0], point[1])
        except InvalidInput as error:
            report.error(number, "geometry", error.message)
            return None
        path.append([round(lon, 7), round(lat, 7)])
    return path


def _int(value: Any, number: int, column: str, report: ImportReport, *, low: int, high: int) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        parsed = float(str(value).strip())
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed) or parsed != int(parsed) or not low <= parsed <= high:
        report.error(
            number,
            column,
            _("须为 %(low)s~%(high)s 的整数:%(value)s") % {"low": low, "high": high, "value": value},
        )
        return None
    return int(parsed)


def _geojson(content: bytes) -> list[Any]:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(_("文件过大(最大 50 MB)"))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(_("不是有效的 GeoJSON 文件(UTF-8 JSON):%(error)s") % {"error": error}) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise InvalidInput(_("GeoJSON 须为 FeatureCollection,含 features 列表"))
    return list(data["features"])


def network_import(
    *, content: bytes, file_name: str = "", commit: bool, by: Staff | None, progress: Progress | None = None
) -> ImportReport:
    """Pipe sections (LineString, key `code`) and the points of stations, communities and buildings.

    Feature numbers in the report count from 1, in file order."""
    features = _geojson(content)
    report = ImportReport()
    stations = {code: pk for pk, code in Station.objects.values_list("pk", "code")}
    stations_by_name = {name: pk for pk, name in Station.objects.values_list("pk", "name")}
    communities = {code: pk for pk, code in Community.objects.values_list("pk", "code")}
    communities_by_name = {name: pk for pk, name in Community.objects.values_list("pk", "name")}
    buildings = {
        (community, number): pk
        for pk, community, number in Building.objects.values_list("pk", "community_id", "number")
    }
    sections: dict[str, dict[str, Any]] = {}
    points: dict[tuple[str, int], tuple[float, float]] = {}
    seen_codes: dict[str, int] = {}

    def community_of(properties: dict[str, Any]) -> int | None:
        key = _text(properties, "community_code")
        if key:
            return communities.get(key)
        return communities_by_name.get(_text(properties, "community", "小区"))

    for number, feature in enumerate(features, start=1):
        report.rows += 1
        if progress is not None and number % 1000 == 0:
            progress(number, len(features))
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            report.error(number, "type", _("须为 GeoJSON Feature"))
            continue
        geometry = feature.get("geometry")
        properties = feature.get("properties") or {}
        if not isinstance(geometry, dict) or not isinstance(properties, dict):
            report.error(number, "geometry", _("缺少 geometry 或 properties"))
            continue
        kind = geometry.get("type")
        if kind == "LineString":
            code = _text(properties, "code", "编号")
            if not code:
                report.error(number, "code", _("管段缺少编号(code)"))
                continue
            if len(code) > 30:
                report.error(number, "code", _("内容过长(最多 %(limit)d 个字)") % {"limit": 30})
                continue
            if code in seen_codes:
                report.error(
                    number,
                    "code",
                    _("编号与第%(row)d个要素重复:%(value)s") % {"row": seen_codes[code], "value": code},
                )
                continue
            seen_codes[code] = number
            path = _line(geometry, number, report)
            owner_text = _text(properties, "owner", "产权")
            owner = (
                OWNER_WORDS.get(owner_text.lower(), OWNER_WORDS.get(owner_text))
                if owner_text
                else PipeOwner.COMPANY
            )
            if owner is None:
                report.error(
                    number,
                    "owner",
                    _("产权无法识别:%(value)s(可用:company、household、other 或 本公司、用户、其他)")
                    % {"value": owner_text},
                )
            station_text = _text(properties, "station", "换热站")
            station_id = (
                stations.get(station_text) or stations_by_name.get(station_text) if station_text else None
            )
            if station_text and station_id is None:
                report.error(number, "station", _("换热站不存在:%(value)s") % {"value": station_text})
            diameter = _int(properties.get("diameter_mm"), number, "diameter_mm", report, low=1, high=5000)
            laid = _int(properties.get("laid_year"), number, "laid_year", report, low=1900, high=2100)
            fed: list[int] = []
            for label in properties.get("buildings") or []:
                community_name, _sep, building_number = str(label).partition("/")
                community_id = communities_by_name.get(community_name.strip())
                building_id = buildings.get((community_id, building_number.strip())) if community_id else None  # type: ignore[arg-type]
                if building_id is None:
                    report.error(
                        number, "buildings", _("楼栋不存在:%(value)s(格式:小区/楼号)") % {"value": label}
                    )
                else:
                    fed.append(building_id)
            name = _text(properties, "name", "名称") or code
            report.check_lengths(
                number, (("name", name, 100), ("owner_name", _text(properties, "owner_name"), 100))
            )
            if path is None:
                continue
            sections[code] = {
                "name": name,
                "path": path,
                "owner": owner or PipeOwner.COMPANY,
                "owner_name": _text(properties, "owner_name", "产权人"),
                "station_id": station_id,
                "diameter_mm": diameter,
                "laid_year": laid,
                "length_m": Decimal(str(round(line_length_m(path), 1))).quantize(Decimal("0.1")),
                "buildings": fed,
            }
        elif kind == "Point":
            point_kind = _text(properties, "kind", "类型")
            if point_kind not in POINT_KINDS:
                report.error(number, "kind", _("点要素须注明 kind:station、community 或 building"))
                continue
            coordinates = geometry.get("coordinates")
            if not isinstance(coordinates, list) or len(coordinates) < 2:
                report.error(number, "geometry", _("坐标须为 [经度, 纬度]"))
                continue
            try:
                lon, lat = check_point(coordinates[0], coordinates[1])
            except InvalidInput as error:
                report.error(number, "geometry", error.message)
                continue
            target: int | None
            if point_kind == "station":
                key = _text(properties, "code", "name", "编号", "换热站")
                target = stations.get(key) or stations_by_name.get(key)
            elif point_kind == "community":
                key = _text(properties, "code", "name", "编号", "小区")
                target = communities.get(key) or communities_by_name.get(key)
            else:
                community_id = community_of(properties)
                key = f"{_text(properties, 'community', '小区')}/{_text(properties, 'number', '楼栋')}"
                target = (
                    buildings.get((community_id, _text(properties, "number", "楼栋")))
                    if community_id
                    else None
                )  # type: ignore[arg-type]
            if target is None:
                report.error(
                    number,
                    "properties",
                    _("%(kind)s 不存在:%(value)s(请先导入房产档案)") % {"kind": point_kind, "value": key},
                )
                continue
            points[(point_kind, target)] = (lon, lat)
        else:
            report.error(
                number,
                "geometry",
                _("不支持的几何类型:%(type)s(管段用 LineString,站点/小区/楼栋用 Point)") % {"type": kind},
            )
    _plan(report, sections, points, write=False)
    if report.errors or not commit:
        return report
    with transaction.atomic():
        _plan(report, sections, points, write=True)
        report.committed = True
        audit_record_of(
            by=by,
            object_type="registry.pipesection",
            object_id=file_name[:100] or "network",
            action="map.import_network",
            extra={"created": dict(report.created), "updated": dict(report.updated)},
        )
    return report


def _plan(
    report: ImportReport,
    sections: dict[str, dict[str, Any]],
    points: dict[tuple[str, int], tuple[float, float]],
    *,
    write: bool,
) -> None:
    report.created.clear()
    report.updated.clear()
    report.unchanged = 0
    existing = {section.code: section for section in PipeSection.objects.filter(code__in=list(sections))}
    now = timezone.now()
    for code, values in sections.items():
        fed = values.pop("buildings") if write else values["buildings"]
        section = existing.get(code)
        if section is None:
            report.created["管段"] += 1
            if write:
                section = PipeSection.objects.create(
                    code=code, **{k: v for k, v in values.items() if v is not None}
                )
                if fed:
                    section.buildings.add(*fed)
            continue
        changes = {
            name: value
            for name, value in values.items()
            if value is not None and name != "buildings" and getattr(section, name) != value
        }
        new_fed = set(fed) - set(section.buildings.values_list("pk", flat=True)) if fed else set()
        if not changes and not new_fed:
            report.unchanged += 1
            continue
        report.updated["管段"] += 1
        if write:
            PipeSection.objects.filter(pk=section.pk).update(**changes, updated_at=now)
            if new_fed:
                section.buildings.add(*new_fed)
    models: dict[str, type[Station] | type[Community] | type[Building]] = {
        "station": Station,
        "community": Community,
        "building": Building,
    }
    labels = {"station": "换热站坐标", "community": "小区坐标", "building": "楼栋坐标"}
    for kind, model in models.items():
        wanted = {pk: point for (point_kind, pk), point in points.items() if point_kind == kind}
        if not wanted:
            continue
        current = {
            pk: (lon, lat)
            for pk, lon, lat in model.objects.filter(pk__in=list(wanted)).values_list("pk", "lon", "lat")
        }
        changed = {pk: point for pk, point in wanted.items() if current.get(pk) != point}
        report.unchanged += len(wanted) - len(changed)
        if changed:
            report.updated[labels[kind]] += len(changed)
        if write:
            for pk, (lon, lat) in changed.items():
                model.objects.filter(pk=pk).update(lon=lon, lat=lat, updated_at=now)
