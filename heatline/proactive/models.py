"""未诉先办 (第四条): ledgers imported, the low-temperature watch list, visits, room readings."""

from typing import Any, Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel, HeatingSeason
from heatline.registry.models import Building, District, Household
from heatline.requests.models import Cause, ServiceRequest


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("待校验")  # uploaded; the worker validates large files
    VALIDATED = "validated", _("待确认")  # row report ready; nothing imported yet
    COMMITTED = "committed", _("已导入")  # good rows imported in one transaction
    FAILED = "failed", _("无法读取")  # the file could not be read at all


class LedgerImport(BaseModel):
    """One upload of a 测温台账 file: its row report, then (on confirmation) its readings."""

    file_name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_processed = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_good = models.PositiveIntegerField(_("有效行数"), default=0)
    rows_bad = models.PositiveIntegerField(_("错误行数"), default=0)
    rows_imported = models.PositiveIntegerField(_("新导入读数"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("已存在读数"), default=0)
    errors: "models.JSONField[Any]" = models.JSONField(_("错误行"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("测温台账导入")
        verbose_name_plural = _("测温台账导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class ReadingSource(models.TextChoices):
    LEDGER = "ledger", _("测温台账")  # imported from last season's ledger
    VISIT = "visit", _("上门测温")  # measured at a proactive visit
    REMEASURE = "remeasure", _("处理后复测")  # measured again 30 minutes after a fix


class Reading(models.Model):
    """One room temperature. Whether it counts towards a refund (黑龙江) is decided and kept with it."""

    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), on_delete=models.PROTECT, related_name="room_readings"
    )
    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("采暖期"), null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.CharField(_("来源"), max_length=10, choices=ReadingSource.choices)
    measured_on = models.DateField(_("测温日期"))
    measured_at = models.DateTimeField(
        _("测温时间"), null=True, blank=True
    )  # None: the ledger gave a date only
    room = models.CharField(_("房间"), max_length=20)
    temperature = models.DecimalField(_("温度(℃)"), max_digits=4, decimal_places=1)
    cause = models.ForeignKey(Cause, verbose_name=_("原因"), null=True, blank=True, on_delete=models.PROTECT)
    cause_text = models.CharField(_("原因(原文)"), max_length=100, blank=True)
    instrument_id = models.CharField(_("仪器编号"), max_length=40, blank=True)
    is_calibrated = models.BooleanField(_("仪器已检定"), default=False)
    counts_for_refund = models.BooleanField(_("计入退费认定"), default=False)
    not_counting_reason = models.CharField(_("不计入原因"), max_length=100, blank=True)
    visit = models.ForeignKey(
        "Visit",
        verbose_name=_("上门服务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="readings",
    )
    ledger_import = models.ForeignKey(
        LedgerImport, verbose_name=_("导入批次"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # Ledger rows only: household|date[time]|room — importing the same file twice adds nothing.
    dedupe_key = models.CharField(_("去重键"), max_length=80, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("室温读数")
        verbose_name_plural = _("室温读数")
        ordering = ["measured_on", "id"]
        indexes = [
            models.Index(fields=["season", "household"], name="reading_season_household_idx"),
            models.Index(fields=["household", "measured_on"], name="reading_household_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.measured_on} {self.room} {self.temperature}"


class EntryStatus(models.TextChoices):
    PLANNED = "planned", _("待预约")  # on the list, visit planned, booking call not yet made
    BOOKED = "booked", _("已预约")  # the household agreed a visit time
    LOW = "low", _("低于标准待处理")  # measured (or re-measured) under 20 ℃, no fix yet
    SPECIALISTS = "specialists", _("专业维修中")  # specialists brought in: a linked request is open
    FIXED = "fixed", _("待复测")  # fixed; the radiator is measured again 30 minutes later
    FOLLOWUP = "followup", _("待电话回访")  # temperature normal; a call confirms it holds
    DONE = "done", _("已确认")  # the follow-up call confirmed the temperature holds
    REMOVED = "removed", _("已移出")  # removed by staff, with a reason


OPEN_ENTRY_STATUSES: Final = frozenset(
    {
        EntryStatus.PLANNED,
        EntryStatus.BOOKED,
        EntryStatus.LOW,
        EntryStatus.SPECIALISTS,
        EntryStatus.FIXED,
        EntryStatus.FOLLOWUP,
    }
)


class ManualDecision(models.TextChoices):
    NONE = "", _("无")
    ADDED = "added", _("人工加入")  # kept on the list whatever a rebuild finds
    REMOVED = "removed", _("人工移出")  # kept off the list whatever a rebuild finds


class EntrySource(models.TextChoices):
    LEDGER = "ledger", _("上季台账与投诉")  # found by the list's rebuild from last season
    MANUAL = "manual", _("人工加入")
    TELEMETRY = "telemetry", _("在线监测")  # a room sensor stayed under the standard (issue 19)


class WatchEntry(BaseModel):
    """低温用户重点关注清单: one household for one season, with its visit plan and how far it got.

    The stage timestamps live here (not only on visits) so progress per district is one grouped query.
    """

    season = models.ForeignKey(HeatingSeason, verbose_name=_("采暖期"), on_delete=models.PROTECT)
    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), on_delete=models.PROTECT, related_name="watch_entries"
    )
    # Copies of household.building and building.district, kept for scoping and grouping without joins.
    # No database constraint: the household's own protected link already guarantees them, and a list of
    # 100,000s of rows is written in one COPY without two more foreign-key checks per row.
    district = models.ForeignKey(
        District, verbose_name=_("片区"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.PLANNED
    )
    priority = models.PositiveSmallIntegerField(
        _("优先级"), default=3, help_text=_("1 级最优先:最冷、反复最多")
    )
    score = models.PositiveIntegerField(_("排序值"), default=0, help_text=_("同级内越小越优先"))
    is_candidate = models.BooleanField(_("符合入选条件"), default=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=EntrySource.choices, default=EntrySource.LEDGER, blank=True
    )
    min_temperature = models.DecimalField(
        _("上季最低室温"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    low_reading_count = models.PositiveIntegerField(_("上季低温读数"), default=0)
    complaint_count = models.PositiveIntegerField(_("上季低温诉求"), default=0)
    rooms: "models.JSONField[Any]" = models.JSONField(_("上季分房间室温"), default=dict, blank=True)
    causes: "models.JSONField[Any]" = models.JSONField(_("已知原因"), default=list, blank=True)
    manual = models.CharField(
        _("人工决定"), max_length=10, choices=ManualDecision.choices, default=ManualDecision.NONE, blank=True
    )
    manual_reason = models.CharField(_("人工决定原因"), max_length=200, blank=True)
    manual_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上门人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="watch_visits",
    )
    planned_for = models.DateField(_("计划上门日"), null=True, blank=True)
    booking_due_on = models.DateField(_("预约电话应打日"), null=True, blank=True)
    booked_at = models.DateTimeField(_("预约成功"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("预约上门时间"), null=True, blank=True)
    visited_at = models.DateTimeField(_("上门时间"), null=True, blank=True)
    was_below_standard = models.BooleanField(_("上门时低于标准"), default=False)
    fixed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    remeasure_due_at = models.DateTimeField(_("复测到期"), null=True, blank=True)
    remeasure_warned_at = models.DateTimeField(_("复测已提醒"), null=True, blank=True)
    remeasured_at = models.DateTimeField(_("复测时间"), null=True, blank=True)
    followup_due_on = models.DateField(_("电话回访应打日"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("回访确认"), null=True, blank=True)
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("专业维修工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("低温关注户")
        verbose_name_plural = _("低温用户重点关注清单")
        ordering = ["priority", "score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["season", "household"], name="watch_entry_unique_household")
        ]
        indexes = [
            models.Index(fields=["season", "district", "status"], name="watch_season_district_idx"),
            models.Index(fields=["season", "priority", "score"], name="watch_season_priority_idx"),
            models.Index(fields=["assignee", "planned_for"], name="watch_assignee_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.season} {self.household_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ENTRY_STATUSES


class BookingResult(models.TextChoices):
    REACHED = "reached", _("已接通并预约")
    NOT_REACHED = "not_reached", _("未接通")
    RESCHEDULED = "rescheduled", _("改约")


class BookingCall(models.Model):
    """Append-only: each booking call made the day before a visit (第四条.2)."""

    entry = models.ForeignKey(
        WatchEntry, verbose_name=_("关注户"), on_delete=models.CASCADE, related_name="calls"
    )
    at = models.DateTimeField(_("通话时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("致电人"), on_delete=models.PROTECT)
    result = models.CharField(_("结果"), max_length=12, choices=BookingResult.choices)
    new_time = models.DateTimeField(_("约定时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("预约电话")
        verbose_name_plural = _("预约电话")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.result}"


class VisitAction(models.TextChoices):
    NONE = "", _("无需处理")  # every room at or above the standard
    FIXED = "fixed", _("现场处理")  # fixed on the spot; re-measure in 30 minutes
    SPECIALISTS = "specialists", _("转专业维修")  # opens a request routed as usual


class Visit(models.Model):
    """上门服务: one visit to a household on the list, with its readings and what was done."""

    entry = models.ForeignKey(
        WatchEntry, verbose_name=_("关注户"), on_delete=models.PROTECT, related_name="visits"
    )
    at = models.DateTimeField(_("上门时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上门人员"), on_delete=models.PROTECT)
    instrument_id = models.CharField(_("仪器编号"), max_length=40)
    instrument_certificate = models.CharField(_("检定证书号"), max_length=60, blank=True)
    is_calibrated = models.BooleanField(_("仪器在检定有效期内"), default=False)
    cause = models.ForeignKey(Cause, verbose_name=_("原因"), null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(_("处理"), max_length=12, choices=VisitAction.choices, blank=True, default="")
    action_note = models.CharField(_("处理说明"), max_length=300, blank=True)
    photo = models.FileField(_("照片"), upload_to="proactive/visits/%Y/%m", null=True, blank=True)
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("专业维修工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.at:%Y-%m-%d %H:%M}"


class FollowupResult(models.TextChoices):
    HOLDS = "holds", _("室温保持正常")
    STILL_COLD = "still_cold", _("仍然偏低")
    NOT_REACHED = "not_reached", _("未接通")


class FollowupCall(models.Model):
    """Append-only: the follow-up call after a visit (第四条.3)."""

    entry = models.ForeignKey(
        WatchEntry, verbose_name=_("关注户"), on_delete=models.CASCADE, related_name="followups"
    )
    at = models.DateTimeField(_("通话时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT)
    result = models.CharField(_("结果"), max_length=12, choices=FollowupResult.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("电话回访")
        verbose_name_plural = _("电话回访")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.result}"
