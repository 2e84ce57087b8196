"""`heatline watchlist-build SEASON`: build the 低温用户重点关注清单 for the season starting in SEASON."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.seasons import season_get
from heatline.proactive.services import watchlist_build


class Command(BaseCommand):
    help = "按上一采暖期的低温诉求与测温台账生成(或重建)本采暖期的低温用户重点关注清单。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("season", type=int, help="采暖期开始的年份,如 2026")

    def handle(self, *args: Any, **options: Any) -> None:
        season = season_get(options["season"])
        if season is None:
            raise CommandError(f"采暖期不存在:{options['season']}(请先在管理后台登记采暖期)")
        result = watchlist_build(season=season, by=None, progress=lambda message: self.stdout.write(message))
        self.stdout.write(
            self.style.SUCCESS(
                f"新加入 {result.created},更新 {result.updated},移除 {result.dropped},"
                f"保留人工决定 {result.kept_manual},排定上门 {result.planned};清单共 {result.total} 户"
            )
        )
