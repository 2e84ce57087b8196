"""One-time sign-in links (issue 18): set a password once, signed in, then the link is dead; expiry; SMS."""

from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from heatline.cli import COMMAND_ALIASES
from heatline.core.models import AuditEvent
from heatline.outbox.models import Outbox
from heatline.registry.models import Role, Staff
from heatline.registry.signin import signin_link, signin_path
from heatline.registry.tests.factories import StaffFactory

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_PASSWORD = "warm-winter-2026"


def new_staff(**fields: Any) -> Staff:
    staff = StaffFactory(username="new_operator", name="新话务员", role=Role.OPERATOR, **fields)
    staff.set_unusable_password()
    staff.save()
    return staff


def is_invalid_page(response: Any) -> bool:
    return response.status_code == 200 and response.context["validlink"] is False


@pytest.mark.django_db
def test_the_link_is_absolute_under_the_public_address_and_audited(settings: Any) -> None:
    settings.HEATLINE_PUBLIC_BASE_URL = "https://heatline.example.cn/"
    staff = new_staff()
    link = signin_link(staff)
    uidb64 = urlsafe_base64_encode(force_bytes(staff.pk))
    assert link.startswith(f"https://heatline.example.cn/accounts/signin/{uidb64}/")
    assert link.endswith("/") and link.count("//") == 1
    event = AuditEvent.objects.get(action="signin_link_issued", object_id=str(staff.pk))
    assert event.extra["username"] == "new_operator"
    assert link.split("/")[-2] not in str(event.extra)  # the token itself is never stored


@pytest.mark.django_db
def test_a_link_sets_the_password_signs_in_and_then_is_dead(client: Client) -> None:
    # given: a new account without a password and its link
    staff = new_staff()
    path = signin_path(staff)
    # when: the link is opened (the token moves into the session, off the address) and a password set
    response = client.get(path)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/set-password/")
    response = client.get(form_url)
    assert response.status_code == 200 and response.context["validlink"] is True
    assert "设置您的密码" in response.content.decode()
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # then: signed in, at home, with the new password
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD) and staff.last_login is not None
    assert AuditEvent.objects.filter(action="signin_link_used", object_id=str(staff.pk)).exists()
    # and the same link, opened again (anywhere), is dead
    assert is_invalid_page(Client().get(path))
    assert is_invalid_page(client.get(path))


@pytest.mark.django_db
def test_the_password_validators_apply(client: Client) -> None:
    staff = new_staff()
    form_url = client.get(signin_path(staff))["Location"]
    response = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and response.context["form"].errors
    staff.refresh_from_db()
    assert not staff.has_usable_password()
    # the link still works for a better try
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_link_expires_after_the_set_number_of_days(settings: Any) -> None:
    settings.HEATLINE_SIGNIN_LINK_DAYS = 7
    staff = new_staff()
    with time_machine.travel(T0, tick=False) as traveller:
        path = signin_path(staff)
        # six days on it still opens
        traveller.move_to(T0 + timedelta(days=6, hours=23))
        assert Client().get(path).status_code == 302
        # seven days and a minute on it is expired, and says so
        traveller.move_to(T0 + timedelta(days=7, minutes=1))
        response = Client().get(path)
    assert is_invalid_page(response)
    assert "此登录链接无效、已被使用或已过期" in response.content.decode()


@pytest.mark.django_db
def test_a_link_that_expires_while_the_form_is_open_is_refused(client: Client) -> None:
    staff = new_staff()
    with time_machine.travel(T0, tick=False) as traveller:
        path = signin_path(staff)
        form_url = client.get(path)["Location"]
        traveller.move_to(T0 + timedelta(days=8))
        response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert is_invalid_page(response)
    staff.refresh_from_db()
    assert not staff.has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signin/xx/yy/",
        "/accounts/signin/MTIzNDU2/abc-def/",  # no such account
        f"/accounts/signin/{urlsafe_base64_encode(force_bytes(2**80))}/abc-def/",  # beyond the database
        "/accounts/signin/_w/set-password/",  # not UTF-8, and the form without a link
    ],
)
def test_a_wrong_link_gets_a_clear_page_in_chinese_and_english(client: Client, path: str) -> None:
    response = client.get(path)
    assert is_invalid_page(response)
    assert "登录链接无效" in response.content.decode()
    client.cookies["django_language"] = "en"
    assert "This sign-in link is invalid, has been used or has expired." in client.get(path).content.decode()


@pytest.mark.django_db
def test_a_password_reset_token_is_no_sign_in_link_and_a_deactivated_account_has_none(client: Client) -> None:
    staff = new_staff()
    uidb64 = urlsafe_base64_encode(force_bytes(staff.pk))
    assert is_invalid_page(
        client.get(f"/accounts/signin/{uidb64}/{default_token_generator.make_token(staff)}/")
    )
    path = signin_path(staff)
    staff.is_active = False
    staff.save()
    assert is_invalid_page(client.get(path))


@pytest.mark.django_db
def test_the_command_prints_a_link_and_refuses_unknown_accounts() -> None:
    staff = new_staff()
    out = StringIO()
    call_command("signin_link", "new_operator", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert "/accounts/signin/" in link
    response = Client().get(link.split("127.0.0.1:8000", 1)[-1])
    assert response.status_code == 302  # the printed link works
    assert AuditEvent.objects.filter(action="signin_link_issued", object_id=str(staff.pk)).count() == 1
    with pytest.raises(CommandError, match="nobody"):
        call_command("signin_link", "nobody", stdout=StringIO())
    assert COMMAND_ALIASES["signin-link"] == "signin_link"


@pytest.mark.django_db
def test_send_sms_queues_the_link_to_the_staff_phone_and_needs_one() -> None:
    # given: one account with a phone, one without
    staff = new_staff(phone="13912345678")
    StaffFactory(username="no_phone", phone="")
    # when
    out = StringIO()
    call_command("signin_link", "new_operator", "--send-sms", stdout=out)
    # then: one SMS row addressed to the phone, carrying the link; the console does not show the link
    message = Outbox.objects.get(topic="resident.sms", key="new_operator")
    assert message.payload["phone"] == "13912345678"
    assert "/accounts/signin/" in message.payload["text"]
    assert "/accounts/signin/" not in out.getvalue() and "139****5678" in out.getvalue()
    assert AuditEvent.objects.filter(action="signin_link_sms", object_id=str(staff.pk)).exists()
    with pytest.raises(CommandError, match="手机号"):
        call_command("signin_link", "no_phone", "--send-sms", stdout=StringIO())
    assert Outbox.objects.filter(topic="resident.sms").count() == 1
