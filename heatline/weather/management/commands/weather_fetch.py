"""`heatline weather-fetch`: fetch the provider's daily forecast now (HEATLINE_WEATHER_URL, _KEY, _LOCATION).
A failure keeps the previous forecast, prints the error and exits 1."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from heatline.weather.services import weather_fetch


class Command(BaseCommand):
    help = "获取和风天气逐日预报并保存 / Fetch the daily forecast (QWeather v7) and store it."

    def handle(self, *args: Any, **options: Any) -> None:
        result = weather_fetch(now=timezone.now())
        if not result.is_ok:
            raise CommandError(
                f"获取预报失败,保留原有预报 / fetch failed, the previous forecast is kept: {result.error}"
            )
        assert result.forecast is not None
        for day in result.forecast.days:
            self.stdout.write(
                f"{day.date}  {day.low_c:+.0f} … {day.high_c:+.0f} ℃  日均 mean {day.mean_c:+.1f} ℃"
            )
        self.stdout.write(self.style.SUCCESS(f"已保存 {result.days} 天预报 / {result.days} days stored"))
