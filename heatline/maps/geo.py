"""Plain geometry on WGS84 coordinates: distances, bounding boxes, point in polygon, and the two Chinese
display datums (GCJ-02, BD-09). Heatline stores WGS84; a base map of 天地图 uses it as is, one of AMap or
Tencent wants GCJ-02, one of Baidu BD-09. Pure functions, no database."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput

EARTH_RADIUS_M: Final = 6_371_008.8  # mean radius (IUGG): haversine distances
# Krasovsky 1940, the ellipsoid the GCJ-02 obfuscation is defined on.
_KRASOVSKY_A: Final = 6378245.0
_KRASOVSKY_EE: Final = 0.00669342162296594323
_BD_X_PI: Final = math.pi * 3000.0 / 180.0

Point = tuple[float, float]  # (lon, lat), GeoJSON's order
T = TypeVar("T")


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    @property
    def width(self) -> float:
        return self.east - self.west

    @property
    def height(self) -> float:
        return self.north - self.south


def check_point(lon: object, lat: object) -> Point:
    """A (lon, lat) of real numbers in range, or InvalidInput saying what is wrong (zh, translated to en)."""
    try:
        lon_value, lat_value = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(_("经纬度须为数字:%(lon)s, %(lat)s") % {"lon": lon, "lat": lat}) from None
    if not (math.isfinite(lon_value) and math.isfinite(lat_value)):
        raise InvalidInput(_("经纬度须为有限数字"))
    if not -180.0 <= lon_value <= 180.0:
        raise InvalidInput(_("经度超出范围(-180~180):%(value)s") % {"value": lon}, field="lon")
    if not -90.0 <= lat_value <= 90.0:
        raise InvalidInput(_("纬度超出范围(-90~90):%(value)s") % {"value": lat}, field="lat")
    return lon_value, lat_value


def bbox_parse(text: str | None) -> BBox | None:
    """`west,south,east,north` in degrees (WGS84), as the map API takes it. None when empty."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidInput(_("bbox 须为 west,south,east,north 四个数字,以逗号分隔"), field="bbox")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise InvalidInput(_("bbox 须为 west,south,east,north 四个数字,以逗号分隔"), field="bbox") from None
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise InvalidInput(_("bbox 须为有限数字"), field="bbox")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise InvalidInput(_("bbox 超出经纬度范围(经度 -180~180,纬度 -90~90)"), field="bbox")
    if west > east or south > north:
        raise InvalidInput(_("bbox 须 west ≤ east 且 south ≤ north"), field="bbox")
    return BBox(west, south, east, north)


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine) between two (lon, lat)."""
    lon1, lat1 = map(math.radians, a)
    lon2, lat2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bbox_around(point: Point, metres: float) -> BBox:
    """The box that holds every point within `metres` of `point` (for an indexed pre-filter)."""
    lon, lat = point
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlon = math.degrees(metres / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def point_in_ring(point: Point, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting: whether (lon, lat) lies inside the ring [[lon, lat], …] (closed or not)."""
    x, y = point
    inside = False
    count = len(ring)
    j = count - 1
    for i in range(count):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def ring_bbox(ring: Sequence[Sequence[float]]) -> BBox:
    lons = [point[0] for point in ring]
    lats = [point[1] for point in ring]
    return BBox(min(lons), min(lats), max(lons), max(lats))


def line_length_m(path: Sequence[Sequence[float]]) -> float:
    return sum(
        distance_m((path[i][0], path[i][1]), (path[i + 1][0], path[i + 1][1])) for i in range(len(path) - 1)
    )


def out_of_china(lon: float, lat: float) -> bool:
    """GCJ-02 applies inside mainland China only; outside, the datums coincide."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return value


def _shift_lon(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return value


def _gcj_offset(lon: float, lat: float) -> Point:
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> Point:
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> Point:
    """The inverse, by fixed-point iteration: the usual one-step inverse is off by 3–4 m at Heihe; three
    more steps bring it under a millimetre (a pin dragged on a GCJ-02 map is stored where it was put)."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    wgs_lon, wgs_lat = lon - dlon, lat - dlat
    for _step in range(3):
        forward_lon, forward_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        wgs_lon, wgs_lat = wgs_lon + (lon - forward_lon), wgs_lat + (lat - forward_lat)
    return wgs_lon, wgs_lat


def gcj02_to_bd09(lon: float, lat: float) -> Point:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BD_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> Point:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def wgs84_to_bd09(lon: float, lat: float) -> Point:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


DATUMS: Final = ("wgs84", "gcj02", "bd09")


def to_display(lon: float, lat: float, datum: str) -> Point:
    """Stored WGS84 → the datum of the base map's tiles."""
    if datum == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return wgs84_to_bd09(lon, lat)
    return lon, lat


def from_display(lon: float, lat: float, datum: str) -> Point:
    """A point picked on the base map → WGS84 to store."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    return lon, lat


def route_order(
    points: Sequence[tuple[T, float | None, float | None]], start: Point | None = None
) -> list[T]:
    """The day's visits ordered by distance: each next visit the nearest to the last one (nearest neighbour),
    from `start` (else from the first located visit). Items without a point follow, in their order.
    `points` holds (item, lon, lat)."""
    located: list[tuple[T, Point]] = [
        (item, (lon, lat)) for item, lon, lat in points if lon is not None and lat is not None
    ]
    unlocated = [item for item, lon, lat in points if lon is None or lat is None]
    ordered: list[T] = []
    here = start
    while located:
        if here is None:
            index = 0
        else:
            origin = here
            index = min(range(len(located)), key=lambda i: distance_m(origin, located[i][1]))
        item, here = located.pop(index)
        ordered.append(item)
    return ordered + unlocated
