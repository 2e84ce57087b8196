"""Access control over every page and API operation (issue 9): anonymous, each role, CSRF.

The pages are discovered from the URL configuration and the operations from the OpenAPI schema, so a
page or endpoint added later is covered without touching this file.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from heatline.api import api
from heatline.core.navigation import nav_for
from heatline.registry.tests.factories import Org

# Pages anyone may open (the residents' side, sign-in, health, machine-readable standards).
PUBLIC_PREFIXES = (
    "/healthz",
    "/accounts/login",
    "/accounts/logout",
    "/i18n/",
    "/public",
    "/open311/",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/exchange/",
)
# POST endpoints that authenticate the caller by signature or key instead of a session (so no CSRF).
CSRF_EXEMPT_PREFIXES = ("/exchange/", "/open311/", "/api/v1/", "/public")
ROLES = (
    "operator",
    "responsible",
    "worker",
    "dept_head",
    "crew_leader",
    "branch_manager",
    "inspector",
    "manager",
    "admin",
)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def plain_pages() -> list[str]:
    """Every page URL without parameters, except admin and the API (tested on their own)."""
    pages = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if (
            "<" in route
            or "(?P" in route
            or "^" in route
            or route.startswith(("admin/", "api/v1/", "static/", "media/"))
        ):
            continue
        pages.append("/" + route.replace("\\", ""))
    return sorted(set(pages))


PAGES = plain_pages()


def is_public(url: str) -> bool:
    return url.startswith(PUBLIC_PREFIXES)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [p for p in PAGES if not is_public(p)])
def test_every_staff_page_sends_an_anonymous_visitor_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (302, 401, 403), url
    if response.status_code == 302:
        assert reverse("login") in response["Location"], url


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_its_navigation_pages_and_no_server_error_anywhere(
    org: Org, client: Client, role: str
) -> None:
    # given: a member of staff with this role
    staff = org[role]
    client.force_login(staff)
    # then: every page of the role's navigation opens
    for item in nav_for(staff):
        url = reverse(item.url_name)
        assert client.get(url).status_code == 200, (role, url)
    # and no page answers with a server error (pages outside the role answer 403/404 or redirect)
    for url in PAGES:
        status = client.get(url).status_code
        assert status < 500, (role, url, status)


@pytest.mark.django_db
def test_every_form_post_needs_the_csrf_token(org: Org) -> None:
    # given: a signed-in operator whose browser does not send the CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    # when / then: every page refuses a POST without the token (except signature- or key-authenticated endpoints)
    for url in PAGES:
        if url.startswith(CSRF_EXEMPT_PREFIXES) or url.startswith("/accounts/login"):
            continue
        status = client.post(url, {"anything": "x"}).status_code
        assert status in (403, 405), (url, status)


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((method, path))
    return operations


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_api_operation_refuses_an_anonymous_caller(client: Client, method: str, path: str) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)  # any value: authentication comes before lookup
    response = getattr(client, method)(url, content_type="application/json")
    assert response.status_code == 401, (method, path, response.status_code)


@pytest.mark.django_db
def test_a_bad_bearer_token_is_refused(client: Client) -> None:
    response = client.get("/api/v1/requests", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
