"""`heatline report_export`: write a report table to .xlsx from the console, with progress."""

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from heatline.core.errors import DomainError
from heatline.registry.models import Role, Staff
from heatline.reports import selectors as s
from heatline.reports.exports import REQUEST_HEADERS, request_rows, write_xlsx
from heatline.reports.tables import TABLES, table_rows
from heatline.reports.xlsx_stream import write_xlsx_stream


class Command(BaseCommand):
    help = "导出报表为 Excel(.xlsx):--table requests|rates|clocks|daily|categories|districts|communities|households|buildings"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--table", default="requests", choices=sorted(TABLES))
        parser.add_argument("--out", required=True, help="output .xlsx path")
        parser.add_argument("--user", help="export as this user (scoping, masking); default: company-wide")
        for key in ("from", "to", "branch", "district", "team", "category", "source", "kind"):
            parser.add_argument(f"--{key}", dest=f"f_{key}", default="")
        for key in ("clock", "clock_state", "intake", "status", "excluded", "solved", "day"):
            parser.add_argument(f"--{key.replace('_', '-')}", dest=f"d_{key}", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["user"]:
            viewer = Staff.objects.filter(username=options["user"], is_active=True).first()
            if viewer is None:
                raise CommandError(f"no active user {options['user']}")
        else:
            viewer = Staff(username="console", role=Role.ADMIN, is_superuser=True, is_active=True)
        params = {k[2:]: v for k, v in options.items() if k.startswith(("f_", "d_")) and v}
        started = time.monotonic()

        def progress(done: int) -> None:
            elapsed = time.monotonic() - started
            sys.stderr.write(f"\r已导出 {done:,} 行 · {elapsed:.1f} 秒")
            sys.stderr.flush()

        try:
            flt = s.report_filter_parse(params=params, viewer=viewer)
            if options["table"] == "requests":
                queryset = s.drilldown_requests(flt=flt, viewer=viewer, params=params)
                count = write_xlsx_stream(
                    out=options["out"],
                    title="诉求明细",
                    headers=REQUEST_HEADERS,
                    rows=request_rows(queryset, viewer=viewer),
                    progress=progress,
                )
            else:
                title, headers, rows = table_rows(
                    table=options["table"], flt=flt, viewer=viewer, now=timezone.now()
                )
                count = write_xlsx(
                    out=options["out"], title=title, headers=headers, rows=rows, progress=progress
                )
        except DomainError as error:
            raise CommandError(error.message) from None
        sys.stderr.write("\n")
        self.stdout.write(f"{count} rows → {options['out']} ({time.monotonic() - started:.1f} s)")
