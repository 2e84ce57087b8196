"""Bench of the caller pop-up with live readings (issue 19) on PostgreSQL: p50/p95 ≤ 50 ms is the target.

On the day database of `bench/telemetry.py --day` (100,000 room sensors in the homes of a demo register, a
day of readings rolled up; built first when missing), for 300 random sensor homes: a ringing call to the
operator, then `GET /integrations/calls/<id>/popup/` (the pop-up the phone system opens: household, open
requests, the room now, the 7-day chart, station, outdoor) and `GET /intake/?caller=` (the whole intake page
with the same panel), each through Django's full request stack in-process (middleware, session, templates;
no network). Prints progress and one JSON line of medians and p95s.

    .venv/bin/python bench/popup.py [--homes 300]
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, PYTHON, heatline, log, percentile, psql

DAY_DB = "hlbench_telemetry_day"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--homes", type=int, default=300)
    args = parser.parse_args()
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{DAY_DB}'") != "1":
        log("no day database yet: bench/telemetry.py --day first")
        subprocess.run(
            [PYTHON, str(Path(__file__).parent / "telemetry.py"), "--day", "--runs", "1"], check=True
        )
    log("collectstatic (DEBUG off: pages name the manifest's files)")
    heatline(PG + DAY_DB, "collectstatic", "--noinput", "-v0", DEBUG="false",
             SECRET_KEY="bench-only-secret-key", HEATLINE_EXCHANGE_SECRET="bench-only")  # fmt: skip
    os.environ.update(DATABASE_URL=PG + DAY_DB, DJANGO_SETTINGS_MODULE="heatline.settings", DEBUG="false",
                      SECRET_KEY="bench-only-secret-key", HEATLINE_EXCHANGE_SECRET="bench-only",
                      LOG_LEVEL="WARNING", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false",
                      ALLOWED_HOSTS="testserver,localhost")  # fmt: skip
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from heatline.integrations.cti.services import CallEvent, call_event_record
    from heatline.integrations.services import system_staff
    from heatline.registry.models import Household, Role, Staff
    from heatline.telemetry.models import Sensor

    operator = Staff.objects.filter(role=Role.OPERATOR, is_active=True).order_by("id").first()
    assert operator is not None, "the demo register has no operator"
    pbx = system_staff(username="pbx", name="电话系统接口", role=Role.PBX)
    homes = list(
        Sensor.objects.filter(household__isnull=False)
        .exclude(household__phone="")
        .values_list("household_id", flat=True)
    )
    rng = random.Random(7)
    picked = rng.sample(homes, k=min(args.homes, len(homes)))
    phones = dict(Household.objects.filter(pk__in=picked).values_list("id", "phone"))
    client = Client()
    client.force_login(operator)
    timings: dict[str, list[float]] = {"popup": [], "intake": []}
    log(f"{len(picked)} homes with sensors; warming up …")
    for n, household_id in enumerate(picked):
        phone = phones[household_id]
        call = call_event_record(
            event=CallEvent(
                f"bench-{n}-{time.time_ns()}", "ringing", phone, operator.username, timezone.now()
            ),
            by=pbx,
        )
        for name, url in (
            ("popup", f"/integrations/calls/{call.pk}/popup/"),
            ("intake", f"/intake/?caller={phone}"),
        ):
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if n >= 10:  # the first ten warm the caches and the connection
                timings[name].append(elapsed)
        if (n + 1) % 50 == 0:
            log(f"{n + 1} homes: pop-up p50 {statistics.median(timings['popup'] or [0]):.1f} ms")
    body = client.get(f"/intake/?caller={phones[picked[-1]]}").content.decode()
    result = {
        "bench": "popup",
        "homes": len(timings["popup"]),
        "readings_shown": 'data-testid="household-live"' in body,
        "popup_p50_ms": round(statistics.median(timings["popup"]), 1),
        "popup_p90_ms": round(percentile(timings["popup"], 0.90), 1),
        "popup_p95_ms": round(percentile(timings["popup"], 0.95), 1),
        "intake_p50_ms": round(statistics.median(timings["intake"]), 1),
        "intake_p95_ms": round(percentile(timings["intake"], 0.95), 1),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
