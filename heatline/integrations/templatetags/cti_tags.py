"""`{% dial_link phone %}` (click-to-call through HEATLINE_DIAL_URL) and `{% request_calls sr %}` (the
calls of a request, with their recordings) for the request page."""

from typing import Any

from django import template

from heatline.integrations.cti.selectors import dial_url
from heatline.integrations.models import Call

register = template.Library()


@register.simple_tag
def dial_link(phone: str) -> str:
    return dial_url(phone)


@register.inclusion_tag("integrations/_request_calls.html")
def request_calls(service_request: Any, show_personal: bool = True) -> dict[str, Any]:
    calls = list(Call.objects.filter(service_request_id=service_request.pk).order_by("ringing_at")[:10])
    return {"calls": calls, "show_personal": show_personal}
