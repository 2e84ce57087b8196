"""接诉即办 (chapter 3): service requests, their events, clocks, callbacks and extensions."""

from typing import Any, Final

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import Building, Department, District, Household, Team


class Source(models.TextChoices):
    """第二条: where a request came from."""

    HOTLINE = "963000", _("963000供热热线")
    GOV_12345 = "12345", _("12345政务热线")
    GOV_12319 = "12319", _("12319城建热线")
    SERVICE_POINT = "service_point", _("服务网点")
    DEPARTMENT = "department", _("业务科室")
    OPEN311 = "open311", _("Open311客户端")
    PUBLIC = "public", _("居民自助页面")
    PROACTIVE = "proactive", _("主动服务")


GOVERNMENT_SOURCES: Final = frozenset({Source.GOV_12345, Source.GOV_12319})


class Kind(models.TextChoices):
    """第七条.1: routine goes to the district, emergency straight to the repair crew."""

    ROUTINE = "routine", _("常规")
    EMERGENCY = "emergency", _("紧急")


class Nature(models.TextChoices):
    """GB/T 39666 nature of a call (SPEC §6)."""

    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    THANKS = "thanks", _("感谢")
    OTHER = "other", _("其他")
    INVALID = "invalid", _("无效")


class Status(models.TextChoices):
    REGISTERED = "registered", _("待派单")  # registered, no district known yet: the operator picks one
    DISPATCHED = "dispatched", _("已派单")  # with an assignee; clocks running
    CONTACTED = "contacted", _("已联系")  # routine: caller contacted, appointment made
    ON_SITE = "on_site", _("处置中")  # someone is on site
    COMPLETED = "completed", _("已处置")  # work done; result not yet reported to the hotline
    REPORTED = "reported", _("待回访")  # result reported; the hotline calls back
    CLOSED = "closed", _("已办结")  # satisfied callback, answered at intake, or unreached after N attempts
    RETURNED = "returned", _("已退单")  # not the company's business (退单)


OPEN_STATUSES: Final = frozenset(
    {
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.CONTACTED,
        Status.ON_SITE,
        Status.COMPLETED,
        Status.REPORTED,
    }
)
FIELD_STATUSES: Final = frozenset({Status.DISPATCHED, Status.CONTACTED, Status.ON_SITE})
DONE_STATUSES: Final = frozenset({Status.CLOSED, Status.RETURNED})


class Action(models.TextChoices):
    REGISTER = "register", _("登记")
    DISPATCH = "dispatch", _("派单")
    CONTACT = "contact", _("联系预约")
    ARRIVE = "arrive", _("到场")
    COMPLETE = "complete", _("处置完成")
    REPORT = "report", _("反馈结果")
    CALLBACK = "callback", _("回访")
    REASSIGN = "reassign", _("改派")
    CLOSE_AT_INTAKE = "close_at_intake", _("直办办结")
    RETURN = "return", _("退单")
    EXTEND = "extend", _("延期")
    WAIT = "wait", _("等待用户")
    LINK_REPEAT = "link_repeat", _("重复来电")
    NOTE = "note", _("备注")
    EXCLUDE = "exclude", _("不纳入考核")
    IMPORT = "import", _("历史导入")  # closed history from the old hotline system (heatline import-requests)


class ClockName(models.TextChoices):
    INTAKE = "intake", _("登记分类(5分钟)")  # 第六条.2
    CONTACT = "contact", _("联系预约(30分钟)")  # 第七条.2 routine
    REPAIR = "repair", _("处置完成(48小时)")  # 第七条.2 routine repairs
    ARRIVAL = "arrival", _("抵达现场(1小时)")  # 第七条.2 emergency
    REPORT = "report", _("反馈结果(2小时)")  # 第七条.2 after completion
    CALLBACK = "callback", _("回访(24小时)")  # 第八条


class Attribution(models.TextChoices):
    """Whose side a cause was on (SPEC §6)."""

    HOUSEHOLD = "household", _("用户原因")
    UTILITY = "utility", _("供热企业原因")
    HEAT_SOURCE = "heat_source", _("热源原因")
    BUILDING = "building", _("建筑/开发商原因")
    OTHER = "other", _("其他")


