"""第五条: high-risk hazard areas, the post-season inspection campaign and the rectification ledger."""

import datetime as dt
from typing import Any, Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.core.models import BaseModel, HeatingSeason
from heatline.registry.models import (
    Building,
    Community,
    District,
    Household,
    PartnerBody,
    PipeSection,
    Station,
    Unit,
)


class Level(models.TextChoices):
    COMMUNITY = "community", _("小区")  # the whole community
    BUILDING = "building", _("楼栋")  # one building


class HazardArea(BaseModel):
    """高风险隐患区域 of one season: detected (第五条.1) or added by hand with a reason."""

    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("采暖期"), on_delete=models.PROTECT, related_name="hazard_areas"
    )
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    community = models.ForeignKey(
        Community, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(District, verbose_name=_("片区"), on_delete=models.PROTECT, related_name="+")
    households = models.PositiveIntegerField(_("诉求户数"), default=0)
    request_count = models.PositiveIntegerField(_("诉求件数"), default=0)
    hazard_seasons = models.PositiveSmallIntegerField(_("隐患原因出现的采暖期数"), default=0)
    is_detected = models.BooleanField(_("系统判定"), default=False)
    is_manual = models.BooleanField(_("人工添加"), default=False)
    reason = models.TextField(_("人工添加理由"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    detected_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    # {"causes": [{"code", "name", "seasons": [year…]}], "requests": [number…], "household_ids": […]}
    evidence: "models.JSONField[Any]" = models.JSONField(_("判定依据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("高风险隐患区域")
        verbose_name_plural = _("高风险隐患区域")
        ordering = ["-season__year", "level", "community_id", "building_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["season", "community"],
                condition=models.Q(level="community"),
                name="hazard_area_unique_community",
            ),
            models.UniqueConstraint(
                fields=["season", "building"],
                condition=models.Q(level="building"),
                name="hazard_area_unique_building",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.level == Level.BUILDING and self.building is not None:
            return str(self.building)
        return self.community.name


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", _("排查中")  # the team is working through the ledger
    CLOSED = "closed", _("已结束")  # every area inspected; open items still followed up


class Campaign(BaseModel):
    """停暖后隐患排查 of one season (第五条.2)."""

    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("采暖期"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    starts_on = models.DateField(_("开始日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("隐患排查")
        verbose_name_plural = _("隐患排查")
        ordering = ["-season__year", "-id"]
        constraints = [models.UniqueConstraint(fields=["season"], name="campaign_unique_season")]

    def __str__(self) -> str:
        return self.name


class MemberKind(models.TextChoices):
    COMPANY_STAFF = "company_staff", _("公司人员")
    STATION_TECHNICIAN = "station_technician", _("换热站技术人员")


class CampaignMember(BaseModel):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("隐患排查"), on_delete=models.CASCADE, related_name="members"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("身份"), max_length=20, choices=MemberKind.choices)

    class Meta:
        verbose_name = _("排查队员")
        verbose_name_plural = _("排查队员")
        constraints = [models.UniqueConstraint(fields=["campaign", "staff"], name="member_unique_staff")]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_kind_display()}"


class CampaignArea(BaseModel):
    """One high-risk area in a campaign's inspection ledger (排查台账)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("隐患排查"), on_delete=models.CASCADE, related_name="areas"
    )
    hazard_area = models.ForeignKey(
        HazardArea, verbose_name=_("高风险区域"), on_delete=models.PROTECT, related_name="campaign_areas"
    )

    class Meta:
        verbose_name = _("排查区域")
        verbose_name_plural = _("排查区域")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "hazard_area"], name="campaign_area_unique")
        ]

    def __str__(self) -> str:
        return str(self.hazard_area)


class AssetType(models.TextChoices):
    NETWORK = "network", _("户外供热管网")
    STATION = "station", _("换热站")
    RISER = "riser", _("单元立管")


class CheckKind(models.TextChoices):
    # outdoor network
    RUST = "rust", _("管道锈蚀")
    LEAK_POINTS = "leak_points", _("漏点排查")
    CLEARING = "clearing", _("易堵管段清理")
    LEAKED_REPLACE = "leaked_replace", _("上季漏水管段:更换")  # company-owned
    LEAKED_NOTIFY = "leaked_notify", _("上季漏水管段:通知产权人")  # someone else's
    # heat-exchange station
    PUMPS = "pumps", _("水泵运行")
    VALVE_SEALS = "valve_seals", _("阀门密封")
    PRESSURE_GAUGES = "pressure_gauges", _("压力表读数")
    PARTS_REPLACED = "parts_replaced", _("老旧部件现场更换")
    # building risers
    RESIDENTS_NOTIFIED = "residents_notified", _("经社区提前通知居民")
    DOOR_TO_DOOR = "door_to_door", _("逐户入户检查")
    AGED_PIPE_REMINDERS = "aged_pipe_reminders", _("提醒管道老化用户更换")


CHECKS_BY_ASSET: Final[dict[str, tuple[str, ...]]] = {
    AssetType.NETWORK: (CheckKind.RUST, CheckKind.LEAK_POINTS, CheckKind.CLEARING),
    AssetType.STATION: (
        CheckKind.PUMPS,
        CheckKind.VALVE_SEALS,
        CheckKind.PRESSURE_GAUGES,
        CheckKind.PARTS_REPLACED,
    ),
    AssetType.RISER: (CheckKind.RESIDENTS_NOTIFIED, CheckKind.AGED_PIPE_REMINDERS),
}


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("待检查")
    DONE = "done", _("已检查")


class ChecklistItem(BaseModel):
    """One line of the inspection ledger: what to check on which asset, and what was found."""

    campaign_area = models.ForeignKey(
        CampaignArea, verbose_name=_("排查区域"), on_delete=models.CASCADE, related_name="checklist"
    )
    asset_type = models.CharField(_("资产类型"), max_length=10, choices=AssetType.choices)
    kind = models.CharField(_("检查项"), max_length=24, choices=CheckKind.choices)
    pipe_section = models.ForeignKey(
        PipeSection, verbose_name=_("管段"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("换热站"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单元"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    is_ok = models.BooleanField(_("正常"), null=True, blank=True)
    result = models.TextField(_("检查结果"), blank=True)
    supply_pressure = models.DecimalField(
        _("供水压力(MPa)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    return_pressure = models.DecimalField(
        _("回水压力(MPa)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    part_replaced = models.CharField(_("更换部件"), max_length=100, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("排查检查项")
        verbose_name_plural = _("排查检查项")
        ordering = ["campaign_area_id", "asset_type", "id"]

    def __str__(self) -> str:
        return f"{self.get_asset_type_display()} {self.get_kind_display()} {self.asset_label}"

    @property
    def asset_label(self) -> str:
        for asset in (self.unit, self.building, self.station, self.pipe_section):
            if asset is not None:
                return str(asset)
        return ""


class NoticeKind(models.TextChoices):
    OWNER = "owner", _("通知管段产权人")  # a leaked pipe the company does not own
    RESIDENTS = "residents", _("经社区通知居民")  # before door-to-door checks
    AGED_PIPE = "aged_pipe", _("提醒用户更换老化管道")  # one household


class Notice(BaseModel):
    """A notice given during the inspection, recorded (append-only): owner, residents, one household."""

    campaign_area = models.ForeignKey(
        CampaignArea, verbose_name=_("排查区域"), on_delete=models.CASCADE, related_name="notices"
    )
    checklist_item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("检查项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=NoticeKind.choices)
    pipe_section = models.ForeignKey(
        PipeSection, verbose_name=_("管段"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(
        PartnerBody,
        verbose_name=_("被通知单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("热用户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(_("被通知人"), max_length=100, blank=True)
    channel = models.CharField(_("方式"), max_length=30, default="")
    note = models.TextField(_("内容"), blank=True)
    at = models.DateTimeField(_("通知时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("通知人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("通知记录")
        verbose_name_plural = _("通知记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.recipient}"


class Finding(BaseModel):
    """A hazard found on an asset (发现的隐患). Every finding becomes one rectification item."""

    campaign_area = models.ForeignKey(
        CampaignArea, verbose_name=_("排查区域"), on_delete=models.PROTECT, related_name="findings"
    )
    checklist_item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("检查项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    asset_type = models.CharField(_("资产类型"), max_length=10, choices=AssetType.choices)
    pipe_section = models.ForeignKey(
        PipeSection, verbose_name=_("管段"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("换热站"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单元"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("隐患描述"))
    is_fixed_on_spot = models.BooleanField(_("现场整改"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发现人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("发现时间"))

    class Meta:
        verbose_name = _("隐患发现")
        verbose_name_plural = _("隐患发现")
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pipe_section__isnull=False)
                | models.Q(station__isnull=False)
                | models.Q(building__isnull=False)
                | models.Q(unit__isnull=False),
                name="finding_has_asset",
                violation_error_message=_("隐患必须指明资产"),
            )
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def asset_label(self) -> str:
        for asset in (self.unit, self.building, self.station, self.pipe_section):
            if asset is not None:
                return str(asset)
        return ""


class Photo(BaseModel):
    finding = models.ForeignKey(
        Finding, verbose_name=_("隐患"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to="inspections/%Y/%m/")
    content_type = models.CharField(_("类型"), max_length=40, default="image/jpeg")

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name or ""


class ItemKind(models.TextChoices):
    REPAIR = "repair", _("隐患整改")  # from a finding
    REPLACEMENT = "replacement", _("管段更换")  # a company-owned pipe that leaked last season


class ItemStatus(models.TextChoices):
    OPEN = "open", _("整改中")  # not fixed yet: responsible person, due date, progress
    COMPLETED = "completed", _("已完成")  # fixed (on the spot or later), with its result


class RectificationItem(BaseModel):
    """One line of the rectification ledger (隐患整改台账, 第五条.3)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("隐患排查"), on_delete=models.PROTECT, related_name="items"
    )
    campaign_area = models.ForeignKey(
        CampaignArea, verbose_name=_("排查区域"), on_delete=models.PROTECT, related_name="items"
    )
    finding = models.OneToOneField(
        Finding,
        verbose_name=_("隐患发现"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="item",
    )
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices, default=ItemKind.REPAIR)
    asset_type = models.CharField(_("资产类型"), max_length=10, choices=AssetType.choices)
    pipe_section = models.ForeignKey(
        PipeSection, verbose_name=_("管段"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("隐患描述"))
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_items",
    )
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    result = models.TextField(_("整改结果"), blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改台账")
        ordering = ["campaign_id", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="rectification_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed") | ~models.Q(result=""),
                name="rectification_completed_has_result",
                violation_error_message=_("完成的整改事项必须填写整改结果"),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description[:40]}"

    @property
    def asset_label(self) -> str:
        if self.finding is not None:
            return self.finding.asset_label
        return str(self.pipe_section) if self.pipe_section is not None else ""

    def is_overdue_on(self, today: "dt.date") -> bool:
        return self.status == ItemStatus.OPEN and self.due_on is not None and self.due_on < today


class ProgressUpdate(models.Model):
    """Append-only progress of an open item (跟踪督办)."""

    item = models.ForeignKey(
        RectificationItem, verbose_name=_("整改事项"), on_delete=models.CASCADE, related_name="updates"
    )
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+"
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"))
    note = models.TextField(_("进展说明"))

    class Meta:
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.progress}%"
