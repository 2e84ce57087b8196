"""Incidents reached through the real services."""

from datetime import datetime
from typing import Any

from heatline.incidents.models import Incident, IncidentKind
from heatline.incidents.services import IncidentInput, incident_link_call, incident_open
from heatline.registry.models import Household, Staff
from heatline.registry.tests.factories import Org
from heatline.requests.models import ServiceRequest, Source
from heatline.requests.services import Intake


def station_fault(org: Org, *, by: Staff | None = None, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "kind": IncidentKind.FAULT,
        "title": "换热站一次网爆管",
        "station_id": org.station.pk,
        "category": "low_temperature",
        "crew_id": org.crew.pk,
    }
    values.update(fields)
    return incident_open(data=IncidentInput(**values), by=by or org.crew_leader)


def planned_outage(org: Org, *, start: datetime, end: datetime, **fields: Any) -> Incident:
    return station_fault(
        org, kind=IncidentKind.PLANNED, title="计划检修", started_at=start, expected_restore_at=end, **fields
    )


def linked_call(
    org: Org,
    incident: Incident,
    *,
    household: Household | None = None,
    by: Staff | None = None,
    **fields: Any,
) -> ServiceRequest:
    household = household or org.household
    values: dict[str, Any] = {
        "source": Source.HOTLINE,
        "phone": household.phone or "13800000009",
        "caller_name": "王五",
        "household": household.account_number,
        "content": "家里暖气不热了",
    }
    values.update(fields)
    service_request, _link = incident_link_call(
        incident=incident, intake=Intake(**values), by=by or org.operator
    )
    return service_request
