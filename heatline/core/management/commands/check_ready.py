"""`heatline check-ready`: the go-live checklist of /setup/ on the console; exit 1 while an item is red."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heatline.core.readiness import readiness_checks


class Command(BaseCommand):
    help = "上线检查:列出受理第一个来电前还缺什么(有未就绪项时退出码 1) / The go-live checklist (exit 1 while red)."

    def handle(self, *args: Any, **options: Any) -> None:
        checks = readiness_checks()
        base = str(settings.HEATLINE_PUBLIC_BASE_URL).rstrip("/")
        for check in checks:
            mark = self.style.SUCCESS("[✓]") if check.ok else self.style.ERROR("[✗]")
            self.stdout.write(f"{mark} {check.title}  ({check.count})")
            if check.detail:
                self.stdout.write(f"      {check.detail}")
            if check.examples:
                more = " …" if check.count > len(check.examples) else ""
                self.stdout.write(f"      {'、'.join(check.examples)}{more}")
            if not check.ok and check.fix_url:
                self.stdout.write(f"      去修复 / fix: {base}{check.fix_url}")
        red = sum(1 for check in checks if not check.ok)
        if red:
            raise CommandError(f"还有 {red} 项未就绪 / {red} item(s) not ready", returncode=1)
        self.stdout.write(self.style.SUCCESS("全部就绪 / ready to take the first call"))
