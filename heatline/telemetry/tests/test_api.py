"""POST /api/v1/telemetry/readings: gateway tokens only, 202 with what happened to each reading, a batch
over 5,000 refused whole."""

import json
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from heatline.registry.models import Role, Staff
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org
from heatline.telemetry.models import Sensor, SensorReading
from heatline.telemetry.tests.conftest import T0, at

URL = "/api/v1/telemetry/readings"


def gateway_client() -> Client:
    out = StringIO()
    call_command("apitoken", "gw", "--system-role", "gateway", stdout=out)
    return Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})


def post(client: Client, body: Any) -> Any:
    with time_machine.travel(T0, tick=False):
        return client.post(
            URL, body if isinstance(body, str) else json.dumps(body), content_type="application/json"
        )


def test_the_gateway_token_is_a_system_account_of_the_gateway_role(db: None) -> None:
    gateway_client()
    staff = Staff.objects.get(username="gw")
    assert (staff.role, staff.name, staff.has_usable_password()) == (Role.GATEWAY, "数据采集网关", False)


def test_a_gateway_posts_a_batch_and_hears_what_was_accepted_duplicated_and_rejected(
    sensors: dict[str, Sensor],
) -> None:
    # given
    client = gateway_client()
    readings = [
        {"sensor": "S-0001", "at": at(-10), "celsius": 17.2},
        {"sensor": "S-0001", "at": at(-10), "celsius": 17.2},
        {"sensor": "S-4040", "at": at(-10), "celsius": 17.2},
        {"sensor": "ST-01", "at": at(-10), "supply_c": 61.0, "return_c": 40.5, "pressure_mpa": 0.55},
        {"sensor": "S-0002", "at": at(120), "celsius": 18.0},
    ]

    # when
    response = post(client, {"readings": readings})

    # then
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [(r["index"], r["sensor"], r["code"]) for r in body["rejected"]] == [
        (2, "S-4040", "unknown_sensor"),
        (4, "S-0002", "future"),
    ]
    assert body["rejected"][0]["reason"] == "未登记的传感器编号"
    assert SensorReading.objects.count() == 2


def test_more_than_5000_readings_are_refused_and_nothing_is_stored(sensors: dict[str, Sensor]) -> None:
    readings = [{"sensor": "S-0001", "at": at(-i / 1000), "celsius": 18.0} for i in range(5001)]
    response = post(gateway_client(), {"readings": readings})
    assert response.status_code == 422
    assert "5000" in response.json()["detail"]
    assert not SensorReading.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[]", '{"readings": {"sensor": "S-0001"}}', "{}", '"x"'])
def test_a_body_of_another_shape_is_refused(sensors: dict[str, Sensor], body: str) -> None:
    response = post(gateway_client(), body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_other_roles_may_not_post_readings_and_anonymous_callers_must_sign_in(
    org: Org, sensors: dict[str, Sensor]
) -> None:
    body = {"readings": [{"sensor": "S-0001", "at": at(), "celsius": 18.0}]}
    operator = Client(headers={"Authorization": f"Bearer {api_token_create(staff=org.operator, name='t')}"})
    admin = Client(headers={"Authorization": f"Bearer {api_token_create(staff=org.admin, name='t')}"})

    assert post(Client(), body).status_code == 401
    assert post(operator, body).status_code == 403
    assert not SensorReading.objects.exists()
    assert post(admin, body).status_code == 202
    assert SensorReading.objects.count() == 1
