"""Report pages: the dashboard, the wall screen, the drill-down list and the .xlsx exports."""

import tempfile
from collections.abc import Callable
from functools import wraps
from typing import IO, Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import DomainError, NotVisible
from heatline.registry.models import Staff
from heatline.registry.scoping import mask_phone, sees_personal_data
from heatline.reports import selectors as s
from heatline.reports.exports import REQUEST_HEADERS, request_rows, write_xlsx
from heatline.reports.tables import TABLES, table_rows
from heatline.reports.xlsx_stream import write_xlsx_stream
from heatline.requests.models import ClockName
from heatline.weather.selectors import outlook_panel

PAGE_SIZE = 50
View = Callable[..., HttpResponseBase]


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def domain_errors(view: View) -> View:
    """NotVisible → 404; any other rule violation → 400 with its message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            return HttpResponseBadRequest(error.message)

    return wrapper


def _drill(params: dict[str, str], **extra: object) -> str:
    query = dict(params)
    query.update({key: str(value) for key, value in extra.items() if value is not None and value != ""})
    return f"{reverse('reports:requests')}?{urlencode(query)}"


def _charts(flt: s.ReportFilter, data: s.Dashboard) -> dict[str, Any]:
    """Chart data for dashboard.js: every point carries the URL of the requests behind it."""
    params = flt.as_params()
    grid = data["grid"]
    width = min(max((len(c["buildings"]) for c in grid), default=0), 20)
    cells = [
        {
            "value": [x, y, cell["total"]],
            "name": f"{community['name']} {cell['building']}{_('号楼')}",
            "url": _drill(params, building=cell["building_id"]),
        }
        for y, community in enumerate(grid)
        for x, cell in enumerate(community["buildings"][:width])
    ]
    return {
        "labels": {
            "total": _("来电量"),
            "emergency": _("紧急"),
            "on_time": _("及时率"),
            "requests": _("工单"),
            "rank": _("楼栋(按工单数)"),
        },
        "daily": [
            {
                "day": d["day"].isoformat(),
                "total": d["total"],
                "emergency": d["emergency"],
                "url": _drill(params, day=d["day"].isoformat()),
            }
            for d in data["daily"]
        ],
        "categories": [
            {
                "name": c["name"],
                "value": c["total"],
                "url": _drill(params, category=c["category_id"])
                if c["category_id"]
                else _drill(params, uncategorised=1),
            }
            for c in data["categories"]
        ],
        "districts": [
            {
                "name": r["name"],
                "value": round((r["on_time"] or 0) * 100, 1),
                "requests": r["requests"],
                "url": _drill(params, district=r["district_id"]),
            }
            for r in data["districts"]
        ],
        "grid": {"communities": [c["name"] for c in grid], "width": width, "cells": cells},
    }


def _context(request: HttpRequest) -> dict[str, Any]:
    viewer = _staff(request)
    flt = s.report_filter_parse(params=request.GET.dict(), viewer=viewer)
    data = s.dashboard(flt=flt, viewer=viewer, now=timezone.now())
    labels = dict(ClockName.choices)
    return {
        "flt": flt,
        "params": flt.as_params(),
        "query": urlencode(flt.as_params()),
        "choices": s.filter_choices(viewer),
        "d": data,
        "definitions": s.rate_definitions(data["settings"]),
        "tables": TABLES,
        "charts": _charts(flt, data),
        "clock_rows": [
            {"name": name, "label": labels[name], "f": figure}
            for name, figure in data["summary"]["clocks"].items()
        ],
        # Issue 19: the cold-snap outlook (expected calls for the next 3 days), scoped like the figures.
        "outlook": outlook_panel(viewer=viewer, now=timezone.now()),
    }


@login_required
@domain_errors
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", _context(request))


@login_required
@domain_errors
def wall(request: HttpRequest) -> HttpResponse:
    """The wall screen: the same figures, large. The figures follow the live feed (within seconds of a change,
    and every 30 s for the clocks); the whole page, charts included, reloads every `refresh` seconds (300)."""
    try:
        refresh = max(15, min(int(request.GET.get("refresh", "300")), 3600))
    except ValueError:
        refresh = 300
    context = _context(request)
    context.update(refresh=refresh, now=timezone.now())
    return render(request, "reports/wall.html", context)


@login_required
@domain_errors
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests behind a figure (drill-down). Every dashboard number links here."""
    viewer = _staff(request)
    params = request.GET.dict()
    flt = s.report_filter_parse(params=params, viewer=viewer)
    queryset = s.drilldown_requests(flt=flt, viewer=viewer, params=params)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    personal = sees_personal_data(viewer)
    rows = [{"r": r, "phone": r.phone if personal else mask_phone(r.phone)} for r in page.object_list]
    return render(
        request,
        "reports/requests.html",
        {"page": page, "rows": rows, "query": query.urlencode(), "flt": flt, "params": flt.as_params()},
    )


def _xlsx_response(spool: IO[bytes], filename: str) -> FileResponse:
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@domain_errors
def export(request: HttpRequest, table: str) -> HttpResponseBase:
    """Any table of the reports as .xlsx (Chinese headers), written to a temporary file and streamed."""
    viewer = _staff(request)
    params = request.GET.dict()
    flt = s.report_filter_parse(params=params, viewer=viewer)
    stamp = f"{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}"
    # A temporary file (deleted when the response closes it) keeps memory flat for big exports.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    if table == "requests":
        queryset = s.drilldown_requests(flt=flt, viewer=viewer, params=params)
        write_xlsx_stream(
            out=spool,
            title=_("诉求明细"),
            headers=REQUEST_HEADERS,
            rows=request_rows(queryset, viewer=viewer),
        )
        return _xlsx_response(spool, f"requests-{stamp}.xlsx")
    if table not in TABLES:
        raise Http404()
    title, headers, rows = table_rows(table=table, flt=flt, viewer=viewer, now=timezone.now())
    write_xlsx(out=spool, title=title, headers=headers, rows=rows)
    return _xlsx_response(spool, f"{table}-{stamp}.xlsx")
