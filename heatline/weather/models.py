"""Outdoor temperature by day (forecast and observed) and the cold-snap outlook (issue 19)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel


class WeatherDay(BaseModel):
    """One day's outdoor temperature for the company's city: the newest forecast for it, and what was
    observed (from outdoor sensors, or the provider's history) once it is past. A past day keeps the last
    forecast made for it (the archive of what was expected)."""

    date = models.DateField(_("日期"), unique=True)
    forecast_mean_c = models.FloatField(_("预报日均气温(℃)"), null=True, blank=True)
    forecast_low_c = models.FloatField(_("预报最低气温(℃)"), null=True, blank=True)
    forecast_high_c = models.FloatField(_("预报最高气温(℃)"), null=True, blank=True)
    forecast_at = models.DateTimeField(_("预报发布时间"), null=True, blank=True)
    forecast_source = models.CharField(_("预报来源"), max_length=40, blank=True)
    observed_mean_c = models.FloatField(_("实测日均气温(℃)"), null=True, blank=True)
    observed_low_c = models.FloatField(_("实测最低气温(℃)"), null=True, blank=True)
    observed_source = models.CharField(_("实测来源"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("逐日气温")
        verbose_name_plural = _("逐日气温")
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)


class WeatherFetch(models.Model):
    """One attempt of `weather-fetch` (command or worker): when, whether it worked, and the error if not.
    The worker waits `HEATLINE_WEATHER_EVERY_HOURS` after an attempt; the dashboard shows the last error."""

    at = models.DateTimeField(_("获取时间"), db_index=True)
    is_ok = models.BooleanField(_("成功"), default=False)
    days = models.PositiveSmallIntegerField(_("预报天数"), default=0)
    source = models.CharField(_("来源"), max_length=40, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("预报获取记录")
        verbose_name_plural = _("预报获取记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'ok' if self.is_ok else 'error'}"
