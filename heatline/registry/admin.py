from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from heatline.core.audit import audit_record
from heatline.registry import models as m
from heatline.registry.services import household_save


@admin.register(m.Company)
class CompanyAdmin(admin.ModelAdmin[m.Company]):
    list_display = ("name", "hotline")


@admin.register(m.Branch)
class BranchAdmin(admin.ModelAdmin[m.Branch]):
    list_display = ("code", "name", "manager")
    autocomplete_fields = ("manager",)
    search_fields = ("name", "code")


@admin.register(m.District)
class DistrictAdmin(admin.ModelAdmin[m.District]):
    list_display = ("code", "name", "branch", "responsible")
    list_filter = ("branch",)
    autocomplete_fields = ("responsible",)
    search_fields = ("name", "code")


@admin.register(m.Department)
class DepartmentAdmin(admin.ModelAdmin[m.Department]):
    list_display = ("code", "name", "head")
    autocomplete_fields = ("head",)
    search_fields = ("name",)


@admin.register(m.Team)
class TeamAdmin(admin.ModelAdmin[m.Team]):
    list_display = ("code", "name", "kind", "branch", "leader", "is_on_duty")
    list_filter = ("kind", "is_on_duty")
    autocomplete_fields = ("leader",)
    search_fields = ("name",)


@admin.register(m.Staff)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "name", "role", "branch", "district", "department", "team", "is_active")
    list_filter = ("role", "branch", "is_active")
    search_fields = ("username", "name", "phone")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Heatline", {"fields": ("name", "phone", "role", "branch", "district", "department", "team")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Heatline", {"fields": ("name", "phone", "role", "branch", "district", "department", "team")}),
    )


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[m.ApiToken]):
    list_display = ("staff", "name", "is_active", "created_at", "last_used_at")
    readonly_fields = ("digest",)
    list_filter = ("is_active",)


@admin.register(m.PartnerBody)
class PartnerBodyAdmin(admin.ModelAdmin[m.PartnerBody]):
    list_display = ("name", "kind", "contact_name", "phone")
    list_filter = ("kind",)
    search_fields = ("name", "contact_name")
    filter_horizontal = ("districts",)


class PinAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """经度/纬度 set by dragging a pin on a small map under the fields (issue 21); the change is audited."""

    class Media:
        css = {"all": ("maps/vendor/leaflet/leaflet.css",)}
        js = ("maps/vendor/leaflet/leaflet.js", "maps/admin-pin.js")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = type(obj).objects.filter(pk=obj.pk).values("lon", "lat").first() if obj.pk else None
        super().save_model(request, obj, form, change)
        new = {"lon": obj.lon, "lat": obj.lat}
        if old is not None and old != new:
            audit_record(by=request.user, obj=obj, action="map.locate", extra={"old": old, "new": new})


@admin.register(m.Station)
class StationAdmin(PinAdmin):
    list_display = ("code", "name", "branch", "heated_area")
    search_fields = ("name", "code")


@admin.register(m.Community)
class CommunityAdmin(PinAdmin):
    list_display = ("code", "name", "district", "street", "heated_area", "is_old_estate")
    list_filter = ("district", "is_old_estate")
    search_fields = ("name", "code")
    autocomplete_fields = ("street", "property_company")


@admin.register(m.Building)
class BuildingAdmin(PinAdmin):
    list_display = ("__str__", "community", "district", "station", "floors")
    list_filter = ("district",)
    search_fields = ("community__name", "number")
    autocomplete_fields = ("community", "station")


@admin.register(m.Unit)
class UnitAdmin(admin.ModelAdmin[m.Unit]):
    list_display = ("__str__", "building")
    search_fields = ("building__community__name",)
    autocomplete_fields = ("building",)


class HouseholdForm(forms.ModelForm[m.Household]):
    """The address must lie in a known building; a unit must belong to that building."""

    class Meta:
        model = m.Household
        fields = (
            "account_number",
            "building",
            "unit",
            "room",
            "contact_name",
            "phone",
            "phone2",
            "heating_status",
            "heating_status_since",
            "heated_area",
            "indoor_pipe_owner",
            "notes",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        building, unit = data.get("building"), data.get("unit")
        if building is None:
            raise forms.ValidationError(_("地址必须属于已登记的楼栋。"))
        if unit is not None and unit.building_id != building.pk:
            raise forms.ValidationError({"unit": _("单元不属于该楼栋。")})
        return data


class HouseholdPhoneInline(admin.TabularInline[m.HouseholdPhone, m.Household]):
    model = m.HouseholdPhone
    extra = 0


class HeatingStatusChangeInline(admin.TabularInline[m.HeatingStatusChange, m.Household]):
    """The 报停 / 复供 history: written by the register import and by saving the household, never edited."""

    model = m.HeatingStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("status", "previous", "since", "source", "note", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Household)
class HouseholdAdmin(admin.ModelAdmin[m.Household]):
    inlines = (HouseholdPhoneInline, HeatingStatusChangeInline)
    list_display = (
        "account_number",
        "address",
        "contact_name",
        "phone",
        "heating_status",
        "heating_status_since",
    )
    list_filter = ("heating_status", "building__district")
    search_fields = ("account_number", "address", "phone")
    autocomplete_fields = ("building", "unit")
    readonly_fields = ("address",)
    form = HouseholdForm

    def save_model(self, request: HttpRequest, obj: m.Household, form: Any, change: bool) -> None:
        household_save(household=obj, by=request.user)  # type: ignore[arg-type]


@admin.register(m.PipeSection)
class PipeSectionAdmin(admin.ModelAdmin[m.PipeSection]):
    list_display = ("code", "name", "station", "owner", "owner_partner", "diameter_mm")
    list_filter = ("owner", "station")
    search_fields = ("code", "name")
    filter_horizontal = ("buildings",)
