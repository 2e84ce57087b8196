from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heatline.requests.models import (
    Category,
    Cause,
    Clock,
    Extension,
    HotspotAlert,
    HotspotWord,
    RequestEvent,
    ServiceRequest,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = (
        "code",
        "name",
        "kind",
        "nature",
        "department",
        "route_to_department",
        "is_repair",
        "keywords",
        "priority",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    list_editable = ("priority", "is_active")
    search_fields = ("code", "name", "keywords")


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin[Cause]):
    list_display = ("code", "name", "attribution", "is_hazard", "is_active")
    list_filter = ("attribution", "is_hazard")


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ("at", "actor", "action", "from_status", "to_status", "note")


class ClockInline(ReadOnlyInline):
    model = Clock
    fields = ("name", "round", "started_at", "due_at", "warned_at", "met_at", "breached_at", "cancelled_at")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin[ServiceRequest]):
    """Read-only here: a request changes only through its life cycle (the pages and the API)."""

    list_display = (
        "number",
        "source",
        "kind",
        "category",
        "status",
        "district",
        "assignee",
        "received_at",
        "next_due_at",
    )
    list_filter = ("status", "kind", "source", "district")
    search_fields = ("number", "external_id", "phone", "address")
    inlines = (ClockInline, EventInline)
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin[Extension]):
    list_display = ("service_request", "clock", "new_due_at", "status", "requested_by", "decided_by")
    list_filter = ("status",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HotspotWord)
class HotspotWordAdmin(admin.ModelAdmin[HotspotWord]):
    list_display = ("word", "is_active")
    list_editable = ("is_active",)
    search_fields = ("word",)


@admin.register(HotspotAlert)
class HotspotAlertAdmin(admin.ModelAdmin[HotspotAlert]):
    """Read-only: alerts are opened by the rules and acknowledged by the heads (API / dashboard)."""

    list_display = ("title", "kind", "district", "level", "responsible", "opened_at", "acknowledged_at")
    list_filter = ("kind", "level", "district")
    readonly_fields = [f.name for f in HotspotAlert._meta.fields] + ["requests"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
