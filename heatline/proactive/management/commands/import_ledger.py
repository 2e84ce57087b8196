"""`heatline import-ledger FILE`: check a 测温台账 file row by row (dry run); `--commit` imports the good rows."""

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.errors import InvalidInput
from heatline.proactive.ledger import ledger_commit, ledger_read
from heatline.proactive.models import ImportStatus, LedgerImport
from heatline.registry.models import Staff


class Command(BaseCommand):
    help = "导入上一采暖期测温台账(.xlsx/.csv)。默认只校验并打印错误行;加 --commit 才导入。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file", help="台账文件(.xlsx 或 .csv,表头:户号, 地址, 测温日期, 房间, 温度, 原因)"
        )
        parser.add_argument("--commit", action="store_true", help="导入有效行(一个事务)")
        parser.add_argument("--user", help="以该员工身份导入(只接受其管辖片区的用户)")
        parser.add_argument("--max-errors", type=int, default=200, help="最多打印的错误行数")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在:{path}")
        staff: Staff | None = None
        if options["user"]:
            staff = Staff.objects.filter(username=options["user"]).first()
            if staff is None:
                raise CommandError(f"员工不存在:{options['user']}")
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\r已处理 {done:,} / 约 {total:,} 行")
            sys.stderr.flush()

        try:
            report = ledger_read(
                content=path.read_bytes(), file_name=path.name, viewer=staff, progress=progress
            )
        except InvalidInput as error:
            raise CommandError(error.message) from error
        sys.stderr.write("\n")
        for row, reason in report.errors[: options["max_errors"]]:
            self.stdout.write(f"第{row}行:{reason}")
        if len(report.errors) > options["max_errors"]:
            self.stdout.write(f"…另有 {len(report.errors) - options['max_errors']} 个错误行未显示")
        self.stdout.write(
            f"共 {report.total} 行:有效 {len(report.good)},错误 {len(report.errors)},"
            f"文件内重复 {report.duplicates_in_file}(校验用时 {time.monotonic() - started:.1f} 秒)"
        )
        if not options["commit"]:
            self.stdout.write("试运行:未导入任何数据。确认无误后加 --commit 导入有效行。")
            return
        ledger_import = LedgerImport.objects.create(
            file_name=path.name[:200],
            content=b"",
            uploaded_by=staff,
            status=ImportStatus.VALIDATED,
            rows_total=report.total,
            rows_processed=report.total,
            rows_good=len(report.good),
            rows_bad=len(report.errors),
            errors=[[row, reason] for row, reason in report.errors[:2000]],
        )
        imported, duplicate = ledger_commit(report=report, by=staff, ledger_import=ledger_import)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {imported} 条读数,已存在 {duplicate} 条(总用时 {time.monotonic() - started:.1f} 秒)"
            )
        )
