"""A database that is down answers 503 with a clear message, never a 500 with a stack trace; a number beyond
what the database holds (a page, an id, a filter) answers 422."""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from heatline.core.errors import out_of_range_input

log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        message = str(exception).lower()
        if "locked" in message and "database" in message:
            text = _("系统繁忙,请稍后重试")
        elif any(word in message for word in ("connect", "terminat", "closed", "shutdown", "server")):
            text = _("数据库暂时不可用,请稍后重试")
        else:
            return None
        log.warning("database unavailable: %s", exception)
        response = JsonResponse({"detail": text, "code": "unavailable"}, status=503)
        response["Retry-After"] = "5"
        return response


class OutOfRangeInputMiddleware:
    """The pages' counterpart of the API's handler (heatline/api.py): the same errors, the same answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        answer = out_of_range_input(exception)
        if answer is None:
            return None
        status, detail = answer
        log.info("input out of range on %s: %s", request.path, exception)
        if request.path.startswith(("/api/", "/open311/")):
            return JsonResponse({"detail": detail, "code": "invalid"}, status=status)
        return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
