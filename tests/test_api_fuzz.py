"""Fuzzing the HTTP API from its own OpenAPI schema (schemathesis): no 5xx, documented responses and
content types match.

Each operation gets a bounded number of generated requests, signed in as an administrator (who may see
everything) over the real WSGI stack, on SQLite and on PostgreSQL.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org

# Generated requests an operation: 25 in `make test`; HEATLINE_FUZZ_EXAMPLES raises it for a longer hunt.
FUZZ_EXAMPLES = int(os.environ.get("HEATLINE_FUZZ_EXAMPLES", "25"))

# The schema endpoint touches no table, so it loads at collection time through the real WSGI app.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """schemathesis calls the WSGI handler directly; like Django's test client, keep the handler from closing
    the test's connection (it sits inside the test's transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(org: Org) -> str:
    return api_token_create(staff=org.admin, name="fuzz")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@pytest.mark.django_db
def test_api_never_fails_and_answers_as_documented(case: Any, admin_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )
