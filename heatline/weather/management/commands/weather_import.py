"""`heatline weather-import FILE [--commit]`: a daily forecast file (and observed history) into WeatherDay."""

from typing import Any

from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.weather.forecast import COLUMNS
from heatline.weather.services import weather_import


class Command(ImportCommand):
    help = (
        "导入逐日气温预报(及实测)文件:日期、最低气温、最高气温,可选日均气温、实测日均气温、实测最低气温。"
        "默认试运行;加 --commit 写入。/ Import a daily forecast file; dry run unless --commit."
    )
    columns_help = ", ".join(column.name for column in COLUMNS)

    def importer(self, **kwargs: Any) -> ImportReport:
        return weather_import(**kwargs)
