"""API of live data (mounted by heatline/api.py): gateways post readings.

The body is read with `json` and handed to `readings_ingest` as plain dicts, not through a pydantic model
per reading: at 1,000 readings a batch the per-item model cost more than the database (bench/telemetry.py).
The schema below documents it for OpenAPI all the same.
"""

import logging
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as HttpStatus

from heatline.api import current_staff
from heatline.core.errors import ActionForbidden
from heatline.registry.models import Role
from heatline.telemetry.ingest import MAX_BATCH, readings_from_body, readings_ingest

log = logging.getLogger(__name__)

router = Router(tags=["telemetry"])


class RejectionOut(Schema):
    index: int
    sensor: str
    code: str
    reason: str


class IngestOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[RejectionOut]


_NUMBER: dict[str, Any] = {"type": "number"}
_READINGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["readings"],
                    "properties": {
                        "readings": {
                            "type": "array",
                            "maxItems": MAX_BATCH,
                            "items": {
                                "type": "object",
                                "required": ["sensor", "at"],
                                "properties": {
                                    "sensor": {"type": "string", "example": "S-0001"},
                                    "at": {
                                        "type": "string",
                                        "format": "date-time",
                                        "example": "2026-12-06T08:00:00+08:00",
                                    },
                                    "celsius": _NUMBER,
                                    "supply_c": _NUMBER,
                                    "return_c": _NUMBER,
                                    "pressure_mpa": _NUMBER,
                                    "energy_kwh": _NUMBER,
                                    "flow_m3h": _NUMBER,
                                },
                            },
                        }
                    },
                }
            }
        },
    }
}


@router.post("/telemetry/readings", response={202: IngestOut}, openapi_extra=_READINGS_BODY)
def post_readings(request: HttpRequest) -> HttpStatus[IngestOut]:
    """A batch of up to 5,000 readings (token of a `gateway` account: `heatline apitoken gw --system-role
    gateway`). Each is accepted, a duplicate (same sensor and time: stored once), or rejected with its index,
    a code and a reason; more than 5,000 is refused whole (422)."""
    staff = current_staff(request)
    if staff.role not in (Role.GATEWAY, Role.ADMIN) and not staff.is_superuser:
        raise ActionForbidden()
    result = readings_ingest(readings_from_body(request.body))
    if result.rejected:
        first = result.rejected[0]
        log.info(
            "readings from %s: %s accepted, %s duplicates, %s rejected (first: #%s %s %s)",
            staff.username,
            result.accepted,
            result.duplicates,
            len(result.rejected),
            first.index,
            first.sensor,
            first.code,
        )
    return HttpStatus(202, IngestOut(**result.as_dict()))
