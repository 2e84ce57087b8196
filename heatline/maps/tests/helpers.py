"""Places for the map tests: the org's two districts put at two ends of a small town near Heihe."""

import datetime as dt
from zoneinfo import ZoneInfo

from heatline.core.models import HeatingSeason
from heatline.registry.models import Building
from heatline.registry.tests.factories import Org

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HERE = (127.50, 50.25)  # the org's building (district A)
THERE = (127.60, 50.30)  # the other district's building (district B)


def place(building: Building, point: tuple[float, float]) -> Building:
    Building.objects.filter(pk=building.pk).update(lon=point[0], lat=point[1])
    building.lon, building.lat = point
    return building


def placed_org(org: Org) -> Org:
    place(org.building, HERE)
    place(org.other_household.building, THERE)
    return org


def season() -> HeatingSeason:
    found, _created = HeatingSeason.objects.get_or_create(
        year=2026, defaults={"first_heating_day": dt.date(2026, 10, 20), "last_day": dt.date(2027, 4, 10)}
    )
    return found
