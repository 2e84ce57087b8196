from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outbox(models.Model):
    """A message to deliver, written in the same transaction as the change that caused it.

    The worker claims undelivered rows (SKIP LOCKED on PostgreSQL), hands each to the sender
    registered for its topic and marks it delivered; a failure is retried with back-off.
    `dedupe_key` (unique) makes "send once" a database guarantee.
    """

    topic = models.CharField(_("主题"), max_length=64, db_index=True)
    key = models.CharField(_("业务键"), max_length=64, db_index=True)
    payload: "models.JSONField[Any]" = models.JSONField(_("内容"), default=dict)
    dedupe_key = models.CharField(_("去重键"), max_length=160, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    available_at = models.DateTimeField(_("可发送时间"))
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("放弃时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # SMS (nullable: the batch INSERTs of other apps name only their own columns): the gateway's id of the message (Aliyun BizId / Tencent SerialNo) and its delivery receipt.
    external_id = models.CharField(_("网关消息编号"), max_length=64, null=True, blank=True, db_index=True)
    receipt_status = models.CharField(_("回执状态"), max_length=32, null=True, blank=True)
    receipt_at = models.DateTimeField(_("回执时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(delivered_at=None, failed_at=None),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key}"


class Notification(models.Model):
    """An in-app inbox message to one staff member."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("时间"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    source = models.OneToOneField(
        Outbox, verbose_name=_("来源消息"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title
