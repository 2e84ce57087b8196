"""`heatline telemetry-mqtt`: subscribe to the broker in HEATLINE_MQTT_URL and store the readings gateways
publish on `heatline/readings/<sensor>` (see heatline/telemetry/mqtt.py). Stops cleanly on SIGTERM."""

import signal
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heatline.telemetry.mqtt import Subscriber


class Command(BaseCommand):
    help = (
        "Store the readings published to the MQTT broker in HEATLINE_MQTT_URL (topics heatline/readings/+)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="the broker (default: HEATLINE_MQTT_URL)")
        parser.add_argument("--topic", default="", help="the topic filter (default: HEATLINE_MQTT_TOPIC)")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.HEATLINE_MQTT_URL
        if not url:
            raise CommandError("no broker: set HEATLINE_MQTT_URL (mqtt://user:pass@host:1883) or pass --url")
        try:
            subscriber = Subscriber(
                url,
                topic=options["topic"] or settings.HEATLINE_MQTT_TOPIC,
                client_id=settings.HEATLINE_MQTT_CLIENT_ID,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error

        def stop(signum: int, frame: FrameType | None) -> None:
            subscriber.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        subscriber.start()
        subscriber.run()
