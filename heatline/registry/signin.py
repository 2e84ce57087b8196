"""One-time sign-in links (issue 18): a new account gets a link to set its own password, never a shared one.

The token is Django's password-reset token with a salt of its own, so a password-reset token is no sign-in
link and the other way round. It hashes the password and the last sign-in: once the link has been used (the
password is set, the user signs in) it stops working; unused, it expires after HEATLINE_SIGNIN_LINK_DAYS.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import InvalidInput
from heatline.outbox.models import Outbox
from heatline.outbox.services import outbox_enqueue
from heatline.registry.models import Staff


def signin_link_seconds() -> int:
    return int(settings.HEATLINE_SIGNIN_LINK_DAYS) * 86400


class SigninTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of sign-in links: their own salt and their own lifetime (not PASSWORD_RESET_TIMEOUT)."""

    key_salt = "heatline.registry.signin.SigninTokenGenerator"

    def _make_hash_value(self, user: Staff, timestamp: int) -> str:  # type: ignore[override]
        # A deactivated account's links die with it.
        return f"{super()._make_hash_value(user, timestamp)}{int(user.is_active)}"

    def check_token(self, user: Staff | None, token: str | None) -> bool:  # type: ignore[override]
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= signin_link_seconds()


signin_token_generator = SigninTokenGenerator()


def signin_path(staff: Staff) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(staff.pk))
    return reverse("signin", kwargs={"uidb64": uidb64, "token": signin_token_generator.make_token(staff)})


def signin_link(staff: Staff, *, by: Staff | None = None) -> str:
    """An absolute one-time sign-in link for `staff` (HEATLINE_PUBLIC_BASE_URL + /accounts/signin/…/…/);
    each link issued leaves an audit record (who asked, until when it is valid), never the token itself."""
    link = str(settings.HEATLINE_PUBLIC_BASE_URL).rstrip("/") + signin_path(staff)
    audit_record(
        by=by,
        obj=staff,
        action="signin_link_issued",
        extra={"username": staff.username, "valid_days": settings.HEATLINE_SIGNIN_LINK_DAYS},
    )
    return link


@transaction.atomic
def signin_link_send_sms(*, staff: Staff, by: Staff | None = None) -> Outbox:
    """Issue a sign-in link and queue it as an SMS to the staff member's phone (through the outbox)."""
    phone = staff.phone.strip()
    if not phone:
        raise InvalidInput(_("该员工没有登记手机号,无法发送短信"), field="phone")
    link = signin_link(staff, by=by)
    text = _("Heatline 登录链接(%(days)s天内有效,仅可使用一次):%(link)s") % {
        "days": settings.HEATLINE_SIGNIN_LINK_DAYS,
        "link": link,
    }
    message = outbox_enqueue(topic="resident.sms", key=staff.username, payload={"phone": phone, "text": text})
    assert message is not None  # no dedupe key: always queued
    audit_record(by=by, obj=staff, action="signin_link_sms", extra={"outbox": message.pk})
    return message


def signin_complete(*, staff: Staff) -> None:
    """The link's owner has set a password through it (and is signed in): the link is spent."""
    audit_record(by=staff, obj=staff, action="signin_link_used", extra={"username": staff.username})
