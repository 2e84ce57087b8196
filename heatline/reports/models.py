"""Models of reports: the daily roll-up the dashboard and the summary read for past days."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The clock names the roll-up carries, in the column prefix order (requests.ClockName values).
ROLLUP_CLOCKS = ("intake", "contact", "repair", "arrival", "report", "callback")
CLOCK_PARTS = ("total", "met", "breached", "open")


class Cut(models.TextChoices):
    """Which dimension beyond day × district × category a row is split by ("" = none)."""

    ALL = "", _("全部")
    DISTRICT = "district", _("片区")  # day × district only (no category): the headline sums
    SOURCE = "source", _("来源")
    KIND = "kind", _("类型")
    TEAM = "team", _("班组")  # day × district × category × the team the request went to


class DailyFigure(models.Model):
    """Requests received on one local day in one district and category (and, in the `source`, `kind` and
    `team` cuts, one source, kind or team): every count the dashboard and `summary()` sum. Rebuilt by
    `rollup.rollup_refresh`, never edited by hand."""

    cut = models.CharField(_("维度"), max_length=8, choices=Cut.choices, blank=True)
    day = models.DateField(_("日期"))
    district_id = models.IntegerField(_("片区"), null=True)
    category_id = models.IntegerField(_("类别"), null=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=12, blank=True)
    team_id = models.IntegerField(_("班组"), null=True)

    total = models.IntegerField(default=0)
    excluded = models.IntegerField(default=0)
    counted = models.IntegerField(default=0)
    classified_in_time = models.IntegerField(default=0)
    resolved_at_intake = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)
    emergency = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    linked_calls = models.IntegerField(default=0)
    callbacks_made = models.IntegerField(default=0)
    callbacks_satisfied = models.IntegerField(default=0)
    callbacks_basic = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)

    intake_total = models.IntegerField(default=0)
    intake_met = models.IntegerField(default=0)
    intake_breached = models.IntegerField(default=0)
    intake_open = models.IntegerField(default=0)
    contact_total = models.IntegerField(default=0)
    contact_met = models.IntegerField(default=0)
    contact_breached = models.IntegerField(default=0)
    contact_open = models.IntegerField(default=0)
    repair_total = models.IntegerField(default=0)
    repair_met = models.IntegerField(default=0)
    repair_breached = models.IntegerField(default=0)
    repair_open = models.IntegerField(default=0)
    arrival_total = models.IntegerField(default=0)
    arrival_met = models.IntegerField(default=0)
    arrival_breached = models.IntegerField(default=0)
    arrival_open = models.IntegerField(default=0)
    report_total = models.IntegerField(default=0)
    report_met = models.IntegerField(default=0)
    report_breached = models.IntegerField(default=0)
    report_open = models.IntegerField(default=0)
    callback_total = models.IntegerField(default=0)
    callback_met = models.IntegerField(default=0)
    callback_breached = models.IntegerField(default=0)
    callback_open = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        indexes = [
            models.Index(fields=["cut", "day"], name="reports_daily_cut_day_idx"),
            models.Index(fields=["cut", "source", "kind", "day"], name="reports_daily_cut_dim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.cut} {self.district_id}"


class RollupDay(models.Model):
    """A local day whose roll-up rows are complete, and when they were computed (data as of)."""

    day = models.DateField(_("日期"), primary_key=True)
    refreshed_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("已汇总日期")
        verbose_name_plural = _("已汇总日期")

    def __str__(self) -> str:
        return f"{self.day} @ {self.refreshed_at}"


class PeriodSpan(models.Model):
    """The one span of days (a season to date) `PeriodHousehold` and `PeriodBuilding` count."""

    first_day = models.DateField(_("开始日期"))
    last_day = models.DateField(_("结束日期"))
    multi_district_households = models.IntegerField(default=0)
    refreshed_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("期间汇总范围")
        verbose_name_plural = _("期间汇总范围")

    def __str__(self) -> str:
        return f"{self.first_day} – {self.last_day}"


class PeriodHousehold(models.Model):
    """Requests per household over the span (top households, repeat requests); in the `source` and
    `kind` cuts per household and source or kind."""

    cut = models.CharField(_("维度"), max_length=8, choices=Cut.choices, blank=True)
    household_id = models.IntegerField(_("热用户"))
    district_id = models.IntegerField(_("片区"), null=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=12, blank=True)
    total = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("期间热用户汇总")
        verbose_name_plural = _("期间热用户汇总")
        indexes = [
            models.Index(
                fields=["cut", "source", "kind", "-total", "household_id"], name="reports_household_top_idx"
            ),
            models.Index(fields=["household_id", "cut", "source", "kind"], name="reports_household_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.total}"


class PeriodBuilding(models.Model):
    """Requests and complaints per building and district over the span (heat grid, top buildings);
    in the `source` and `kind` cuts per source or kind too."""

    cut = models.CharField(_("维度"), max_length=8, choices=Cut.choices, blank=True)
    building_id = models.IntegerField(_("楼栋"))
    community_id = models.IntegerField(_("小区"))
    number = models.CharField(_("楼号"), max_length=20, blank=True)
    district_id = models.IntegerField(_("片区"), null=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=12, blank=True)
    total = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("期间楼栋汇总")
        verbose_name_plural = _("期间楼栋汇总")
        indexes = [models.Index(fields=["cut", "source", "kind"], name="reports_building_cut_idx")]

    def __str__(self) -> str:
        return f"{self.building_id}: {self.total}"


class PeriodRepeat(models.Model):
    """Households with two or more requests over the span, and their requests, per district (and cut)."""

    cut = models.CharField(_("维度"), max_length=8, choices=Cut.choices, blank=True)
    district_id = models.IntegerField(_("片区"), null=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=12, blank=True)
    households = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("期间重复诉求汇总")
        verbose_name_plural = _("期间重复诉求汇总")

    def __str__(self) -> str:
        return f"{self.district_id}: {self.households}"
