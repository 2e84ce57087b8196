import pytest
from django.test import Client

from heatline.integrations.models import Open311Key
from heatline.registry.tests.factories import Org


@pytest.mark.django_db
def test_admin_issues_a_key_once_shown_and_revokes_it(org: Org, client: Client) -> None:
    # given
    client.force_login(org.admin)
    # when: a key is added for a client
    response = client.post("/admin/integrations/open311key/add/", {"client": "civic-app"}, follow=True)
    # then: the secret is shown once; only its digest is stored
    assert response.status_code == 200
    body = response.content.decode()
    key = Open311Key.objects.get(client="civic-app")
    secret = body.split("只显示一次", 1)[1].split("o311_", 1)[1].split("<", 1)[0].split()[0]
    assert key.digest == Open311Key.digest_of("o311_" + secret)
    assert "o311_" + secret not in str(Open311Key.objects.values_list("digest", "prefix"))
    # when: revoked
    client.post(
        "/admin/integrations/open311key/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.is_active and key.revoked_at is not None
    assert client.get("/admin/integrations/exchangeorder/").status_code == 200
    assert client.get("/admin/integrations/servicehall/add/").status_code == 200
