"""The `heatline` console command: Django's management commands under the project's settings."""

import os
import sys

# Console names with a dash for commands whose Django module names cannot have one.
COMMAND_ALIASES = {
    "import-ledger": "import_ledger",
    "watchlist-build": "watchlist_build",
    "hazard-areas": "hazard_areas",
    "import-register": "import_register",
    "import-staff": "import_staff",
    "import-requests": "import_requests",
    "import-sensors": "import_sensors",
    "signin-link": "signin_link",
    "check-ready": "check_ready",
    "pbx-bridge": "pbx_bridge",
    "weather-import": "weather_import",
    "weather-fetch": "weather_fetch",
    "telemetry-mqtt": "telemetry_mqtt",
    "import-network": "import_network",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
    from django.core.management import execute_from_command_line

    arguments = sys.argv[1:]
    if arguments and arguments[0] in COMMAND_ALIASES:
        arguments[0] = COMMAND_ALIASES[arguments[0]]
    execute_from_command_line(["heatline", *arguments])


if __name__ == "__main__":
    main()
