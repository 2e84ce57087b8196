"""Who may act on a request: one function, read by the transition function, views and API."""

from heatline.registry.models import Role, Staff
from heatline.registry.scoping import may_see_district
from heatline.requests.models import Action, ServiceRequest

HOTLINE_ACTIONS = frozenset({Action.CALLBACK, Action.CLOSE_AT_INTAKE, Action.LINK_REPEAT})
FIELD_ACTIONS = frozenset({Action.CONTACT, Action.ARRIVE, Action.COMPLETE, Action.WAIT})
SUPERVISOR_ROLES = frozenset({Role.DEPT_HEAD, Role.BRANCH, Role.ADMIN})


def is_field_staff_of(staff: Staff, service_request: ServiceRequest) -> bool:
    """The assignee, the assigned team, the district's own staff, the department head, the branch manager."""
    if service_request.assignee_id == staff.pk:
        return True
    if service_request.team_id is not None and staff.team_id == service_request.team_id:
        return True
    if staff.role in (Role.DISTRICT, Role.WORKER) and service_request.district_id == staff.district_id:
        return service_request.district_id is not None
    if staff.role == Role.DEPT_HEAD and staff.department_id is not None:
        return service_request.department_id == staff.department_id
    if staff.role == Role.BRANCH:
        return may_see_district(staff, service_request.district_id)
    return False


def may_act(*, staff: Staff, service_request: ServiceRequest, action: str) -> bool:
    if not staff.is_active or (staff.role == Role.MANAGER and not staff.is_superuser):
        return False
    if staff.is_superuser or staff.role == Role.ADMIN:
        return True
    if action in HOTLINE_ACTIONS:
        return staff.role == Role.OPERATOR
    if action in FIELD_ACTIONS:
        return is_field_staff_of(staff, service_request)
    if action == Action.REPORT:
        return staff.role == Role.OPERATOR or is_field_staff_of(staff, service_request)
    if action == Action.DISPATCH:
        return staff.role in (Role.OPERATOR, Role.BRANCH)
    if action == Action.REASSIGN:
        return staff.role in (Role.OPERATOR, Role.DEPT_HEAD, Role.BRANCH) or (
            staff.role == Role.DISTRICT and is_field_staff_of(staff, service_request)
        )
    if action in (Action.RETURN, Action.EXCLUDE):
        return staff.role in SUPERVISOR_ROLES  # the approver does it (SPEC §6: reason, evidence, approver)
    if action == Action.EXTEND:
        return is_field_staff_of(staff, service_request) or staff.role in SUPERVISOR_ROLES
    if action == Action.NOTE:
        return staff.role == Role.OPERATOR or is_field_staff_of(staff, service_request)
    return False


def may_approve_extension(staff: Staff) -> bool:
    """第七条: a due time moves only through an extension approved by a department head or branch manager."""
    return staff.is_active and (staff.is_superuser or staff.role in SUPERVISOR_ROLES)
