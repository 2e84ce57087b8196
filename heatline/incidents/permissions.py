"""Who may open, change and link to an incident (issue 10: only staff of the area and the crew change one)."""

from collections.abc import Collection

from heatline.incidents.models import Incident, IncidentBuilding
from heatline.registry.models import Role, Staff
from heatline.registry.scoping import visible_district_ids


def incident_district_ids(incident: Incident) -> frozenset[int]:
    return frozenset(
        IncidentBuilding.objects.filter(incident=incident)
        .values_list("building__district_id", flat=True)
        .distinct()
    )


def _is_area_staff(staff: Staff, district_ids: Collection[int]) -> bool:
    if staff.role in (Role.DISTRICT, Role.WORKER):
        return staff.district_id is not None and staff.district_id in district_ids
    if staff.role == Role.BRANCH:
        visible = visible_district_ids(staff)
        return visible is not None and bool(visible & frozenset(district_ids))
    return False


def _is_read_only(staff: Staff) -> bool:
    return not staff.is_active or (staff.role == Role.MANAGER and not staff.is_superuser)


def may_open_incident(staff: Staff, district_ids: Collection[int]) -> bool:
    """The hotline lead (one click on a suggestion), the crew, and staff of the affected area."""
    if _is_read_only(staff):
        return False
    if staff.is_superuser or staff.role in (Role.ADMIN, Role.OPERATOR, Role.CREW):
        return True
    return _is_area_staff(staff, district_ids)


def may_change_incident(
    staff: Staff, incident: Incident, district_ids: Collection[int] | None = None
) -> bool:
    """The incident's crew (any crew member when none is set yet) and staff of the affected area."""
    if _is_read_only(staff):
        return False
    if staff.is_superuser or staff.role == Role.ADMIN:
        return True
    if incident.crew_id is not None and staff.team_id == incident.crew_id:
        return True
    if staff.role == Role.CREW and incident.crew_id is None:
        return True
    if staff.role not in (Role.DISTRICT, Role.WORKER, Role.BRANCH):
        return False
    return _is_area_staff(staff, incident_district_ids(incident) if district_ids is None else district_ids)


def may_link_call(staff: Staff, incident: Incident) -> bool:
    """Linking is the hotline's one action at intake; whoever may change the incident may also link."""
    if _is_read_only(staff):
        return False
    return staff.role == Role.OPERATOR or may_change_incident(staff, incident)
