"""Incidents (停热/故障事件, issue 10): one fault or planned outage, the households it affects, the calls it absorbs."""

from typing import Any, Final

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import Building, Community, District, PipeSection, Station, Team
from heatline.requests.models import Category, Cause, ServiceRequest


class IncidentKind(models.TextChoices):
    FAULT = "fault", _("故障停热")  # unplanned: a burst main, a failed station
    PLANNED = "planned", _("计划停热/检修")  # entered ahead with its window and announced


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("处置中")  # heat is off (or, planned, will be off in the announced window)
    RESTORED = "restored", _("已恢复")  # heat is back; the linked callers are not yet told
    CLOSED = "closed", _("已办结")  # results reported to every linked call; callbacks running


# Statuses in which calls are linked and the intake screen shows the incident.
ACTIVE_STATUSES: Final = frozenset({IncidentStatus.OPEN, IncidentStatus.RESTORED})


class IncidentAction(models.TextChoices):
    OPEN = "open", _("建立事件")
    UPDATE = "update", _("修改")
    ARRIVE = "arrive", _("抢修到场")
    RESTORE = "restore", _("恢复供热")
    CLOSE = "close", _("反馈结果并办结")
    LINK = "link", _("关联来电")
    CALLBACKS = "callbacks", _("批量回访")


class IncidentClockName(models.TextChoices):
    ARRIVAL = "arrival", _("抵达现场(1小时)")  # 第七条.2 emergency: on site within the hour
    REPORT = "report", _("反馈结果(2小时)")  # 第七条.2: results reported within 2 h of completion


class Incident(models.Model):
    """One fault or planned outage. At least one asset; its buildings are derived from the register."""

    kind = models.CharField(
        _("类型"), max_length=10, choices=IncidentKind.choices, default=IncidentKind.FAULT
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    title = models.CharField(_("事件名称"), max_length=100)
    description = models.TextField(_("情况说明"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("诉求类别"), null=True, blank=True, on_delete=models.PROTECT
    )
    station = models.ForeignKey(
        Station, verbose_name=_("换热站"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pipe_section = models.ForeignKey(
        PipeSection, verbose_name=_("管段"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        District,
        verbose_name=_("主要片区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    crew = models.ForeignKey(
        Team, verbose_name=_("抢修班组"), null=True, blank=True, on_delete=models.PROTECT
    )
    started_at = models.DateTimeField(_("停热开始"), db_index=True)
    expected_restore_at = models.DateTimeField(_("预计恢复"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    restored_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    cause = models.ForeignKey(Cause, verbose_name=_("原因"), null=True, blank=True, on_delete=models.PROTECT)
    result = models.TextField(_("处置结果"), blank=True)
    households_affected = models.PositiveIntegerField(_("影响户数"), default=0)
    # The affected area drawn on the map: one WGS84 ring [[lon, lat], …]; the buildings inside it are affected.
    area: "models.JSONField[Any]" = models.JSONField(_("影响范围"), null=True, blank=True)
    buildings = models.ManyToManyField(
        Building, verbose_name=_("影响楼栋"), through="IncidentBuilding", related_name="incidents"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("停热故障事件")
        verbose_name_plural = _("停热故障事件")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(station__isnull=False)
                | models.Q(pipe_section__isnull=False)
                | models.Q(building__isnull=False)
                | models.Q(community__isnull=False)
                | models.Q(area__isnull=False),
                name="incident_has_an_asset",
                violation_error_message=_(
                    "请至少选择一项受影响的设施(换热站、管段、楼栋或小区),或在地图上划定范围"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(restored_at__isnull=True)
                | models.Q(restored_at__gte=models.F("started_at")),
                name="incident_restored_after_start",
                violation_error_message=_("恢复时间不能早于停热开始时间"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"SJ{self.pk or 0:06d}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def state_label(self) -> str:
        """The status as people read it: a planned outage that has not begun is announced, not in hand."""
        if (
            self.kind == IncidentKind.PLANNED
            and self.status == IncidentStatus.OPEN
            and self.started_at > timezone.now()
        ):
            return str(_("已公告,未开始"))
        return str(self.get_status_display())  # type: ignore[attr-defined]

    @property
    def asset_label(self) -> str:
        parts = [
            str(asset) for asset in (self.station, self.pipe_section, self.community, self.building) if asset
        ]
        if self.area:
            parts.append(str(_("地图划定范围")))
        return "、".join(parts)


class IncidentBuilding(models.Model):
    """An affected building, derived from the register when the incident is opened."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="affected"
    )
    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("影响楼栋")
        verbose_name_plural = _("影响楼栋")
        constraints = [
            models.UniqueConstraint(fields=["incident", "building"], name="incident_building_unique"),
        ]
        indexes = [models.Index(fields=["building", "incident"], name="incident_building_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.building_id}"


class IncidentLink(models.Model):
    """A call absorbed by an incident. One incident per request: the unique key makes duplicates impossible."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="links"
    )
    service_request = models.OneToOneField(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="incident_link"
    )
    linked_at = models.DateTimeField(_("关联时间"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("已反馈结果"), null=True, blank=True)

    class Meta:
        verbose_name = _("关联来电")
        verbose_name_plural = _("关联来电")
        ordering = ["linked_at", "id"]
        indexes = [models.Index(fields=["incident", "linked_at"], name="incident_link_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.service_request_id}"


class IncidentClock(models.Model):
    """The incident's own emergency limits: on site in 1 h, results reported 2 h after restoration."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="clocks"
    )
    name = models.CharField(_("时限"), max_length=10, choices=IncidentClockName.choices)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"))
    warn_at = models.DateTimeField(_("预警时间"))
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件时限")
        verbose_name_plural = _("事件时限")
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "name"], name="incident_clock_unique")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="incident_clock_due_idx",
                condition=models.Q(met_at=None, breached_at=None),
            ),
            models.Index(
                fields=["warn_at"],
                name="incident_clock_warn_idx",
                condition=models.Q(met_at=None, warned_at=None),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.name}"


class IncidentEvent(models.Model):
    """Append-only: who did what to an incident, when (STYLE rule 5)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=12, choices=IncidentAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, blank=True)
    note = models.TextField(_("说明"), blank=True)
    extra: "models.JSONField[Any]" = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("事件记录")
        verbose_name_plural = _("事件记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.action}"
