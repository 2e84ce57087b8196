"""难诉联办 (chapter 4): joint cases — disputes mediated with partner bodies (第九条) and coordination
cases settled in a special meeting within 3 working days (第十条) — with their clocks, events,
participants, contacts, milestones and documents.

A case's status changes only through `heatline.joint.transitions.case_transition`.
"""

from typing import Any, Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import Branch, District, PartnerBody
from heatline.requests.models import ServiceRequest


class CaseType(models.TextChoices):
    DISPUTE = "dispute", _("纠纷类")  # 第九条: neighbour stopped heating, altered equipment, a closed valve
    COORDINATION = "coordination", _("协调类")  # 第十条: renovation blocked, repairs needing several homes


class CaseStatus(models.TextChoices):
    OPEN = "open", _("待调解/待会商")  # opened; a dispute awaits agreement, a coordination case its meeting
    IN_PROGRESS = "in_progress", _("推进中")  # coordination: meeting held, milestones being worked off
    SOLVED = "solved", _("已解决")  # agreement reached / problem solved; requesters to be called back
    CALLED_BACK = "called_back", _("已回访")  # requesters called back; closes once milestones are done
    CLOSED = "closed", _("已办结")  # solved, called back, no open milestone


OPEN_STATUSES: Final = frozenset(
    {CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.SOLVED, CaseStatus.CALLED_BACK}
)
SOLVED_STATUSES: Final = frozenset({CaseStatus.SOLVED, CaseStatus.CALLED_BACK, CaseStatus.CLOSED})


class CaseAction(models.TextChoices):
    OPEN = "open", _("立案")
    MEDIATE = "mediate", _("现场调解")  # 第九条: date, parties present, agreed or the next step
    MEETING = "meeting", _("专题会议")  # 第十条: minutes — responsible party, plan, milestones
    ADD_MILESTONE = "add_milestone", _("新增节点")
    COMPLETE_MILESTONE = "complete_milestone", _("节点完成")
    SOLVE = "solve", _("问题解决")  # coordination: the problem is solved
    CALLBACK = "callback", _("回访诉求人")
    CLOSE = "close", _("办结")
    ADD_PARTICIPANT = "add_participant", _("增加联动单位")
    CONTACT = "contact", _("联络记录")  # who, when, how, outcome
    ATTACH = "attach", _("上传材料")  # minutes, photos
    LINK_REQUEST = "link_request", _("并入工单")
    NOTE = "note", _("备注")


class Agreement(models.TextChoices):
    """第九条: what the mediation reached."""

    HEATING_RESTORED = "heating_restored", _("恢复供热")
    VALVE_ADJUSTED = "valve_adjusted", _("阀门已调整")
    OTHER = "other", _("其他协议")
    NOT_AGREED = "not_agreed", _("未达成一致")


class CaseClockName(models.TextChoices):
    MEETING = "meeting", _("专题会议(3个工作日)")  # 第十条
    CALLBACK = "callback", _("回访诉求人(24小时)")  # 第九条


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门/现场")
    MEETING = "meeting", _("会议")
    MESSAGE = "message", _("函件/消息")


class DocumentKind(models.TextChoices):
    MINUTES = "minutes", _("会议纪要")
    PHOTO = "photo", _("现场照片")
    AGREEMENT = "agreement", _("调解协议")
    OTHER = "other", _("其他材料")


