"""API of live data for screens and other systems (mounted by heatline/api.py): a household's readings,
the alerts, and an incident from a station alert. The gateway's write side is `heatline/telemetry/api.py`."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus

from heatline.api import current_staff
from heatline.core.errors import NotVisible
from heatline.registry.models import SYSTEM_ROLES, Household
from heatline.registry.scoping import scope_by_district
from heatline.telemetry.models import Alert, AlertKind, HourlyReading, Sensor, SensorKind
from heatline.telemetry.partitions import floor_hour
from heatline.telemetry.selectors import (
    CHART_DAYS,
    alert_get_visible,
    alerts_visible,
    household_live,
)
from heatline.telemetry.services import incident_from_alert

router = Router(tags=["telemetry"])
KIND_LABELS = dict(AlertKind.choices)


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    account_number: str | None
    station: str | None
    sensor: str | None
    district: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    value: float | None
    expected: float | None
    outdoor: float | None
    note: str
    close_note: str
    watch_entry: int | None
    incident: int | None


class AlertFilter(Schema):
    kind: str | None = None
    state: str = "open"
    limit: int = 200
    offset: int = 0


class HourOut(Schema):
    hour: dt.datetime
    celsius: float


class SensorOut(Schema):
    code: str
    room: str
    celsius: float | None
    at: dt.datetime | None
    dead: bool
    hours: list[HourOut]


class StationOut(Schema):
    name: str
    supply_c: float | None
    return_c: float | None
    at: dt.datetime | None
    alert: AlertOut | None


class HouseholdLiveOut(Schema):
    account_number: str
    standard: float
    sensors: list[SensorOut]
    cold_alert: AlertOut | None
    station: StationOut | None
    outdoor_c: float | None
    outdoor_at: dt.datetime | None


def _refuse_systems(request: HttpRequest) -> Any:
    staff = current_staff(request)
    if staff.role in SYSTEM_ROLES and not staff.is_superuser:
        raise NotVisible()
    return staff


def alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "kind_label": str(KIND_LABELS.get(alert.kind, alert.kind)),
        "account_number": alert.household.account_number if alert.household_id and alert.household else None,
        "station": alert.station.name if alert.station_id and alert.station else None,
        "sensor": alert.sensor.code if alert.sensor_id and alert.sensor else None,
        "district": alert.district.name if alert.district_id and alert.district else None,
        "started_at": alert.started_at,
        "ended_at": alert.ended_at,
        "value": alert.value,
        "expected": alert.expected,
        "outdoor": alert.outdoor,
        "note": alert.note,
        "close_note": alert.close_note,
        "watch_entry": alert.watch_entry_id,
        "incident": alert.incident_id,
    }


@router.get("/telemetry/alerts", response=list[AlertOut])
def alerts(request: HttpRequest, filters: Query[AlertFilter]) -> list[dict[str, Any]]:
    """Alerts the caller may see (their districts' households and the stations feeding them), newest first."""
    staff = _refuse_systems(request)
    kind = filters.kind if filters.kind in AlertKind.values else None
    state = filters.state if filters.state in ("open", "closed", "all") else "open"
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    rows = alerts_visible(viewer=staff, kind=kind, state=state)[offset : offset + limit]
    return [alert_out(alert) for alert in rows]


@router.get("/telemetry/households/{account_number}", response=HouseholdLiveOut)
def household(request: HttpRequest, account_number: str) -> dict[str, Any]:
    """A household's room sensors (now, 离线, and their hourly means of the last 7 days), its open cold
    alert, its station's supply and return now, and the outdoor temperature."""
    staff = _refuse_systems(request)
    found = (
        scope_by_district(Household.objects.select_related("building"), staff, field="building__district")
        .filter(account_number=account_number)
        .first()
    )
    if found is None:
        raise NotVisible()
    now = timezone.now()
    live = household_live(household_id=found.pk, station_id=found.building.station_id, now=now)
    sensors = {
        s.code: s.pk
        for s in Sensor.objects.filter(household=found, kind=SensorKind.ROOM, removed_on__isnull=True).only(
            "id", "code"
        )
    }
    hours: dict[int, list[dict[str, Any]]] = {pk: [] for pk in sensors.values()}
    for sensor_id, hour, celsius in (
        HourlyReading.objects.filter(
            sensor_id__in=list(sensors.values()),
            hour__gte=floor_hour(now - dt.timedelta(days=CHART_DAYS)),
            celsius__isnull=False,
        )
        .order_by("sensor_id", "hour")
        .values_list("sensor_id", "hour", "celsius")
    ):
        hours[sensor_id].append({"hour": hour, "celsius": celsius})
    station = live.station
    return {
        "account_number": found.account_number,
        "standard": live.standard,
        "sensors": [
            {
                "code": s.code,
                "room": s.room,
                "celsius": s.celsius,
                "at": s.at,
                "dead": s.dead,
                "hours": hours.get(sensors.get(s.code, 0), []),
            }
            for s in live.sensors
        ],
        "cold_alert": alert_out(live.cold_alert) if live.cold_alert else None,
        "station": None
        if station is None
        else {
            "name": station.name,
            "supply_c": station.supply_c,
            "return_c": station.return_c,
            "at": station.at,
            "alert": alert_out(station.alert) if station.alert else None,
        },
        "outdoor_c": live.outdoor[0] if live.outdoor else None,
        "outdoor_at": live.outdoor[1] if live.outdoor else None,
    }


@router.post("/telemetry/alerts/{alert_id}/incident", response={201: dict[str, Any]})
def alert_incident(request: HttpRequest, alert_id: int) -> HttpStatus[dict[str, Any]]:
    """One click: a fault incident on the alert's station (409 if it has one already)."""
    staff = _refuse_systems(request)
    incident = incident_from_alert(alert=alert_get_visible(viewer=staff, pk=alert_id), by=staff)
    return HttpStatus(
        201,
        {
            "incident": incident.pk,
            "number": incident.number,
            "households": incident.households_affected,
        },
    )
