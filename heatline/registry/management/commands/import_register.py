"""`heatline import-register FILE [--commit]`: the billing system's property register, one row a household."""

from typing import Any

from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.registry.imports import REGISTER_COLUMNS, register_import


class Command(ImportCommand):
    help = "导入收费系统房产档案(换热站→小区→楼栋→单元→热用户)。默认试运行并打印错误行;加 --commit 写入。"
    columns_help = ", ".join(column.name for column in REGISTER_COLUMNS)

    def importer(self, **kwargs: Any) -> ImportReport:
        return register_import(**kwargs)
