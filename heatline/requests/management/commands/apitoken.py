"""`heatline apitoken USERNAME`: print a new bearer token for that staff member (shown once)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heatline.registry.models import Staff
from heatline.registry.services import api_token_create


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a token needs the database only, not the URL configuration
    help = "Print a new API token (Authorization: Bearer …) for USERNAME; only its digest is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for (e.g. 'phone system')")
        parser.add_argument(
            "--system-role",
            choices=["pbx", "gateway"],
            help="create USERNAME as a system account of this role when missing (pbx: the phone system; "
            "gateway: a telemetry gateway posting readings)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["system_role"] and not Staff.objects.filter(username=options["username"]).exists():
            from heatline.integrations.services import system_staff

            names = {"pbx": "电话系统接口", "gateway": "数据采集网关"}
            role = options["system_role"]
            system_staff(username=options["username"], name=names[role], role=role)
        staff = Staff.objects.filter(username=options["username"], is_active=True).first()
        if staff is None:
            raise CommandError(f"no active staff member named {options['username']!r}")
        self.stdout.write(api_token_create(staff=staff, name=options["name"][:100]))
