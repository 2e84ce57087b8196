"""`heatline import-staff FILE [--commit] [--send-sms]`: the organisation and its people.

New accounts get an unusable password and a one-time sign-in link, printed here or sent by SMS through
the outbox (`--send-sms`); never a shared default password."""

from argparse import ArgumentParser
from typing import Any

from heatline.core.errors import InvalidInput
from heatline.core.importcli import ImportCommand
from heatline.core.tabular import ImportReport
from heatline.registry.signin import signin_link, signin_link_send_sms
from heatline.registry.staff_import import STAFF_COLUMNS, staff_import


class Command(ImportCommand):
    help = "导入组织机构与人员(分公司、片区、科室、班组、员工、负责片区)。默认试运行;加 --commit 写入。"
    columns_help = ", ".join(column.name for column in STAFF_COLUMNS)

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--send-sms", action="store_true", help="新账号的一次性登录链接以短信发送(经发件箱)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.send_sms = bool(options["send_sms"])
        super().handle(*args, **options)

    def importer(self, **kwargs: Any) -> ImportReport:
        result = staff_import(**kwargs)
        for staff in result.new_accounts:
            if self.send_sms and staff.phone:
                try:
                    signin_link_send_sms(staff=staff, by=kwargs.get("by"))
                except InvalidInput as error:
                    self.stdout.write(f"{staff.username}:{error.message}")
                    continue
                self.stdout.write(f"{staff.username}({staff.name}):登录链接已通过短信发送至 {staff.phone}")
            else:
                self.stdout.write(
                    f"{staff.username}({staff.name})一次性登录链接:{signin_link(staff, by=kwargs.get('by'))}"
                )
        return result.report
