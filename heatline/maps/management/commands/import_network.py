"""`heatline import-network FILE.geojson [--commit]`: pipe sections as lines, and the points of stations,
communities and buildings (WGS84 GeoJSON)."""

from typing import Any

from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.maps.services import network_import


class Command(ImportCommand):
    help = (
        "导入管网 GeoJSON(管段 LineString,换热站/小区/楼栋坐标 Point,WGS84)。默认试运行并打印错误;"
        "加 --commit 写入。/ Import the network (GeoJSON): dry run by default, --commit writes."
    )
    columns_help = "GeoJSON FeatureCollection"

    def importer(self, **kwargs: Any) -> ImportReport:
        return network_import(**kwargs)
