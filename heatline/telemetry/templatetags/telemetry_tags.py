"""`{% household_live household %}`: a household's live readings on the caller pop-up, the intake panel and
the request page (issue 19)."""

from typing import Any

from django import template

from heatline.registry.models import Household, Staff
from heatline.telemetry.selectors import household_live
from heatline.telemetry.services import may_open_station_incident

register = template.Library()


@register.inclusion_tag("telemetry/_household_live.html", takes_context=True)
def household_live_panel(
    context: template.Context, household: Household | None, compact: bool = False
) -> dict[str, Any]:
    if household is None:
        return {"live": None}
    station_id = household.building.station_id if household.building_id else None
    live = household_live(household_id=household.pk, station_id=station_id)
    user = context.get("user")
    may_incident = (
        isinstance(user, Staff)
        and live.station is not None
        and live.station.alert is not None
        and live.station.alert.incident_id is None
        and may_open_station_incident(user, live.station.alert)
    )
    return {"live": None if live.is_empty else live, "compact": compact, "may_incident": may_incident,
            "csrf_token": context.get("csrf_token")}  # fmt: skip
