"""Open311 GeoReport v2 at /open311/v2/ (JSON and XML). Thin: parse → selector/service → mapping → render."""

import re
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from heatline.integrations.models import Open311Key
from heatline.integrations.open311 import mapping, render, selectors
from heatline.integrations.open311.services import Open311Error, open311_submit

MAX_POST_BYTES = 16 * 1024
MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_IDS = 100


def _not_allowed(fmt: str) -> HttpResponse:
    response = render.error(405, "method not allowed", fmt=fmt)
    return response


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed(fmt)
    base = request.build_absolute_uri(reverse("integrations:open311-root"))
    data = {
        "changeset": "2026-11-28T00:00:00+08:00",
        "contact": "963000 供热服务热线",
        "key_service": "向供热公司申请 API 密钥(heatline open311key NAME)",
        "endpoints": [
            {
                "specification": mapping.SPEC_URL,
                "url": base.rstrip("/"),
                "changeset": "2026-11-28T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render.respond(data, fmt=fmt, root="discovery")


def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed(fmt)
    data = [mapping.service_of(category) for category in selectors.services_active()]
    return render.respond(data, fmt=fmt, root="services")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed(fmt)
    category = selectors.service_get(code)
    if category is None:
        return render.error(404, f"service_code not found: {code}", fmt=fmt)
    return render.respond(mapping.definition_of(category), fmt=fmt, root="service_definition")


def _when(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        # An unencoded "+08:00" arrives as " 08:00" in a query string.
        parsed = parse_datetime(re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip()))
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _positive(value: str, name: str, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise Open311Error(400, f"{name} must be a positive integer")
    return int(value)


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    query = request.GET
    with_notes = query.get("extensions", "").lower() == "true"
    numbers = _list(query.get("service_request_id", ""))
    if len(numbers) > MAX_IDS:
        raise Open311Error(400, f"at most {MAX_IDS} service_request_id")
    statuses = _list(query.get("status", "").lower())
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status must be open or closed")
    start = _when(query.get("start_date", ""), "start_date")
    end = _when(query.get("end_date", ""), "end_date")
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date")
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    if not numbers:
        if start is None and end is None:
            end = timezone.now()
        if start is None and end is not None:
            start = end - MAX_SPAN
        if end is None and start is not None:
            end = start + MAX_SPAN
    page = _positive(query.get("page", ""), "page", 1)
    page_size = min(_positive(query.get("page_size", ""), "page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    queryset = selectors.requests_query(
        numbers=numbers or None,
        service_codes=_list(query.get("service_code", "")),
        start=start,
        end=end,
        statuses=statuses,
        with_notes=with_notes,
    )
    rows = queryset[(page - 1) * page_size : page * page_size]
    data = [
        mapping.request_of(row, notes=getattr(row, "open311_notes", None) if with_notes else None)
        for row in rows
    ]
    return render.respond(data, fmt=fmt, root="service_requests")


def _authenticated(request: HttpRequest) -> Open311Key:
    key = selectors.key_find(request.POST.get("api_key", ""))
    if key is None or not key.staff.is_active:
        raise Open311Error(403, "api_key was not provided or is invalid")
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 300:
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_POST_BYTES:
        raise Open311Error(400, "request body too large")
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(400, "POST requests must be form-encoded (application/x-www-form-urlencoded)")
    key = _authenticated(request)
    submission = open311_submit(key=key, form=request.POST.dict())
    number = submission.service_request.number
    data = [
        {
            "service_request_id": number,
            "token": submission.token,
            "service_notice": f"已受理,工单号 {number},可拨打963000查询",
            "account_id": None,
        }
    ]
    return render.respond(data, fmt=fmt, root="service_requests", status=201)


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        if request.method == "GET":
            return _request_list(request, fmt)
        if request.method == "POST":
            return _request_create(request, fmt)
    except Open311Error as error:
        return render.error(error.status, error.description, fmt=fmt)
    return _not_allowed(fmt)


def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed(fmt)
    with_notes = request.GET.get("extensions", "").lower() == "true"
    row = selectors.requests_query(numbers=[number], with_notes=with_notes).first()
    if row is None:
        return render.error(404, f"service_request_id not found: {number}", fmt=fmt)
    data = [mapping.request_of(row, notes=getattr(row, "open311_notes", None) if with_notes else None)]
    return render.respond(data, fmt=fmt, root="service_requests")


def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return _not_allowed(fmt)
    submission = selectors.submission_by_token(token)
    if submission is None:
        return render.error(404, f"token not found: {token}", fmt=fmt)
    data = [{"service_request_id": submission.service_request.number, "token": submission.token}]
    return render.respond(data, fmt=fmt, root="service_requests")
