"""The HTTP API (django-ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Auth: `Authorization: Bearer <token>` (`heatline apitoken USERNAME`) or the UI's session (with CSRF).
Domain errors map to HTTP here, once: InvalidInput 422, ActionForbidden 403, NotVisible 404,
TransitionNotAllowed/Conflict 409; numbers beyond the database and malformed multipart bodies 422/400;
a database that is down answers 503.
"""

import logging
from typing import Any

from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from heatline.core.errors import DomainError, out_of_range_input
from heatline.registry.models import Staff
from heatline.registry.tokens import staff_for_token

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Staff | None:
        staff = staff_for_token(token)
        if staff is not None:
            request.user = staff
        return staff


AUTH: list[Any] = [BearerToken(), django_auth]

api = NinjaAPI(
    title="Heatline API",
    version="1.0.0",
    description="热线诉求系统接口 — the service-request API of a district-heating utility.",
    urls_namespace="api",
    auth=AUTH,
)


def current_staff(request: HttpRequest) -> Staff:
    """The signed-in staff member (the auth classes have already refused anonymous callers)."""
    user = getattr(request, "auth", None) or request.user
    assert isinstance(user, Staff)
    return user


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if error.field:
        body["field"] = error.field
    return api.create_response(request, body, status=error.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("输入无效"), "code": "invalid", "errors": error.errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("请先登录或提供有效令牌"), "code": "unauthorized"}, status=401
    )


@api.exception_handler(OverflowError)
@api.exception_handler(ValueError)
@api.exception_handler(DataError)
@api.exception_handler(IntegrityError)
@api.exception_handler(MultiPartParserError)
def input_out_of_range(request: HttpRequest, error: Exception) -> HttpResponse:
    """An id, page or number beyond what the database holds, a NUL in text, an unparsable multipart body: 4xx."""
    answer = out_of_range_input(error)
    if answer is None:
        raise error
    log.info("input out of range on %s: %s", request.get_full_path(), error)
    status, detail = answer
    return api.create_response(request, {"detail": detail, "code": "invalid"}, status=status)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_down(request: HttpRequest, error: DatabaseError) -> HttpResponse:
    log.warning("database unavailable: %s", error)
    response = api.create_response(
        request, {"detail": _("数据库暂时不可用,请稍后重试"), "code": "unavailable"}, status=503
    )
    response["Retry-After"] = "5"
    return response


def _mount() -> None:
    from heatline.core.api import router as core
    from heatline.incidents.api import router as incidents
    from heatline.inspections.api import router as inspections
    from heatline.integrations.api import router as integrations
    from heatline.joint.api import router as joint
    from heatline.maps.api import router as maps
    from heatline.proactive.api import router as proactive
    from heatline.registry.api import router as registry
    from heatline.reports.api import router as reports
    from heatline.requests.api import router as requests
    from heatline.telemetry.api import router as telemetry
    from heatline.telemetry.reads_api import router as telemetry_reads
    from heatline.training.api import router as training
    from heatline.weather.api import router as weather

    api.add_router("/", registry)
    api.add_router("/", requests)
    api.add_router("/", proactive)
    api.add_router("/", inspections)
    api.add_router("/", joint)
    api.add_router("/", incidents)
    api.add_router("/", integrations)
    api.add_router("/", reports)
    api.add_router("/", telemetry_reads)
    api.add_router("/", training)
    api.add_router("/", weather)
    api.add_router("/", telemetry)
    api.add_router("/", core)
    api.add_router("/", maps)


_mount()
