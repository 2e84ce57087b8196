from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heatline.weather.models import WeatherDay, WeatherFetch
from heatline.weather.services import weather_day_delete, weather_day_save


@admin.register(WeatherDay)
class WeatherDayAdmin(admin.ModelAdmin[WeatherDay]):
    """Editable by administrators; each save or delete goes through the service and is audited."""

    list_display = (
        "date",
        "forecast_low_c",
        "forecast_high_c",
        "forecast_mean_c",
        "forecast_source",
        "observed_mean_c",
        "observed_low_c",
        "observed_source",
    )
    list_filter = ("forecast_source", "observed_source")
    date_hierarchy = "date"
    readonly_fields = ("created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: WeatherDay, form: Any, change: bool) -> None:
        weather_day_save(day=obj, by=request.user, changed=list(form.changed_data), is_new=not change)

    def delete_model(self, request: HttpRequest, obj: WeatherDay) -> None:
        weather_day_delete(day=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in queryset:
            weather_day_delete(day=day, by=request.user)


@admin.register(WeatherFetch)
class WeatherFetchAdmin(admin.ModelAdmin[WeatherFetch]):
    """The fetch log: read-only."""

    list_display = ("at", "is_ok", "days", "source", "error")
    list_filter = ("is_ok",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
