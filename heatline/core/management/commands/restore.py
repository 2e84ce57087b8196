"""`heatline restore FILE --yes`: replace the database and put the photos back from a checked archive."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.backup import backup_restore, backup_verify
from heatline.core.errors import InvalidInput


class Command(BaseCommand):
    help = "从备份恢复数据库与照片(先校验;会替换当前数据库)。/ Restore the database and photos from a backup."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="heatline backup 生成的 .tar 文件 / the archive")
        parser.add_argument(
            "--yes", action="store_true", help="确认替换当前数据库 / confirm replacing the database"
        )
        parser.add_argument("--check", action="store_true", help="只校验,不恢复 / verify only")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            if options["check"] or not options["yes"]:
                manifest = backup_verify(path)
                self.stdout.write(
                    f"校验通过 / verified: {manifest['created_at']} {manifest['vendor']} {manifest['counts']}"
                )
                if not options["check"]:
                    raise CommandError(
                        "恢复会替换当前数据库:确认请加 --yes / restoring replaces the database: add --yes"
                    )
                return
            before, now = backup_restore(path=path, say=lambda m: self.stderr.write(m))
        except InvalidInput as error:
            raise CommandError(error.message) from error
        for name, count in before.items():
            mark = "✓" if now.get(name) == count else "✗"
            self.stdout.write(f"{mark} {name}: 备份 {count},恢复后 {now.get(name)}")
        if before != now:
            raise CommandError("恢复后的行数与备份清单不一致 / counts differ from the manifest")
        self.stdout.write(self.style.SUCCESS("恢复完成 / restored"))
