"""`heatline backup DIR`: the database and the uploaded photos in one checked archive (run it nightly)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.backup import backup_create
from heatline.core.errors import InvalidInput


class Command(BaseCommand):
    help = "备份数据库与上传的照片(含清单和校验和)。/ Back up the database and the uploaded photos."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory", help="备份目录 / where the archive is written")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup_create(directory=Path(options["directory"]), say=lambda m: self.stderr.write(m))
        except InvalidInput as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"备份完成 / backup written: {path}"))
