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
