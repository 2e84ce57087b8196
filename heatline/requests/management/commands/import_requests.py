"""`heatline import-requests FILE [--commit]`: requests of past seasons (old hotline system, 12345/12319)."""

import time
from typing import Any

from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.reports.rollup import rollup_refresh_chunked
from heatline.requests.imports import REQUEST_COLUMNS, requests_import


class Command(ImportCommand):
    help = "导入往年诉求工单(旧热线系统或12345/12319导出),作为已办结的历史。默认试运行;加 --commit 写入。"
    columns_help = ", ".join(column.name for column in REQUEST_COLUMNS)

    def importer(self, **kwargs: Any) -> ImportReport:
        report = requests_import(**kwargs)
        if report.committed and report.span is not None:
            first, last = report.span
            started = time.monotonic()
            self.stderr.write(f"更新报表汇总 {first} 至 {last} …")
            rollup_refresh_chunked(first, last)
            self.stderr.write(
                f"报表汇总已更新 / reports' roll-up rebuilt: {time.monotonic() - started:.1f} 秒 s"
            )
        return report
