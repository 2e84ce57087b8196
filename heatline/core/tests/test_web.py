import pytest
from django.test import Client
from django.urls import reverse

from heatline.registry.tests.factories import Org


@pytest.mark.django_db
def test_healthz_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_pages_need_a_login(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_home_shows_real_counts_in_chinese_and_the_role_navigation(org: Org, client: Client) -> None:
    # given: an operator signed in
    client.force_login(org.operator)
    # when
    response = client.get(reverse("home"))
    # then: Chinese labels, the operator's intake link, real household count (2 in the small utility)
    html = response.content.decode()
    assert response.status_code == 200
    assert "热用户" in html and "来电登记" in html
    assert response.context["counts"].households == 2
    # the district's own staff count only their district
    client.force_login(org.responsible)
    assert client.get(reverse("home")).context["counts"].households == 1


@pytest.mark.django_db
def test_language_switch_gives_english(org: Org, client: Client) -> None:
    client.force_login(org.operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert "Households" in html
    assert "Call intake" in html


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(org: Org, client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    # given: django-axes on, 5 failures allowed
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": org.operator.username, "password": "wrong"})
    # when: the right password after the lock-out
    response = client.post(reverse("login"), {"username": org.operator.username, "password": "heatline-test"})
    # then: still locked out
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


@pytest.mark.django_db
def test_password_change_and_logout(org: Org, client: Client) -> None:
    client.force_login(org.operator)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "heatline-test",
            "new_password1": "Winter-is-c0ld",
            "new_password2": "Winter-is-c0ld",
        },
    )
    assert response.status_code == 302
    org.operator.refresh_from_db()
    assert org.operator.check_password("Winter-is-c0ld")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
