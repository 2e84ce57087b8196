"""The console side shared by the imports: a dry run by default, `--commit` to write, progress on stderr,
the row report on stdout, exit code 1 while any row is wrong (nothing is written then)."""

import sys
import time
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.errors import InvalidInput
from heatline.core.tabular import ImportReport, Progress
from heatline.registry.models import Staff

Importer = Callable[..., ImportReport]


class ImportCommand(BaseCommand):
    """Subclasses set `help`, `columns_help` and `importer(content=, file_name=, commit=, by=, progress=)`."""

    columns_help = ""

    def importer(self, **kwargs: Any) -> ImportReport:
        raise NotImplementedError

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help=f"文件(.xlsx 或 .csv,UTF-8/GBK;表头:{self.columns_help})")
        parser.add_argument("--commit", action="store_true", help="写入(全部行无误时,一个事务)")
        parser.add_argument("--user", help="记录为该员工的操作(默认:系统)")
        parser.add_argument("--max-errors", type=int, default=200, help="最多打印的错误行数")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        by: Staff | None = None
        if options["user"]:
            by = Staff.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(f"员工不存在 / no such user: {options['user']}")
        started = time.monotonic()
        progress: Progress = self.progress_printer(started)
        try:
            report = self.importer(
                content=path.read_bytes(),
                file_name=path.name,
                commit=options["commit"],
                by=by,
                progress=progress,
            )
        except InvalidInput as error:
            sys.stderr.write("\n")
            raise CommandError(error.message) from error
        sys.stderr.write("\n")
        self.print_report(report, max_errors=options["max_errors"])
        elapsed = time.monotonic() - started
        if report.errors:
            raise CommandError(
                f"有错误行,未写入任何数据。请修改文件后重新导入。/ Rows with errors: nothing was written; correct the file and import it again. ({elapsed:.1f} s)"
            )
        if report.committed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已写入 / written: {elapsed:.1f} 秒 s, {report.rows / max(elapsed, 0.001):,.0f} 行/秒 rows/s"
                )
            )
        else:
            self.stdout.write(
                f"试运行:未写入任何数据(用时 {elapsed:.1f} 秒)。确认无误后加 --commit 写入。/ Dry run: nothing written; add --commit to write."
            )

    def progress_printer(self, started: float) -> Progress:
        def progress(done: int, total: int) -> None:
            rate = done / max(time.monotonic() - started, 0.001)
            of = f" / 约 {total:,}" if total >= done else ""
            sys.stderr.write(f"\r已读取 {done:,}{of} 行({rate:,.0f} 行/秒)")
            sys.stderr.flush()

        return progress

    def print_report(self, report: ImportReport, *, max_errors: int) -> None:
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"注意:{warning}"))
        for error in report.errors[:max_errors]:
            self.stdout.write(str(error))
        if len(report.errors) > max_errors:
            self.stdout.write(f"…另有 {len(report.errors) - max_errors} 个错误未显示")
        self.stdout.write(report.summary())
