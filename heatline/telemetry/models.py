"""未诉先办 on live data (issue 19): the sensor register, raw readings, hourly roll-ups and the alerts
they raise.

Raw readings are kept a configurable number of days (rule `telemetry_raw_days`); on PostgreSQL their
table is partitioned by day (see migrations), elsewhere it is one plain table. Hourly roll-ups are what
detection, charts and the refund rule read.
"""

from typing import Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel
from heatline.registry.models import District, Household, Station


class SensorKind(models.TextChoices):
    ROOM = "room", _("室温采集器")  # in a household: celsius
    STATION = "station", _("换热站供回水")  # at a station: supply_c, return_c, pressure_mpa
    METER = "meter", _("热量表")  # household or building: energy_kwh, flow_m3h (and supply/return)
    OUTDOOR = "outdoor", _("室外温度")  # celsius, per district or company-wide


# Physical limits of a reading; beyond them the gateway is broken, not the weather.
CELSIUS_MIN: Final = -50.0
CELSIUS_MAX: Final = 60.0
WATER_C_MIN: Final = 0.0
WATER_C_MAX: Final = 150.0
PRESSURE_MPA_MAX: Final = 4.0
# Sensor ids per roll-up mark: a late reading re-rolls its hour for 1,024 sensors, not 100,000.
ROLLUP_BUCKET: Final = 1024


class Sensor(BaseModel):
    """One sensor of the register. Room sensors hang off a household, station sensors off a station,
    outdoor sensors off a district (or none: company-wide)."""

    code = models.CharField(_("传感器编号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=SensorKind.choices)
    household = models.ForeignKey(
        Household,
        verbose_name=_("热用户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sensors",
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("换热站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sensors",
    )
    district = models.ForeignKey(
        District,
        verbose_name=_("片区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("室温采集器取所在热用户的片区;室外温度计可不填(全公司)"),
    )
    room = models.CharField(_("房间"), max_length=20, blank=True)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    removed_on = models.DateField(_("拆除日期"), null=True, blank=True)
    # Kept by ingest (one UPDATE per batch): the newest reading, so "dead" (no reading for 6 h) is a query.
    last_reading_at = models.DateTimeField(_("最近读数时间"), null=True, blank=True, db_index=True)
    last_celsius = models.FloatField(_("最近温度(℃)"), null=True, blank=True)

    class Meta:
        verbose_name = _("传感器")
        verbose_name_plural = _("传感器")
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "district"], name="sensor_kind_district_idx")]

    def __str__(self) -> str:
        return self.code


class SensorReading(models.Model):
    """One raw reading. Stored once per (sensor, at): a replayed batch adds nothing."""

    pk = models.CompositePrimaryKey("sensor_id", "at")
    sensor = models.ForeignKey(
        Sensor, verbose_name=_("传感器"), on_delete=models.DO_NOTHING, db_constraint=False
    )
    at = models.DateTimeField(_("读数时间"))
    celsius = models.FloatField(_("温度(℃)"), null=True, blank=True)
    supply_c = models.FloatField(_("供水温度(℃)"), null=True, blank=True)
    return_c = models.FloatField(_("回水温度(℃)"), null=True, blank=True)
    pressure_mpa = models.FloatField(_("压力(MPa)"), null=True, blank=True)
    energy_kwh = models.FloatField(_("累计热量(kWh)"), null=True, blank=True)
    flow_m3h = models.FloatField(_("瞬时流量(m³/h)"), null=True, blank=True)

    class Meta:
        verbose_name = _("原始读数")
        verbose_name_plural = _("原始读数")

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.at:%Y-%m-%d %H:%M}"


class HourlyReading(models.Model):
    """One sensor's hour: what detection, charts and the refund rule read."""

    pk = models.CompositePrimaryKey("sensor_id", "hour")
    sensor = models.ForeignKey(
        Sensor, verbose_name=_("传感器"), on_delete=models.DO_NOTHING, db_constraint=False
    )
    hour = models.DateTimeField(_("小时"))  # the hour's start, UTC
    count = models.PositiveSmallIntegerField(_("读数条数"), default=0)
    celsius = models.FloatField(_("平均温度(℃)"), null=True, blank=True)
    celsius_min = models.FloatField(_("最低温度(℃)"), null=True, blank=True)
    celsius_max = models.FloatField(_("最高温度(℃)"), null=True, blank=True)
    supply_c = models.FloatField(_("平均供水温度(℃)"), null=True, blank=True)
    return_c = models.FloatField(_("平均回水温度(℃)"), null=True, blank=True)
    pressure_mpa = models.FloatField(_("平均压力(MPa)"), null=True, blank=True)
    energy_kwh = models.FloatField(_("小时末累计热量(kWh)"), null=True, blank=True)
    flow_m3h = models.FloatField(_("平均流量(m³/h)"), null=True, blank=True)

    class Meta:
        verbose_name = _("小时读数")
        verbose_name_plural = _("小时读数")
        indexes = [models.Index(fields=["hour"], name="hourly_hour_idx")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.hour:%Y-%m-%d %H}"


class RollupMark(models.Model):
    """An hour of raw readings that changed since the roll-up last saw it, for one block of sensor ids
    (`bucket` = sensor id // ROLLUP_BUCKET). Ingest marks it in the transaction that stores the readings;
    the roll-up claims it, recomputes that block's hour and deletes it. A late or replayed reading thus
    re-rolls exactly its hour, however old."""

    pk = models.CompositePrimaryKey("hour", "bucket")
    hour = models.DateTimeField(_("小时"))
    bucket = models.IntegerField(_("传感器分组"))
    marked_at = models.DateTimeField(_("首次标记时间"))

    class Meta:
        verbose_name = _("待汇总小时")
        verbose_name_plural = _("待汇总小时")

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H} #{self.bucket}"


