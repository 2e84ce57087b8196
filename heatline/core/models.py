from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Every table carries when it was created and last changed."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class HeatingSeason(BaseModel):
    """采暖期: one row a season. `year` is the year the season starts (2026 = winter 2026/27)."""

    year = models.PositiveSmallIntegerField(_("采暖年度"), unique=True, help_text=_("采暖期开始的年份"))
    trial_start = models.DateField(_("试供热日"), null=True, blank=True)
    first_heating_day = models.DateField(_("供热首日"))
    last_day = models.DateField(_("停热日"))
    extended_end = models.DateField(_("延长供热至"), null=True, blank=True)

    class Meta:
        verbose_name = _("采暖期")
        verbose_name_plural = _("采暖期")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gt=models.F("first_heating_day")),
                name="season_ends_after_it_starts",
                violation_error_message=_("停热日必须晚于供热首日"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}–{self.year + 1}"


class WorkdayOverride(BaseModel):
    """An administrator's word on one date; it wins over the chinese-calendar package."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_working_day else '休息日'}"


class RuleSetting(BaseModel):
    """One admin-editable number of the rule book; the code holds the rule book's value as default."""

    key = models.CharField(_("参数"), max_length=64, unique=True)
    value = models.DecimalField(_("取值"), max_digits=12, decimal_places=3)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("规则参数")
        verbose_name_plural = _("规则参数")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


class AuditEvent(models.Model):
    """Append-only record of a change to anything that is not a request (requests keep their own events)."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    action = models.CharField(_("动作"), max_length=64)
    note = models.TextField(_("说明"), blank=True)
    extra: "models.JSONField[Any]" = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.object_type}#{self.object_id} {self.action}"


class ImportKind(models.TextChoices):
    REGISTER = "register", _("收费系统房产档案")  # heatline import-register
    STAFF = "staff", _("组织机构与人员")  # heatline import-staff
    REQUESTS = "requests", _("历史诉求工单")  # heatline import-requests
    SENSORS = "sensors", _("传感器台账")  # heatline import-sensors


class DataImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")  # uploaded on the page; the worker takes it
    RUNNING = "running", _("处理中")  # rows being read (rows_processed moves)
    CHECKED = "checked", _("已校验")  # the row report is ready; nothing written
    DONE = "done", _("已写入")  # written (all rows, one transaction)
    FAILED = "failed", _("失败")  # the file could not be read (wrong type, header, encoding)


class DataImport(models.Model):
    """One run of an import (console or page): its file, who ran it, its row report, whether it wrote.
    A page upload keeps the file until it is written; the worker reads it with progress."""

    kind = models.CharField(_("导入类型"), max_length=10, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件校验和"), max_length=64)
    content = models.BinaryField(_("文件内容"), editable=False, default=b"")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DataImportStatus.choices, default=DataImportStatus.QUEUED
    )
    commit_requested = models.BooleanField(_("确认写入"), default=False)
    send_sms = models.BooleanField(_("短信发送登录链接"), default=False)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_processed = models.PositiveIntegerField(_("已处理行数"), default=0)
    committed = models.BooleanField(_("已写入"), default=False)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    report: "models.JSONField[Any]" = models.JSONField(_("导入报告"), default=dict, blank=True)

    class Meta:
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["started_at"], name="data_import_queued_idx", condition=models.Q(status="queued")
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} {self.started_at:%Y-%m-%d %H:%M}"
