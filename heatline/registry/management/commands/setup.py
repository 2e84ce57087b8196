"""`heatline setup`: go live from an empty database — the company, its administrator and a sign-in link."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heatline.core.errors import InvalidInput
from heatline.registry.services import installation_setup
from heatline.registry.signin import signin_link


class Command(BaseCommand):
    help = (
        "在空数据库中登记公司和系统管理员,并打印管理员的一次性登录链接(不生成演示数据) / "
        "Set up an empty database: the company and its administrator, with a one-time sign-in link."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--company", required=True, help="公司名称 / the company's name")
        parser.add_argument("--admin", required=True, help="管理员账号 / the administrator's username")
        parser.add_argument("--phone", default="", help="管理员手机号 / the administrator's mobile number")
        parser.add_argument("--hotline", default="963000", help="服务热线 / the hotline number (963000)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            installation = installation_setup(
                company_name=options["company"],
                admin_username=options["admin"],
                phone=options["phone"],
                hotline=options["hotline"],
            )
        except InvalidInput as error:
            raise CommandError(error.message) from None
        link = signin_link(installation.admin)
        if installation.is_new:
            self.stdout.write(
                f"已登记公司“{installation.company.name}”和系统管理员 {installation.admin.username}"
                f" / company and administrator created"
            )
        else:
            self.stdout.write(
                f"公司“{installation.company.name}”已安装,重新生成管理员登录链接"
                f" / already set up: a new sign-in link for {installation.admin.username}"
            )
        days = settings.HEATLINE_SIGNIN_LINK_DAYS
        self.stdout.write(
            f"管理员一次性登录链接({days}天内有效)/ the administrator's one-time sign-in link ({days} days):"
        )
        self.stdout.write(link)
        self.stdout.write("下一步 / next: heatline check-ready (或打开 /setup/ 上线检查)")
