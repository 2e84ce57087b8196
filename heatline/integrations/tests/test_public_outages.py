import pytest
from django.test import Client
from django.urls import reverse

from heatline.incidents.tests.factories import station_fault
from heatline.registry.tests.factories import Org


@pytest.mark.django_db
def test_a_resident_sees_the_outage_at_their_address_without_personal_data(org: Org, client: Client) -> None:
    # given: a station fault affecting the demo household's building
    incident = station_fault(org)
    # when: a resident looks up their address on the public page
    response = client.get(reverse("integrations:public-outages"), {"address": org.household.address})
    html = response.content.decode()
    # then: the fault and its asset are shown; no phone, name or account number of anyone
    assert response.status_code == 200
    assert incident.asset_label in html
    assert org.household.phone not in html
    assert org.household.account_number not in html
    assert org.household.contact_name not in html


@pytest.mark.django_db
def test_an_unknown_address_gets_a_clear_answer(org: Org, client: Client) -> None:
    response = client.get(reverse("integrations:public-outages"), {"address": "不存在的小区1号楼"})
    assert response.status_code == 200
    assert "未找到该地址" in response.content.decode()
