"""`heatline hazard-areas SEASON`: compute the season's high-risk areas (第五条.1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heatline.core.seasons import season_get
from heatline.inspections.models import Level
from heatline.inspections.services import hazard_detect


class Command(BaseCommand):
    help = "计算某采暖期的高风险隐患区域(SEASON 为采暖期开始的年份)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("season", type=int, help="采暖期开始的年份,如 2025 表示 2025–2026 采暖期")
        parser.add_argument("--quiet", action="store_true", help="只输出汇总")

    def handle(self, *args: Any, **options: Any) -> None:
        season = season_get(options["season"])
        if season is None:
            raise CommandError(f"没有 {options['season']} 采暖期的记录")
        areas = hazard_detect(season=season)
        communities = sum(1 for a in areas if a.level == Level.COMMUNITY)
        if not options["quiet"]:
            for area in sorted(areas, key=lambda a: (a.level, -a.households)):
                causes = ", ".join(
                    f"{c['name']}({'/'.join(str(y) for y in c['seasons'])})"
                    for c in area.evidence.get("causes", [])
                )
                self.stdout.write(
                    f"{area.get_level_display()}\t{area.pk}\t{area.name}\t{area.households}户\t"
                    f"{area.request_count}件\t{causes}"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"{season}: 高风险区域 {len(areas)} 个(小区 {communities},楼栋 {len(areas) - communities})"
            )
        )
