"""Writes of live data that staff make: an incident from a station alert (one click)."""

from django.db import transaction
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import ActionForbidden, TransitionNotAllowed
from heatline.incidents.models import Incident, IncidentKind
from heatline.incidents.permissions import may_open_incident
from heatline.incidents.services import IncidentInput, incident_open
from heatline.registry.models import Building, Staff
from heatline.telemetry.models import Alert, AlertKind


def station_district_ids(station_id: int) -> frozenset[int]:
    return frozenset(
        Building.objects.filter(station_id=station_id).values_list("district_id", flat=True).distinct()
    )


def may_open_station_incident(staff: Staff, alert: Alert) -> bool:
    if alert.station_id is None:
        return False
    return may_open_incident(staff, station_district_ids(alert.station_id))


@transaction.atomic
def incident_from_alert(*, alert: Alert, by: Staff) -> Incident:
    """换热站供水温度偏低 → a fault incident on the station, in one click: its buildings come from the
    register, the intake banner then shows it to every caller it affects."""
    alert = Alert.objects.select_for_update(of=("self",)).select_related("station").get(pk=alert.pk)
    if alert.kind != AlertKind.STATION_SUPPLY_LOW or alert.station is None:
        raise TransitionNotAllowed(message=_("只有换热站告警可以建立事件"))
    if alert.incident_id is not None:
        raise TransitionNotAllowed(message=_("该告警已建立事件"))
    if not may_open_station_incident(by, alert):
        raise ActionForbidden(_("只有片区人员、抢修班组和热线可以建立事件"))
    incident = incident_open(
        data=IncidentInput(
            kind=IncidentKind.FAULT,
            title=(_("%(station)s供水温度偏低") % {"station": alert.station.name})[:100],
            description=alert.note,
            station_id=alert.station_id,
            started_at=alert.started_at,
        ),
        by=by,
    )
    alert.incident = incident
    alert.save(update_fields=["incident", "updated_at"])
    audit_record(by=by, obj=alert, action="alert_incident", note=incident.number)
    return incident
