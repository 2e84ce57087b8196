from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from heatline.integrations.models import (
    ExchangeOrder,
    Open311Key,
    PlatformLimit,
    ServiceHall,
)
from heatline.integrations.open311.services import open311key_issue, open311key_revoke


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin[Open311Key]):
    """One key per client. Adding (or saving with a client name that exists) issues a new key, shown once."""

    list_display = ["client", "prefix", "is_active", "created_at", "revoked_at", "last_used_at"]
    fields = ["client"]
    actions = ["revoke", "rotate"]

    def has_change_permission(self, request: HttpRequest, obj: Open311Key | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Open311Key, form: Any, change: bool) -> None:
        key, secret = open311key_issue(client=obj.client)
        obj.pk = key.pk
        messages.success(
            request, _("客户端 %(client)s 的密钥(只显示一次):%(key)s") % {"client": key.client, "key": secret}
        )

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Key]) -> None:
        for key in queryset:
            open311key_revoke(key=key)
        messages.success(request, _("已吊销 %(n)s 个密钥") % {"n": queryset.count()})

    @admin.action(description=_("重新签发所选密钥"))
    def rotate(self, request: HttpRequest, queryset: QuerySet[Open311Key]) -> None:
        for key in queryset:
            _row, secret = open311key_issue(client=key.client)
            messages.success(request, f"{key.client}: {secret}")


@admin.register(ExchangeOrder)
class ExchangeOrderAdmin(admin.ModelAdmin[ExchangeOrder]):
    """Append-only log: read only."""

    list_display = ["order_no", "source", "channel", "outcome", "service_request", "received_at"]
    list_filter = ["source", "channel", "outcome"]
    search_fields = ["order_no"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExchangeOrder | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ExchangeOrder | None = None) -> bool:
        return False


@admin.register(PlatformLimit)
class PlatformLimitAdmin(admin.ModelAdmin[PlatformLimit]):
    list_display = ["source", "hours", "is_active"]


@admin.register(ServiceHall)
class ServiceHallAdmin(admin.ModelAdmin[ServiceHall]):
    list_display = ["name", "address", "hours", "phone", "order", "is_active"]
