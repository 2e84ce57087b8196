"""`heatline demo`: a realistic small utility (Heihe-like), idempotent, deterministic with a seed."""

import importlib
import random
import time
from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from heatline.registry.demo import ACCOUNTS, DEMO_CALLER_PHONE, DEMO_PASSWORD
from heatline.registry.models import Company, Household


class Command(BaseCommand):
    help = (
        "创建演示数据(幂等) / Create the demo utility: organisation, property, staff, history (idempotent)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--size", type=int, default=20000, help="households (default 20,000; e.g. 200000 for benchmarks)"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when households exist already"
        )
        parser.add_argument("--no-history", action="store_true", help="register only: no requests or ledgers")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and not settings.HEATLINE_DEMO:
            self._go_live()
            return
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: demo data would mix with real data. Use --force if you mean it."
            )
        if options["size"] < 100 or options["size"] > 5_000_000:
            raise CommandError("--size must be between 100 and 5,000,000 households")
        if options["if_empty"] and (Household.objects.exists() or Company.objects.exists()):
            self.stdout.write("demo: data present, nothing to do")
            self._accounts()
            return
        started = time.monotonic()
        rng = random.Random(options["seed"])

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")
            self.stdout.flush()

        from heatline.registry.demo import populate_organisation, populate_property

        populate_organisation(rng=rng, progress=progress)
        populate_property(rng=rng, progress=progress, households=options["size"])
        if options["no_history"]:  # the register alone still gets its coordinates (the map, issue 21)
            from heatline.maps import demo as maps_demo

            maps_demo.populate(rng=random.Random(f"{options['seed']}-maps"), progress=progress)
        else:
            from heatline.requests import demo as requests_demo

            requests_demo.populate(
                rng=random.Random(options["seed"] + 1), progress=progress, households=options["size"]
            )
            # Every other area adds its own demo rows (watch list, inspections, cases, incidents, training…).
            for config in apps.get_app_configs():
                if not config.name.startswith("heatline.") or config.label in (
                    "registry",
                    "requests",
                    "core",
                ):
                    continue
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name == f"{config.name}.demo":
                        continue
                    raise
                module.populate(rng=random.Random(f"{options['seed']}-{config.label}"), progress=progress)
        progress("demo ready")
        self._accounts()

    def _go_live(self) -> None:
        """HEATLINE_DEMO=false (`make run` of a real install): no demo rows; an empty database is set up
        with HEATLINE_COMPANY_NAME and HEATLINE_ADMIN_USERNAME and prints the administrator's sign-in link."""
        if Company.objects.exists() or Household.objects.exists():
            self.stdout.write(
                "HEATLINE_DEMO=false: 数据库已有数据,不加载演示数据 / data present, no demo data loaded"
                " (新的登录链接 / a new sign-in link: heatline signin-link USERNAME)"
            )
            return
        call_command(
            "setup",
            company=settings.HEATLINE_COMPANY_NAME,
            admin=settings.HEATLINE_ADMIN_USERNAME,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def _accounts(self) -> None:
        self.stdout.write(f"\nDemo accounts (password: {DEMO_PASSWORD}):")
        for username, (role, name) in ACCOUNTS.items():
            self.stdout.write(f"  {username:<10} {role.label}  {name}")
        self.stdout.write(f"Caller pop-up demo: /intake/?caller={DEMO_CALLER_PHONE}")
