from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heatline.core.models import AuditEvent, HeatingSeason, RuleSetting, WorkdayOverride
from heatline.core.rules import DEFAULTS


@admin.register(HeatingSeason)
class HeatingSeasonAdmin(admin.ModelAdmin[HeatingSeason]):
    list_display = ("year", "trial_start", "first_heating_day", "last_day", "extended_end")


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin[WorkdayOverride]):
    list_display = ("date", "is_working_day", "note")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin[RuleSetting]):
    list_display = ("key", "value", "description", "note", "updated_at")

    @admin.display(description="规则说明")
    def description(self, obj: RuleSetting) -> str:
        entry = DEFAULTS.get(obj.key)
        return f"{entry[1]}(默认 {entry[0]})" if entry else "—"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "key":
            from django import forms

            return forms.ChoiceField(
                choices=[(key, f"{key} — {text}") for key, (_default, text) in DEFAULTS.items()], label="参数"
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Append-only: readable, never changed or deleted."""

    list_display = ("at", "actor", "object_type", "object_id", "action")
    list_filter = ("object_type", "action")
    search_fields = ("object_id", "note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
