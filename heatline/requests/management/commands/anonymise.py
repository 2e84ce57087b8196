"""`heatline anonymise --before DATE [--commit]`: remove callers' names and phones of requests closed
before DATE (the worker does it daily for the retention period of 规则参数); figures are kept."""

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from heatline.requests.retention import anonymise_count, personal_data_anonymise, retention_cutoff


class Command(BaseCommand):
    help = "删除早于某日办结的诉求中来电人姓名与电话(统计数据保留)。默认试运行。/ Anonymise closed requests."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--before", help="日期 YYYY-MM-DD(默认:今天减去保存期限)/ date; default: the retention period"
        )
        parser.add_argument("--commit", action="store_true", help="执行删除 / do it")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["before"]:
            try:
                day = dt.date.fromisoformat(options["before"])
            except ValueError as error:
                raise CommandError(f"日期无效 / invalid date: {options['before']}") from error
            before = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        else:
            before = retention_cutoff(timezone.now())
        if before > timezone.now():
            raise CommandError("日期不能晚于今天 / the date cannot be in the future")
        count = anonymise_count(before=before)
        if not options["commit"]:
            self.stdout.write(
                f"试运行:{count} 件 {before:%Y-%m-%d} 前办结的诉求含个人信息;加 --commit 删除。/ dry run: {count} requests"
            )
            return
        requests, messages = personal_data_anonymise(before=before)
        self.stdout.write(
            self.style.SUCCESS(
                f"已匿名化 {requests} 件诉求、{messages} 条短信 / anonymised {requests} requests, {messages} messages"
            )
        )
