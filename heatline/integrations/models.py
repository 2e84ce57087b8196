"""Integrations: Open311 client keys, the 12345/12319 exchange's records, the public page's service halls."""

import hashlib
import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import Staff
from heatline.requests.models import ServiceRequest


class Open311Key(models.Model):
    """An Open311 client's API key (one per client, revocable). Only its SHA-256 is stored."""

    client = models.CharField(_("客户端"), max_length=40, unique=True)
    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=12, blank=True)
    staff = models.ForeignKey(Staff, verbose_name=_("系统账号"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")
        ordering = ["client"]

    def __str__(self) -> str:
        return self.client

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return "o311_" + secrets.token_urlsafe(24)


class Open311Submission(models.Model):
    """A request posted by an Open311 client; its token answers GET tokens/{token}."""

    token = models.CharField(_("令牌"), max_length=40, unique=True)
    key = models.ForeignKey(Open311Key, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="+")
    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="+"
    )
    jurisdiction_id = models.CharField(_("辖区"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("Open311 提交")
        verbose_name_plural = _("Open311 提交")

    def __str__(self) -> str:
        return self.token


class Channel(models.TextChoices):
    PUSH = "push", _("平台推送")
    FILE = "file", _("文件导入")


class Outcome(models.TextChoices):
    CREATED = "created", _("已受理")  # a new request was registered and dispatched
    DUPLICATE = "duplicate", _("重复推送")  # the order number was known: nothing new
    RETURNED = "returned", _("已退单")  # registered and sent back (退单): not the company's business


class ExchangeOrder(models.Model):
    """Append-only log of every order the 12345/12319 platform handed over (push or file)."""

    source = models.CharField(_("平台"), max_length=8)
    order_no = models.CharField(_("平台工单号"), max_length=64, db_index=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.ForeignKey(
        Staff, verbose_name=_("接收账号"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    payload: "models.JSONField[Any]" = models.JSONField(_("原始内容"), default=dict)

    class Meta:
        verbose_name = _("平台来单记录")
        verbose_name_plural = _("平台来单记录")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.order_no}"


class PushNonce(models.Model):
    """Replay protection: a push's nonce is accepted once (unique) within the timestamp window."""

    nonce = models.CharField(_("随机数"), max_length=64, unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("推送随机数")
        verbose_name_plural = _("推送随机数")

    def __str__(self) -> str:
        return self.nonce


class PlatformLimit(models.Model):
    """A platform's own time limit (hours from receipt). Where it is stricter than the platform's
    stated due time, or the platform states none, the request's `platform_due_at` follows it."""

    source = models.CharField(_("平台"), max_length=8, unique=True)
    hours = models.DecimalField(_("办理时限(小时)"), max_digits=6, decimal_places=2)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("平台办理时限")
        verbose_name_plural = _("平台办理时限")
        ordering = ["source"]

    def __str__(self) -> str:
        return f"{self.source} {self.hours}h"


class CallbackInvite(models.Model):
    """The web callback link sent once per request and round (第八条, channel web)."""

    service_request = models.ForeignKey(
        ServiceRequest, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="+"
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("网页回访邀请")
        verbose_name_plural = _("网页回访邀请")
        constraints = [
            models.UniqueConstraint(fields=["service_request", "round"], name="callback_invite_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_request_id}#{self.round}"


class ServiceHall(models.Model):
    """A service hall (营业厅) shown on the public page (第十条 宣传)."""

    name = models.CharField(_("名称"), max_length=60)
    address = models.CharField(_("地址"), max_length=200)
    hours = models.CharField(_("办公时间"), max_length=100)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """Hits of one key (an address, a phone) in one fixed window, shared by every web process.

    Counted with one atomic UPSERT (`heatline.integrations.public.services.limit_reached`), so the public
    page's limits hold however many gunicorn workers and machines answer it; the worker drops past windows.
    """

    key = models.CharField(_("键"), max_length=120)
    window_start = models.BigIntegerField(_("时间窗起点(Unix 秒)"))
    window_end = models.BigIntegerField(_("时间窗终点(Unix 秒)"), db_index=True)
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("频率计数")
        verbose_name_plural = _("频率计数")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @{self.window_start}: {self.count}"


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("振铃中")  # the phone system reported it ringing at an agent
    ANSWERED = "answered", _("通话中")  # picked up, not yet hung up
    ENDED = "ended", _("已接听")  # answered and hung up
    MISSED = "missed", _("未接来电")  # hung up before anyone answered: the hotline calls back


class Call(models.Model):
    """One call the phone system (CTI) reported: its times, agent and recording; the request registered
    during it; for a missed call, when the hotline called back (第八条 style)."""

    call_id = models.CharField(_("呼叫编号"), max_length=64, unique=True)
    caller = models.CharField(_("主叫号码"), max_length=20, db_index=True)
    agent = models.ForeignKey(
        Staff, verbose_name=_("坐席"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent_extension = models.CharField(_("分机号"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=CallStatus.choices, default=CallStatus.RINGING
    )
    ringing_at = models.DateTimeField(_("振铃时间"), db_index=True)
    answered_at = models.DateTimeField(_("接听时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("挂机时间"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("通话时长(秒)"), null=True, blank=True)
    recording_url = models.URLField(_("录音"), max_length=500, blank=True)
    service_request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    called_back_at = models.DateTimeField(_("回拨时间"), null=True, blank=True)
    called_back_by = models.ForeignKey(
        Staff, verbose_name=_("回拨人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("来电记录")
        verbose_name_plural = _("来电记录")
        ordering = ["-ringing_at"]
        indexes = [
            models.Index(
                fields=["ringing_at"],
                name="call_missed_open_idx",
                condition=models.Q(status="missed", called_back_at=None),
            )
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.caller}"
