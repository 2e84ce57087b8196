"""Whatever a signed push or an Open311 post carries, the answer is a clear refusal or a success — never a 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heatline.integrations.models import ExchangeOrder
from heatline.integrations.open311.services import open311key_issue
from heatline.registry.tests.factories import Org

from .helpers import push

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=3000), content_type=st.sampled_from(["application/json", "application/xml"]))
def test_signed_garbage_is_refused_without_a_500(org: Org, body: bytes, content_type: str) -> None:
    response = push(Client(), body, content_type=content_type)
    assert response.status_code in (400, 409, 413, 415, 422)
    assert ExchangeOrder.objects.count() == 0


@pytest.mark.django_db
@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "description",
                "phone",
                "address_string",
                "address_id",
                "attribute[room_temperature]",
            ]
        ),
        st.text(max_size=300),
    )
)
def test_open311_posts_never_fail_with_a_500(org: Org, fields: dict[str, str]) -> None:
    _key, secret = open311key_issue(client="fuzz")
    response = Client().post("/open311/v2/requests.json", {**fields, "api_key": secret})
    assert response.status_code in (201, 400, 403, 404)
