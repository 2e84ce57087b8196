"""`heatline signin-link USERNAME [--send-sms]`: a one-time link with which a member of staff sets a password."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heatline.core.errors import InvalidInput
from heatline.registry.models import Staff
from heatline.registry.signin import signin_link, signin_link_send_sms


class Command(BaseCommand):
    help = (
        "打印员工的一次性登录链接(--send-sms 通过短信发送) / "
        "Print a member of staff's one-time sign-in link (--send-sms: send it by SMS)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="员工账号 / the staff member's username")
        parser.add_argument(
            "--send-sms", action="store_true", help="发短信到员工手机 / send it to the staff member's phone"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        staff = Staff.objects.filter(username=username).first()
        if staff is None:
            raise CommandError(f"员工账号不存在 / no staff member named {username!r}")
        if not staff.is_active:
            raise CommandError(f"账号 {username} 已停用 / the account {username!r} is deactivated")
        days = settings.HEATLINE_SIGNIN_LINK_DAYS
        if options["send_sms"]:
            if not staff.phone.strip():
                raise CommandError(
                    f"员工 {username} 没有登记手机号,无法发送短信 / {username!r} has no phone number for the SMS"
                )
            try:
                message = signin_link_send_sms(staff=staff)
            except InvalidInput as error:
                raise CommandError(error.message) from None
            phone = staff.phone.strip()
            self.stdout.write(
                f"登录链接短信已排队发送至 {phone[:3]}****{phone[-4:]}(消息 {message.pk}){days}天内有效"
                f" / the sign-in link SMS is queued (outbox {message.pk}), valid {days} days"
            )
            return
        self.stdout.write(
            f"{staff.display_name}({username})的一次性登录链接,{days}天内有效 / valid {days} days:"
        )
        self.stdout.write(signin_link(staff))
