from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heatline.core.errors import InvalidInput
from heatline.integrations.open311.services import open311key_issue


class Command(BaseCommand):
    help = "Create (or replace) the Open311 API key of client NAME and print it (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            _key, secret = open311key_issue(client=options["name"])
        except InvalidInput as error:
            raise CommandError(error.message) from None
        self.stdout.write(secret)
