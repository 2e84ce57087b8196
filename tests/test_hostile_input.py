"""Hostile input at the API: NUL characters, absurd sizes, wrong types — a clear 4xx, nothing stored, no 500."""

import json

import pytest
from django.db import connection
from django.test import Client

from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org
from heatline.requests.models import ServiceRequest


def post(client: Client, token: str, body: object) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/requests",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code, response.json()


@pytest.mark.django_db
def test_a_nul_character_is_refused_on_postgresql_and_never_a_server_error(org: Org, client: Client) -> None:
    token = api_token_create(staff=org.operator)
    body = {
        "source": "963000",
        "phone": "13800000001",
        "household": org.household.account_number,
        "content": "暖气\x00不热",
    }
    status, answer = post(client, token, body)
    assert status == 422, (connection.vendor, answer)
    assert answer["code"] == "invalid"
    assert not ServiceRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"source": "963000", "phone": "1" * 500, "household": "x", "content": "不热"},
        {"source": "963000", "phone": "13800000001", "address": "某小区", "content": "热" * 100_000},
        {"source": 963000, "phone": ["13800000001"], "content": {"a": 1}},
        {"source": "nonsense", "phone": "13800000001", "address": "某小区", "content": "不热"},
        {
            "source": "12345",
            "phone": "13800000001",
            "address": "某小区",
            "content": "不热",
        },  # no platform order number
        [],
    ],
)
def test_malformed_requests_get_a_clear_error_and_store_nothing(
    org: Org, client: Client, body: object
) -> None:
    token = api_token_create(staff=org.operator)
    status, answer = post(client, token, body)
    assert status in (400, 422), answer
    assert answer.get("detail")
    assert not ServiceRequest.objects.exists()


HUGE = "137277360023381295104"  # beyond 64 bits
BIG64 = str(2**63)  # just beyond a signed 64-bit integer (PostgreSQL's bigint, SQLite's INTEGER)
BIG32 = str(2**31)  # beyond PostgreSQL's integer (a 32-bit primary key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/queue?page={HUGE}",
        f"/api/v1/queue?page={BIG64}",
        "/api/v1/queue?page=-3",
        f"/api/v1/queue?page_size={HUGE}",
        f"/api/v1/watchlist?offset=-3081118&limit=24953&district={HUGE}",
        f"/api/v1/watchlist?district={BIG64}",
        f"/api/v1/watchlist?district={BIG32}",
        f"/api/v1/requests/{HUGE}",
        f"/api/v1/requests/{BIG64}",
        f"/api/v1/requests/{BIG32}",
        "/api/v1/requests/-1",
    ],
)
def test_integers_beyond_the_database_get_a_clear_error_never_a_server_error(
    org: Org, client: Client, path: str
) -> None:
    token = api_token_create(staff=org.admin)
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 404, 422), (
        connection.vendor,
        response.status_code,
        response.content,
    )
    answer = response.json()
    if response.status_code == 200:  # a page size beyond the maximum is cut to it
        assert "page_size" in path and answer["count"] == 0, answer
        return
    assert answer["code"] in ("invalid", "not_found"), answer
    assert answer["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("finding", ["0", BIG32, BIG64, HUGE])
@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=xyz"],
)
def test_a_malformed_multipart_body_gets_a_clear_error(
    org: Org, client: Client, finding: str, content_type: str
) -> None:
    token = api_token_create(staff=org.admin)
    response = client.post(
        f"/api/v1/findings/{finding}/photos",
        data=b'--xyz\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\nabc\r\n--xyz--\r\n',
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert 400 <= response.status_code < 500, (connection.vendor, response.status_code, response.content)
    answer = response.json()
    assert answer["code"] in ("invalid", "not_found"), answer
    assert answer["detail"]


def _page_paths() -> list[str]:
    """Every page of the apps (not admin, not the API), with each integer in its path beyond 64 bits."""
    from django.urls import URLPattern, URLResolver, get_resolver

    paths: list[str] = []

    def walk(patterns: list[object], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                route = str(entry.pattern)
                if route.startswith(("admin/", "api/", "i18n/", "accounts/")):
                    continue
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if "<" in route and not all(part.startswith("int:") for part in route.split("<")[1:]):
                    continue  # string or slug parameters: left to the page tests
                for converter in ("<int:", ""):
                    while converter and converter in route:
                        start = route.index(converter)
                        route = route[:start] + HUGE + route[route.index(">", start) + 1 :]
                paths.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


@pytest.mark.django_db
def test_no_page_answers_a_server_error_to_numbers_beyond_the_database(org: Org, client: Client) -> None:
    client.force_login(org.admin)
    query = "&".join(
        f"{name}={HUGE}"
        for name in ("page", "district", "season", "year", "quarter", "team", "category", "station")
    )
    query += "&q=%00&phone=1%003"  # PostgreSQL cannot hold a NUL character
    paths = _page_paths()
    assert len(paths) > 30  # the walk found the apps' pages
    failures = []
    for path in paths:
        response = client.get(f"{path}?{query}")
        if response.status_code >= 500:
            failures.append((path, response.status_code))
    assert not failures, (connection.vendor, failures)