class Category(models.Model):
    """诉求类别: routine or emergency, the department that handles it, and the words that suggest it."""

    code = models.CharField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("类别"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    nature = models.CharField(_("性质"), max_length=12, choices=Nature.choices, default=Nature.HELP)
    department = models.ForeignKey(
        Department, verbose_name=_("主管科室"), null=True, blank=True, on_delete=models.PROTECT
    )
    route_to_department = models.BooleanField(
        _("派至科室负责人"), default=False, help_text=_("勾选后派至科室负责人,而非片区责任人(如收费咨询)")
    )
    is_repair = models.BooleanField(_("报修类(48小时处置)"), default=True)
    is_low_temperature = models.BooleanField(_("室温不达标类"), default=False)
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("以逗号分隔,用于自动建议类别")
    )
    priority = models.PositiveSmallIntegerField(_("匹配优先级"), default=100, help_text=_("数字小者优先"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.replace(",", ",").split(",") if word.strip()]


class Cause(models.Model):
    """原因代码: recorded on completion, visits and repairs; high-risk areas read them."""

    code = models.CharField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("原因"), max_length=50)
    attribution = models.CharField(
        _("责任方"), max_length=12, choices=Attribution.choices, default=Attribution.UTILITY
    )
    is_hazard = models.BooleanField(_("计入高风险隐患"), default=False, help_text=_("如管道堵塞、设备老化"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("原因代码")
        verbose_name_plural = _("原因代码")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceRequest(models.Model):
    """One request of a resident (诉求). Its status changes only through `request_transition`."""

    number = models.CharField(_("工单号"), max_length=20, unique=True)
    # Few distinct values: filtered with dates or the external id, whose indexes serve (no index of its own).
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("外部工单号"), max_length=64, null=True, blank=True)
    nature = models.CharField(_("性质"), max_length=12, choices=Nature.choices, default=Nature.HELP)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)

    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20)  # indexed in Meta (exact match only)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household,
        db_index=False,  # request_household_idx leads with it
        verbose_name=_("热用户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    district = models.ForeignKey(
        District,
        db_index=False,  # request_district_due_idx leads with it
        verbose_name=_("片区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    content = models.TextField(_("诉求内容"))

    department = models.ForeignKey(
        Department, verbose_name=_("责任科室"), null=True, blank=True, on_delete=models.PROTECT
    )
    team = models.ForeignKey(Team, verbose_name=_("班组"), null=True, blank=True, on_delete=models.PROTECT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,  # request_assignee_due_idx leads with it
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    received_at = models.DateTimeField(_("来电时间"), db_index=True)
    registered_at = models.DateTimeField(_("登记时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("预约时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("最近时限"), null=True, blank=True)

    is_late_intake = models.BooleanField(_("登记超时"), default=False)
    is_resolved_at_intake = models.BooleanField(_("直办"), default=False)
    wants_callback = models.BooleanField(_("需要回访"), default=True)
    cause = models.ForeignKey(Cause, verbose_name=_("原因"), null=True, blank=True, on_delete=models.PROTECT)
    result = models.TextField(_("处置结果"), blank=True)
    is_solved = models.BooleanField(_("已解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, blank=True)
    repeat_count = models.PositiveIntegerField(_("重复来电次数"), default=0)
    is_excluded = models.BooleanField(_("不纳入考核"), default=False)
    excluded_reason = models.CharField(_("不纳入考核原因"), max_length=200, blank=True)
    # Closed history from the old hotline system or a 12345/12319 export (`heatline import-requests`): no
    # clocks, no messages, its own events marked imported; high-risk areas and the watch list read it.
    is_imported = models.BooleanField(_("历史导入"), default=False)
    platform_due_at = models.DateTimeField(_("平台办理时限"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("诉求工单")
        verbose_name_plural = _("诉求工单")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="request_unique_external_id",
                condition=models.Q(external_id__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="request_status_due_idx"),
            models.Index(fields=["assignee", "next_due_at"], name="request_assignee_due_idx"),
            models.Index(fields=["district", "status", "next_due_at"], name="request_district_due_idx"),
            models.Index(fields=["household", "received_at"], name="request_household_idx"),
            models.Index(fields=["phone"], name="request_phone_idx"),
            # The overdue list and the company-wide queue: only open requests, by nearest due time.
            models.Index(
                fields=["next_due_at", "id"],
                name="request_open_due_idx",
                condition=models.Q(
                    status__in=["registered", "dispatched", "contacted", "on_site", "completed", "reported"]
                ),
            ),
            # The map (issue 21): open requests by building, what a pin or a cluster shows included, so a
            # bounding box over the buildings' (lat, lon) joins an index-only scan (PostgreSQL; SQLite
            # keeps the plain partial index).
            models.Index(
                fields=["building"],
                include=["kind", "next_due_at"],
                name="request_open_building_idx",
                condition=models.Q(
                    status__in=["registered", "dispatched", "contacted", "on_site", "completed", "reported"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """Append-only: who did what to a request, when, from which status to which (STYLE rule 5)."""

    # The columns a bulk insert of events writes (imports, retention), in this order.
    INSERT_COLUMNS: Final = (
        "service_request_id",
        "at",
        "actor_id",
        "action",
        "from_status",
        "to_status",
        "note",
        "extra",
    )

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    note = models.TextField(_("说明"), blank=True)
    extra: "models.JSONField[Any]" = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.action}"


class Clock(models.Model):
    """A time limit of one round of a request: due, warned, met or breached (each recorded once)."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="clocks"
    )
    name = models.CharField(_("时限"), max_length=10, choices=ClockName.choices)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"))
    warn_at = models.DateTimeField(_("预警时间"))
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(
        _("取消时间"), null=True, blank=True
    )  # returned / closed before it ran out
    extended_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_request", "name", "round"], name="clock_unique_per_round"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="clock_open_due_idx",
                condition=models.Q(met_at=None, breached_at=None, cancelled_at=None),
            ),
            models.Index(
                fields=["warn_at"],
                name="clock_open_warn_idx",
                condition=models.Q(met_at=None, warned_at=None, cancelled_at=None),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.name}#{self.round}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    @property
    def is_met_in_time(self) -> bool:
        return self.met_at is not None and self.breached_at is None


class CallbackChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    WEB = "web", _("网页")


class CallbackOutcome(models.TextChoices):
    ANSWERED = "answered", _("已接通")
    NO_ANSWER = "no_answer", _("未接通")
    REFUSED = "refused", _("拒绝回访")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Callback(models.Model):
    """One callback attempt (第八条)."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="callbacks"
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    at = models.DateTimeField(_("回访时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, on_delete=models.PROTECT
    )
    channel = models.CharField(
        _("方式"), max_length=8, choices=CallbackChannel.choices, default=CallbackChannel.PHONE
    )
    outcome = models.CharField(_("结果"), max_length=10, choices=CallbackOutcome.choices)
    is_solved = models.BooleanField(_("已解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.service_request_id} {self.outcome}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class Extension(models.Model):
    """延期: asked before the due time, approved by a department head or branch manager."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="extensions"
    )
    clock = models.ForeignKey(
        Clock, verbose_name=_("时限"), on_delete=models.PROTECT, related_name="extensions"
    )
    reason = models.TextField(_("理由"))
    new_due_at = models.DateTimeField(_("新到期时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    resident_informed = models.BooleanField(_("已告知用户"), default=False)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.service_request_id} → {self.new_due_at}"


class Attachment(models.Model):
    """A photo or document attached to a request event (field staff's photos)."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="attachments"
    )
    event = models.ForeignKey(RequestEvent, verbose_name=_("事件"), null=True, on_delete=models.PROTECT)
    file = models.FileField(_("文件"), upload_to="requests/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.file.name or ""


class NumberSequence(models.Model):
    """The day's last request number, incremented under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("工单号序列")
        verbose_name_plural = _("工单号序列")

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class HotspotKind(models.TextChoices):
    """热点预警 (issue 20): what made a cluster of requests worth a head's eye."""

    UNIT = "unit", _("同一单元集中来电")
    BUILDING = "building", _("同一楼栋集中来电")
    STATION = "station", _("同一换热站集中来电")
    REPEAT_CALLER = "repeat_caller", _("同一来电人本采暖期多次来电")
    WORDS = "words", _("敏感词")  # 老人, 孩子, 媒体, 上访 … (admin: 热点敏感词)


class HotspotLevel(models.TextChoices):
    DISTRICT = "district", _("片区责任人")
    DEPARTMENT = "department", _("科室负责人")
    BRANCH = "branch", _("分公司经理")


class HotspotWord(models.Model):
    """A word in a request that needs a leader's eye (editable in admin)."""

    word = models.CharField(_("敏感词"), max_length=20, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("热点敏感词")
        verbose_name_plural = _("热点敏感词")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class HotspotAlert(models.Model):
    """One hot spot: the rule it tripped, the place or caller, the requests behind it, who answers for
    it now (district → department → branch, escalating while nobody acknowledges)."""

    kind = models.CharField(_("类型"), max_length=16, choices=HotspotKind.choices)
    key = models.CharField(_("对象"), max_length=64)  # unit/building/station id, phone, or request number
    title = models.CharField(_("说明"), max_length=200)
    district = models.ForeignKey(
        District, verbose_name=_("片区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requests = models.ManyToManyField(ServiceRequest, verbose_name=_("工单"), related_name="hotspots")
    opened_at = models.DateTimeField(_("预警时间"), db_index=True)
    last_request_at = models.DateTimeField(_("最近来电"))
    level = models.CharField(
        _("当前层级"), max_length=10, choices=HotspotLevel.choices, default=HotspotLevel.DISTRICT
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("热点预警")
        verbose_name_plural = _("热点预警")
        ordering = ["-opened_at"]
        constraints = [
            # one open alert per rule and place/caller: more requests join it, never a flood of alerts
            models.UniqueConstraint(
                fields=["kind", "key"], name="hotspot_open_once", condition=models.Q(acknowledged_at=None)
            )
        ]

    def __str__(self) -> str:
        return self.title
