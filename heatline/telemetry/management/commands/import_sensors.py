"""`heatline import-sensors FILE [--commit]`: the sensor register (传感器台账)."""

from typing import Any

from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.telemetry.imports import SENSOR_COLUMNS, sensors_import


class Command(ImportCommand):
    help = "导入传感器台账(室温采集器、换热站供回水、热量表、室外温度)。默认试运行;加 --commit 写入。"
    columns_help = ", ".join(column.name for column in SENSOR_COLUMNS)

    def importer(self, **kwargs: Any) -> ImportReport:
        return sensors_import(**kwargs)
