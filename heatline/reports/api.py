"""API of reports (mounted by heatline/api.py): the summary other systems read."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from heatline.api import current_staff
from heatline.reports import selectors as s
from heatline.reports.schemas import SummaryOut

router = Router(tags=["reports"])


@router.get("/reports/summary", response=SummaryOut)
def get_summary(
    request: HttpRequest,
    from_: dt.date | None = Query(None, alias="from"),  # type: ignore[type-arg]  # noqa: B008
    to: dt.date | None = None,
    district: int | None = None,
    source: str = "",
    branch: int | None = None,
    team: int | None = None,
    category: int | None = None,
    kind: str = "",
) -> dict[str, Any]:
    """Volume, classified within 5 minutes, the three rates and per clock name total/met/breached.

    `from`/`to` are local dates (inclusive; default: this heating season). District staff see their
    district; a district outside the caller's area is a 404."""
    viewer = current_staff(request)
    params = {key: str(value) for key, value in request.GET.items()}
    flt = s.report_filter_parse(params=params, viewer=viewer)
    summary = s.summary(flt=flt, viewer=viewer, now=timezone.now())
    definitions = s.rate_definitions(s.rate_settings())
    return {
        "date_from": flt.date_from,
        "date_to": flt.date_to,
        **summary,
        "definitions": [{"name": name, "definition": text} for name, text in definitions],
    }
