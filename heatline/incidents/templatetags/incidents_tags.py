"""`{% incidents_widget %}`: the dashboard's open incidents and announced planned outages for the viewer."""

from typing import Any

from django import template

from heatline.incidents.selectors import incidents_dashboard
from heatline.registry.models import Staff

register = template.Library()


@register.inclusion_tag("incidents/_widget.html", takes_context=True)
def incidents_widget(context: template.Context) -> dict[str, Any]:
    user = context.get("user")
    if not isinstance(user, Staff):
        return {"dashboard": {"active": [], "planned": []}}
    return {"dashboard": incidents_dashboard(viewer=user)}
