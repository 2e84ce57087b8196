"""Admin of 难诉联办: cases are read here and changed only through the transition function; events
are append-only (no add, change or delete, administrators included)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heatline.joint.models import CaseEvent, JointCase


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JointCase)
class JointCaseAdmin(ReadOnly):
    list_display = ("number", "type", "status", "branch", "follow_up", "opened_at", "closed_at")
    list_filter = ("type", "status", "branch")
    search_fields = ("summary",)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnly):
    list_display = ("case", "at", "actor", "action", "from_status", "to_status")
    list_filter = ("action",)
    list_select_related = ("case", "actor")
