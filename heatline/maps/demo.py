"""Demo coordinates around Heihe (黑河, about 50.25° N, 127.5° E): each district a block of the town, its
communities a grid of estates, their buildings in rows ~40 m apart, stations amid the buildings they feed,
pipe sections along the streets from the station to its buildings. Deterministic; rerun, it places the same."""

import math
import random
from collections import defaultdict
from collections.abc import Callable

from heatline.registry.models import Building, Community, District, PipeSection, Station

Progress = Callable[[str], None]

WEST, SOUTH = 127.455, 50.215  # the south-west corner of the demo town
DISTRICT_LON, DISTRICT_LAT = 0.026, 0.019  # one district's block: ~1.85 km × 2.1 km
COLUMNS = 4


def _grid(count: int) -> int:
    return max(1, math.ceil(math.sqrt(count)))


def populate(*, rng: random.Random, progress: Progress) -> None:
    progress("map: coordinates around Heihe")
    districts = list(District.objects.order_by("code").values_list("pk", flat=True))
    origin = {
        pk: (WEST + (index % COLUMNS) * DISTRICT_LON, SOUTH + (index // COLUMNS) * DISTRICT_LAT)
        for index, pk in enumerate(districts)
    }
    communities_by_district: dict[int, list[Community]] = defaultdict(list)
    for community in Community.objects.order_by("code"):
        communities_by_district[community.district_id].append(community)
    buildings_by_community: dict[int, list[Building]] = defaultdict(list)
    for building in Building.objects.order_by("community_id", "id").only("id", "community_id", "station_id"):
        buildings_by_community[building.community_id].append(building)

    placed_communities: list[Community] = []
    placed_buildings: list[Building] = []
    for district_id, communities in communities_by_district.items():
        west, south = origin.get(district_id, (WEST - DISTRICT_LON, SOUTH))
        side = _grid(len(communities))
        cell_lon, cell_lat = DISTRICT_LON * 0.92 / side, DISTRICT_LAT * 0.92 / side
        for index, community in enumerate(communities):
            c_west = west + (index % side) * cell_lon
            c_south = south + (index // side) * cell_lat
            community.lon = round(c_west + cell_lon / 2, 6)
            community.lat = round(c_south + cell_lat / 2, 6)
            placed_communities.append(community)
            buildings = buildings_by_community.get(community.pk, [])
            rows = _grid(len(buildings))
            for number, building in enumerate(buildings):
                # Rows of buildings inside the estate, leaving a street (15 %) around it.
                building.lon = round(
                    c_west
                    + cell_lon * (0.15 + 0.7 * ((number % rows) + 0.5) / rows)
                    + rng.uniform(-2e-5, 2e-5),
                    6,
                )
                building.lat = round(
                    c_south
                    + cell_lat * (0.15 + 0.7 * ((number // rows) + 0.5) / rows)
                    + rng.uniform(-2e-5, 2e-5),
                    6,
                )
                placed_buildings.append(building)
    Community.objects.bulk_update(placed_communities, ["lon", "lat"], batch_size=1000)
    Building.objects.bulk_update(placed_buildings, ["lon", "lat"], batch_size=2000)
    progress(f"map: {len(placed_buildings):,} buildings placed")

    fed: dict[int, list[tuple[float, float]]] = defaultdict(list)
    building_point: dict[int, tuple[float, float]] = {}
    for building in placed_buildings:
        if building.station_id is not None and building.lon is not None and building.lat is not None:
            fed[building.station_id].append((building.lon, building.lat))
        if building.lon is not None and building.lat is not None:
            building_point[building.pk] = (building.lon, building.lat)
    stations = list(Station.objects.filter(pk__in=list(fed)))
    for station in stations:
        points = fed[station.pk]
        station.lon = round(sum(p[0] for p in points) / len(points) + 0.0004, 6)
        station.lat = round(sum(p[1] for p in points) / len(points) + 0.0003, 6)
    Station.objects.bulk_update(stations, ["lon", "lat"], batch_size=1000)
    station_point = {
        station.pk: (station.lon, station.lat)
        for station in stations
        if station.lon is not None and station.lat is not None
    }

    sections = list(PipeSection.objects.prefetch_related("buildings").order_by("code"))
    for section in sections:
        targets = [building_point[b.pk] for b in section.buildings.all() if b.pk in building_point]
        start = station_point.get(section.station_id) if section.station_id else None
        if not targets and start is None:
            continue
        if not targets:
            assert start is not None
            targets = [(start[0] + 0.002, start[1])]
        end = (sum(p[0] for p in targets) / len(targets), sum(p[1] for p in targets) / len(targets))
        start = start or (end[0] - 0.002, end[1] - 0.001)
        # Along the streets: east-west first, then north-south, as mains follow the road grid.
        section.path = [
            [round(start[0], 6), round(start[1], 6)],
            [round(end[0], 6), round(start[1], 6)],
            [round(end[0], 6), round(end[1], 6)],
        ]
    PipeSection.objects.bulk_update(sections, ["path"], batch_size=500)
    progress(f"map: {len(stations):,} stations, {len(sections):,} pipe sections drawn")