class JointCase(models.Model):
    """联办案件: led by the branch of the area, followed up by a named person."""

    type = models.CharField(_("类型"), max_length=12, choices=CaseType.choices)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    branch = models.ForeignKey(
        Branch, verbose_name=_("牵头分公司"), on_delete=models.PROTECT, related_name="joint_cases"
    )
    district = models.ForeignKey(
        District, verbose_name=_("片区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("案情摘要"))
    follow_up = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_cases_followed",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("立案人"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("立案时间"), db_index=True)
    mediated_at = models.DateTimeField(_("调解时间"), null=True, blank=True)
    agreement = models.CharField(_("调解结果"), max_length=20, choices=Agreement.choices, blank=True)
    agreement_detail = models.TextField(_("协议内容"), blank=True)
    next_step = models.TextField(_("下一步"), blank=True)
    meeting_at = models.DateTimeField(_("会议时间"), null=True, blank=True)
    responsible_party = models.CharField(_("责任主体"), max_length=200, blank=True)
    plan = models.TextField(_("处置方案"), blank=True)
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("联办案件")
        verbose_name_plural = _("联办案件")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["branch", "status"], name="joint_case_branch_status_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"LB{self.pk:06d}" if self.pk else "LB-"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseRequest(models.Model):
    """A request gathered into a case (one case can gather all the cold homes below a closed valve)."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="links")
    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="joint_links"
    )
    added_at = models.DateTimeField(_("并入时间"))
    followed_at = models.DateTimeField(_("随案办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("案件工单")
        verbose_name_plural = _("案件工单")
        constraints = [
            models.UniqueConstraint(fields=["case", "service_request"], name="joint_case_request_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.service_request_id}"


class CaseMember(models.Model):
    """Staff involved in a case (opener, follow-up person, assignees of its requests): they see it."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="members")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("参与人员")
        verbose_name_plural = _("参与人员")
        constraints = [models.UniqueConstraint(fields=["case", "staff"], name="joint_case_member_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.staff_id}"


class CaseParticipant(models.Model):
    """A partner body from the register taking part (street community, police, property, housing bureau…)."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="participants")
    partner = models.ForeignKey(
        PartnerBody, verbose_name=_("联动单位"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("加入时间"))

    class Meta:
        verbose_name = _("联动单位")
        verbose_name_plural = _("联动单位")
        constraints = [
            models.UniqueConstraint(fields=["case", "partner"], name="joint_case_participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.partner_id}"


class CaseEvent(models.Model):
    """Append-only: who did what to a case, when, from which status to which (STYLE rule 5)."""

    case = models.ForeignKey(JointCase, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT
    )
    action = models.CharField(_("动作"), max_length=20, choices=CaseAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    note = models.TextField(_("说明"), blank=True)
    extra: "models.JSONField[Any]" = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("案件事件")
        verbose_name_plural = _("案件事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CaseContact(models.Model):
    """Every contact with a partner body: who, when, how, outcome."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="contacts")
    partner = models.ForeignKey(
        PartnerBody, verbose_name=_("联动单位"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.CharField(_("联系人"), max_length=50, blank=True)
    at = models.DateTimeField(_("联络时间"))
    channel = models.CharField(_("方式"), max_length=10, choices=ContactChannel.choices)
    outcome = models.TextField(_("结果"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("联络记录")
        verbose_name_plural = _("联络记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.partner_id} {self.at}"


class CaseMilestone(models.Model):
    """第十条: a milestone of the agreed plan, tracked until done; the follow-up person is reminded."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_date = models.DateField(_("完成期限"))
    responsible = models.CharField(_("责任单位"), max_length=100, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    breached_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(
                fields=["due_date"], name="joint_milestone_open_idx", condition=models.Q(done_at=None)
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class CaseClock(models.Model):
    """A time limit of a case: due, warned, met or breached (each recorded once)."""

    case = models.ForeignKey(JointCase, on_delete=models.CASCADE, related_name="clocks")
    name = models.CharField(_("时限"), max_length=10, choices=CaseClockName.choices)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"))
    warn_at = models.DateTimeField(_("预警时间"))
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联办时限")
        verbose_name_plural = _("联办时限")
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="joint_clock_unique_per_case")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="joint_clock_open_due_idx",
                condition=models.Q(met_at=None, breached_at=None),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None


class CaseDocument(models.Model):
    """Minutes, photos, agreements attached to a case event (shown on the timeline)."""

    case = models.ForeignKey(JointCase, on_delete=models.PROTECT, related_name="documents")
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("类型"), max_length=10, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    file = models.FileField(_("文件"), upload_to="joint/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title or self.file.name or ""
