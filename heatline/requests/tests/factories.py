"""Requests in a given state, reached through the real services (never by setting `status=`)."""

from typing import Any

from heatline.registry.models import Household, Staff
from heatline.registry.tests.factories import Org
from heatline.requests.models import Action, ServiceRequest, Source
from heatline.requests.services import Intake, request_register
from heatline.requests.transitions import Params, request_transition


def registered_request(
    org: Org, *, household: Household | None = None, by: Staff | None = None, **fields: Any
) -> ServiceRequest:
    """A request registered by the hotline and dispatched as in production (routine by default)."""
    household = household or org.household
    values: dict[str, Any] = {
        "source": Source.HOTLINE,
        "phone": household.phone or "13800000009",
        "caller_name": "李四",
        "household": household.account_number,
        "content": "家里暖气不热,客厅只有16度",
        "category": "low_temperature",
    }
    values.update(fields)
    service_request, _created = request_register(intake=Intake(**values), by=by or org.operator)
    return service_request


def emergency_request(org: Org, **fields: Any) -> ServiceRequest:
    return registered_request(org, content="卫生间暖气片跑水了", category="indoor_leak", **fields)


def advance(service_request: ServiceRequest, *steps: tuple[str, Staff, Params | None]) -> ServiceRequest:
    for action, by, params in steps:
        service_request = request_transition(
            service_request=service_request, action=action, by=by, params=params
        )
    return service_request


def completed_request(org: Org, **fields: Any) -> ServiceRequest:
    service_request = registered_request(org, **fields)
    return advance(
        service_request,
        (Action.CONTACT, org.responsible, None),
        (Action.ARRIVE, org.worker, None),
        (Action.COMPLETE, org.worker, Params(cause="radiator_air", result="暖气片放气,室温恢复到21度")),
    )


def reported_request(org: Org, **fields: Any) -> ServiceRequest:
    return advance(completed_request(org, **fields), (Action.REPORT, org.worker, None))