class StationCurve(BaseModel):
    """A station's supply-temperature curve (供水温度调节曲线): straight between two points, supply at the
    design outdoor temperature and at the base outdoor temperature. Without a row the rule book's defaults
    (规则参数) apply."""

    station = models.OneToOneField(
        Station, verbose_name=_("换热站"), on_delete=models.CASCADE, related_name="curve"
    )
    supply_at_design_c = models.FloatField(_("设计室外温度时供水温度(℃)"))
    supply_at_base_c = models.FloatField(_("基准室外温度时供水温度(℃)"))

    class Meta:
        verbose_name = _("供水温度曲线")
        verbose_name_plural = _("供水温度曲线")

    def __str__(self) -> str:
        return str(self.station)


class AlertKind(models.TextChoices):
    ROOM_COLD = "room_cold", _("室温持续低于标准")
    STATION_SUPPLY_LOW = "supply_low", _("换热站供水温度偏低")
    SENSOR_DEAD = "dead", _("传感器离线")


class Alert(BaseModel):
    """One episode: opened when the condition holds, closed (with a note) when it no longer does. At most
    one open alert per kind and household / station / sensor: never a flood."""

    kind = models.CharField(_("类型"), max_length=12, choices=AlertKind.choices)
    sensor = models.ForeignKey(
        Sensor, verbose_name=_("传感器"), null=True, blank=True, on_delete=models.PROTECT
    )
    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("换热站"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        District, verbose_name=_("片区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    value = models.FloatField(_("触发值(℃)"), null=True, blank=True)  # the coldest hour / lowest supply
    expected = models.FloatField(_("标准值(℃)"), null=True, blank=True)  # the standard / the curve
    outdoor = models.FloatField(_("室外温度(℃)"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    close_note = models.CharField(_("结束说明"), max_length=300, blank=True)
    watch_entry = models.ForeignKey(
        "proactive.WatchEntry",
        verbose_name=_("关注户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("监测告警")
        verbose_name_plural = _("监测告警")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "household"],
                condition=models.Q(ended_at__isnull=True, household__isnull=False),
                name="alert_one_open_per_household",
            ),
            models.UniqueConstraint(
                fields=["kind", "station"],
                condition=models.Q(ended_at__isnull=True, station__isnull=False),
                name="alert_one_open_per_station",
            ),
            models.UniqueConstraint(
                fields=["kind", "sensor"],
                condition=models.Q(ended_at__isnull=True, sensor__isnull=False, kind="dead"),
                name="alert_one_open_dead_sensor",
            ),
        ]
        indexes = [models.Index(fields=["ended_at", "kind", "district"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"
