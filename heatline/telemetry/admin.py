import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heatline.core.rules import rule_float
from heatline.telemetry.models import Sensor


def _dead_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=rule_float("telemetry_dead_hours"))


def _in_service(now: dt.datetime) -> Q:
    return Q(removed_on__isnull=True) | Q(removed_on__gte=timezone.localdate(now))


class SensorStatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("online", _("在线")), ("dead", _("离线")), ("removed", _("已拆除"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Sensor]) -> QuerySet[Sensor]:
        now = timezone.now()
        if self.value() == "online":
            return queryset.filter(_in_service(now), last_reading_at__gte=_dead_since(now))
        if self.value() == "dead":
            return queryset.filter(_in_service(now)).filter(
                Q(last_reading_at__isnull=True) | Q(last_reading_at__lt=_dead_since(now))
            )
        if self.value() == "removed":
            return queryset.exclude(_in_service(now))
        return queryset


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin[Sensor]):
    """The register (the import file keeps it); `last_reading_at`/`last_celsius` are ingest's, read-only here.
    A sensor without a reading for `telemetry_dead_hours` shows as 离线, never as cold. (Hourly readings have
    a composite primary key, which Django's admin cannot show; the lead's screens show them.)"""

    list_display = [
        "code",
        "kind",
        "household",
        "station",
        "district",
        "room",
        "installed_on",
        "removed_on",
        "last_reading_at",
        "last_celsius",
        "status",
    ]
    list_filter = [SensorStatusFilter, "kind", "district"]
    search_fields = ["code", "household__account_number", "household__address", "station__name"]
    list_select_related = ["household", "station", "district"]
    raw_id_fields = ["household", "station"]
    readonly_fields = ["last_reading_at", "last_celsius", "created_at", "updated_at"]

    @admin.display(description=_("状态"))
    def status(self, sensor: Sensor) -> str:
        now = timezone.now()
        if sensor.removed_on is not None and sensor.removed_on < timezone.localdate(now):
            return str(_("已拆除"))
        if sensor.last_reading_at is None or sensor.last_reading_at < _dead_since(now):
            return str(_("离线"))
        return str(_("在线"))
