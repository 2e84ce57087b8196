"""API of weather (mounted by heatline/api.py): the cold-snap outlook, scoped like the dashboard."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from heatline.api import current_staff
from heatline.weather.schemas import OutlookOut
from heatline.weather.selectors import outlook_for

router = Router(tags=["weather"])


@router.get("/weather/outlook", response=OutlookOut)
def get_outlook(request: HttpRequest) -> dict[str, Any]:
    """Expected heating calls per district for the next 3 days from the outdoor forecast, with the model's
    error on the last 14 fitted days. `state`: ok, no_forecast (load one: weather-import / weather-fetch) or
    no_history (too few past days with observed temperature). District staff get their district's rows and
    their own sum as `total` (`is_company_wide` false), no staffing hint."""
    return outlook_for(viewer=current_staff(request), now=timezone.now())
