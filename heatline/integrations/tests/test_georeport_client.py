"""The PyPI client `georeport` against a live server (JSON and XML)."""

from typing import Any

import pytest
from georeport import GeoReport

from heatline.registry.tests.factories import Org
from heatline.requests.tests.factories import registered_request


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_everything(org: Org, live_server: Any, fmt: str) -> None:
    # given
    service_request = registered_request(org)
    client = GeoReport(f"{live_server.url}/open311/v2/", jurisdiction="heihe.gov.cn", output_format=fmt)

    # when
    services = client.get_service_list()
    definition = client.get_service_definition("low_temperature")
    requests = client.get_service_requests(status="open")
    one = client.get_service_request(service_request.number)

    # then
    assert "low_temperature" in [service["service_code"] for service in services]
    assert definition["service_code"] == "low_temperature"
    listed = requests if isinstance(requests, list) else [requests]
    assert [row["service_request_id"] for row in listed] == [service_request.number]
    assert one["service_request_id"] == service_request.number
    assert one["status"] == "open"
