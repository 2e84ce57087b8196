"""Pure mapping between Heatline's requests and Open311 GeoReport v2 objects.

No personal data leaves here: no names, phone numbers, household (account) numbers or room numbers.
The address is the building's (community + building); digit runs that may be phone numbers are masked
in the description.
"""

import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from heatline.requests.models import OPEN_STATUSES, Action, Category, RequestEvent, ServiceRequest, Status

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
_LONG_DIGITS = re.compile(r"\d{7,}")


def w3(moment: datetime | None) -> str | None:
    """W3C datetime in Asia/Shanghai (+08:00)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def masked(text: str) -> str:
    return _LONG_DIGITS.sub(lambda match: "*" * len(match.group()), text)


def attributes_of(category: Category) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = []
    if category.is_low_temperature:
        attributes.append(
            {
                "variable": True,
                "code": "room_temperature",
                "datatype": "number",
                "required": False,
                "datatype_description": "室内温度(℃),如 16",
                "order": 1,
                "description": "室内温度(℃)",
            }
        )
    attributes.append(
        {
            "variable": True,
            "code": "wants_callback",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": len(attributes) + 1,
            "description": "办结后是否需要回访",
            "values": [{"key": "yes", "name": "需要"}, {"key": "no", "name": "不需要"}],
        }
    )
    return attributes


def service_of(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.get_kind_display()} · {category.get_nature_display()}",
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords,
        "group": str(category.get_kind_display()),
    }


def definition_of(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": attributes_of(category)}


def public_address(service_request: ServiceRequest) -> str:
    building = service_request.building
    if building is not None:
        return f"{building.community.name}{building.number}号楼"
    if service_request.district is not None:
        return service_request.district.name
    return ""


def _coordinate(service_request: ServiceRequest, name: str) -> float | None:
    building = service_request.building
    value = getattr(building, name, None) if building is not None else None
    return round(float(value), 6) if value is not None else None


def status_of(service_request: ServiceRequest) -> str:
    return "open" if service_request.status in OPEN_STATUSES else "closed"


def request_of(service_request: ServiceRequest, *, notes: list[RequestEvent] | None = None) -> dict[str, Any]:
    category = service_request.category
    agency = service_request.department or service_request.district
    data: dict[str, Any] = {
        "service_request_id": service_request.number,
        "status": status_of(service_request),
        "status_notes": str(Status(service_request.status).label),
        "service_name": category.name if category else "",
        "service_code": category.code if category else "",
        "description": masked(service_request.content),
        "agency_responsible": agency.name if agency else "",
        "service_notice": "",
        "requested_datetime": w3(service_request.received_at),
        "updated_datetime": w3(service_request.updated_at),
        "expected_datetime": w3(service_request.next_due_at),
        "address": public_address(service_request),
        "address_id": "",
        "zipcode": "",
        # Numbers (WGS84) for a geocoded request, at its building; null when its place is not known.
        "lat": _coordinate(service_request, "lat"),
        "long": _coordinate(service_request, "lon"),
        "media_url": "",
    }
    if notes is not None:
        data["notes"] = [
            {
                "datetime": w3(event.at),
                "summary": str(Action(event.action).label),
                "description": str(Status(event.to_status).label) if event.to_status else "",
                "type": event.action,
            }
            for event in notes
            if event.action not in (Action.NOTE, Action.LINK_REPEAT)
        ]
    return data
