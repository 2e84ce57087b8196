"""Bench of live data in (issue 19) on PostgreSQL.

Ingest: `POST /api/v1/telemetry/readings` behind gunicorn (DEBUG off) from 4 client processes, each posting
batches of 1,000 readings (distinct sensors and times; each client its own 1/4 of the sensors, as gateways
own theirs) for a fixed time; readings/s per run (median of the runs reported), batch latency p50/p95, and
the same batches replayed (all duplicates). Target ≥ 20,000 readings/s.

Day (`--day`): one day of 100,000 room sensors every 10 minutes (14.4 million rows) written straight into
its partition with generate_series (progress printed) for sensors in the homes of a demo register,
then `hourly_rollup` for that day timed, then detection (`detect_all` at the day's end: cold homes onto
the watch list with their visits planned, offline sensors) timed.
`generate_day(connection, sensors=…, day=…)` is reusable (the detection bench builds on it).

    .venv/bin/python bench/telemetry.py [--sensors 10000] [--clients 4] [--batch 1000] [--seconds 15]
        [--runs 3] [--workers 4] [--reuse]
    .venv/bin/python bench/telemetry.py --day [--day-sensors 100000] [--reuse]

Loopback only; databases `hlbench_telemetry` and (--day) `hlbench_telemetry_day`. Prints progress and one JSON line of medians.
"""

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, fresh_database, gunicorn, heatline, log, percentile, psql

DB = "hlbench_telemetry"
DAY_DB = "hlbench_telemetry_day"
TZ = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------- the register and one generated day


def ensure_sensors(connection: Any, count: int, *, prefix: str = "S-") -> None:
    """Room sensors `S-000001` … (ids follow the codes' order on a fresh table); idempotent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO telemetry_sensor (code, kind, room, created_at, updated_at) "
            "SELECT %s || lpad(n::text, 6, '0'), 'room', '', now(), now() FROM generate_series(1, %s) n "
            "ON CONFLICT (code) DO NOTHING",
            [prefix, count],
        )


def generate_day(
    connection: Any,
    sensors: int = 100_000,
    day: dt.date | None = None,
    *,
    step_minutes: int = 10,
    chunk: int = 10_000,
    progress: Callable[[str], None] = log,
) -> int:
    """One local day of readings of the first `sensors` room sensors (made if missing), every
    `step_minutes`, written straight into the day's partition (created if missing); returns the rows
    written. `connection`: a psycopg connection in autocommit mode or Django's `connection`.

    The day's shape, for detection: a daily swing of ±0.9 ℃ around 21–23 ℃ per sensor (never under 20 ℃); every 100th sensor
    (id % 100 = 0) runs cold, 16–17 ℃, from 02:00 to 08:00; every 500th (id % 500 = 1) stops reporting at
    12:00 (dead); no reading is out of range. The sensors' `last_reading_at`/`last_celsius` are set as ingest
    would. Already-present rows are skipped (ON CONFLICT DO NOTHING)."""
    day = day or (dt.datetime.now(TZ).date() - dt.timedelta(days=1))
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    end = start + dt.timedelta(days=1)
    partition = f"telemetry_sensorreading_p{day:%Y%m%d}"
    ensure_sensors(connection, sensors)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition} PARTITION OF telemetry_sensorreading "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        cursor.execute(
            "SELECT min(id), max(id) FROM (SELECT id FROM telemetry_sensor WHERE kind = 'room' "
            "ORDER BY id LIMIT %s) s",
            [sensors],
        )
        first, last = cursor.fetchone()
    steps = 24 * 60 // step_minutes
    written = 0
    started = time.monotonic()
    for low in range(first, last + 1, chunk):
        high = min(low + chunk - 1, last)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {partition} (sensor_id, at, celsius)
                SELECT s.id, t.at,
                    round((CASE WHEN s.id %% 100 = 0 AND t.at >= %(start)s + interval '2 hours'
                                 AND t.at < %(start)s + interval '8 hours' THEN 16.5 + (s.id %% 7) / 10.0
                            ELSE 21 + (s.id %% 21) / 10.0
                                 + 0.9 * sin(2 * pi() * extract(epoch FROM t.at - %(start)s) / 86400.0)
                            END)::numeric, 1)::float8
                FROM telemetry_sensor s
                CROSS JOIN generate_series(%(start)s::timestamptz, %(start)s::timestamptz
                    + (%(steps)s - 1) * make_interval(mins => %(step)s), make_interval(mins => %(step)s)) AS t(at)
                WHERE s.id BETWEEN %(low)s AND %(high)s AND s.kind = 'room'
                    AND NOT (s.id %% 500 = 1 AND t.at >= %(start)s + interval '12 hours')
                ON CONFLICT DO NOTHING""",
                {"start": start, "steps": steps, "step": step_minutes, "low": low, "high": high},
            )
            written += max(cursor.rowcount, 0)
        elapsed = time.monotonic() - started
        progress(
            f"generated sensors {low - first + 1:,}–{high - first + 1:,} of {last - first + 1:,}: "
            f"{written:,} rows, {written / max(elapsed, 1e-9):,.0f} rows/s"
        )
    with connection.cursor() as cursor:
        progress("sensors' newest reading …")
        cursor.execute(
            f"""UPDATE telemetry_sensor s SET last_reading_at = n.at, last_celsius = n.celsius
            FROM (SELECT DISTINCT ON (sensor_id) sensor_id, at, celsius FROM {partition}
                  WHERE sensor_id BETWEEN %s AND %s ORDER BY sensor_id, at DESC) n
            WHERE s.id = n.sensor_id AND (s.last_reading_at IS NULL OR s.last_reading_at < n.at)""",
            [first, last],
        )
        progress("ANALYZE …")
        cursor.execute(f"ANALYZE {partition}")
    return written


def day_bench(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    url = PG + DAY_DB
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DAY_DB}'") == "1"
    if not (args.reuse and exists):
        log(f"fresh database {DAY_DB}")
        fresh_database(DAY_DB)
        heatline(url, "migrate", "-v0", "--skip-checks")
        # Detection puts cold homes on the watch list: the sensors need households (the demo register).
        log(f"demo register of {args.day_sensors:,} households (no history) …")
        heatline(url, "demo", "--size", str(args.day_sensors), "--no-history", "--force")
    day = dt.datetime.now(TZ).date() - dt.timedelta(days=1)
    with psycopg.connect(url, autocommit=True) as connection:
        started = time.monotonic()
        present = connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f"telemetry_sensorreading_p{day:%Y%m%d}"]
        ).fetchone()
        if args.reuse and present and present[0]:
            log("--reuse: the day is there already; timing the roll-up only")
            written = 0
        else:
            written = generate_day(connection, sensors=args.day_sensors, day=day)
            log("sensors to households …")
            connection.execute(
                """UPDATE telemetry_sensor s SET household_id = h.id FROM
                (SELECT id, row_number() OVER (ORDER BY id) n FROM registry_household) h,
                (SELECT id, row_number() OVER (ORDER BY id) n FROM telemetry_sensor WHERE kind = 'room') r
                WHERE s.id = r.id AND r.n = h.n AND s.household_id IS NULL"""
            )
        generated = time.monotonic() - started
        rows = connection.execute(f"SELECT count(*) FROM telemetry_sensorreading_p{day:%Y%m%d}").fetchone()
    log(f"{rows[0]:,} raw rows for {day} ({written:,} new in {generated:.0f} s); timing hourly_rollup …")
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="heatline.settings", DEBUG="false",
                      SECRET_KEY="bench-only-secret-key", HEATLINE_EXCHANGE_SECRET="bench-only",
                      LOG_LEVEL="WARNING")  # fmt: skip
    import django

    django.setup()
    from heatline.telemetry.rollup import hourly_rollup

    start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    times = []
    for run in range(args.runs):
        began = time.monotonic()
        hourly = hourly_rollup(since=start, until=start + dt.timedelta(days=1))
        times.append(time.monotonic() - began)
        log(f"rollup run {run + 1}: {hourly:,} hourly rows in {times[-1]:.1f} s")
    from heatline.telemetry.detection import detect_all
    from heatline.telemetry.models import Alert

    end = start + dt.timedelta(days=1)
    detections = []
    for run in range(args.runs):
        Alert.objects.all().delete()  # each run detects from scratch: the same day, the same alerts
        began = time.monotonic()
        result = detect_all(now=end)
        detections.append(time.monotonic() - began)
        log(
            f"detection run {run + 1}: {result.cold_opened:,} cold homes (watch list + visit), "
            f"{result.dead_opened:,} offline sensors in {detections[-1]:.1f} s"
        )
    return {
        "bench": "telemetry-day",
        "raw_rows": rows[0],
        "generate_seconds": round(generated, 1),
        "rollup_seconds_median": round(statistics.median(times), 1),
        "rollup_runs": [round(t, 1) for t in times],
        "hourly_rows": hourly,
        "detect_seconds_median": round(statistics.median(detections), 1),
        "detect_runs": [round(t, 1) for t in detections],
        "cold_alerts": result.cold_opened,
        "dead_alerts": result.dead_opened,
    }


# ---------------------------------------------------------------- ingest through the API


def _bodies(
    client: int, clients: int, sensors: int, batch: int, batches: int, base: dt.datetime
) -> list[bytes]:
    """This client's batches: its own sensors (every `clients`-th), each batch `batch` sensors at one time,
    the next batch the next sensors or a minute later."""
    own = [f"S-{n:06d}" for n in range(client + 1, sensors + 1, clients)]
    bodies, position = [], 0
    for _ in range(batches):
        readings = []
        for _ in range(batch):
            sensor = own[position % len(own)]
            at = base + dt.timedelta(minutes=position // len(own))
            readings.append(
                {"sensor": sensor, "at": at.isoformat(), "celsius": round(18 + (position % 40) / 10, 1)}
            )
            position += 1
        bodies.append(json.dumps({"readings": readings}).encode())
    return bodies


def _client(
    index: int, base_url: str, token: str, bodies: list[bytes], seconds: float, start_at: float, out: Any
) -> None:
    parts = urlsplit(base_url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies, accepted, duplicates, rejected, errors, sent = [], 0, 0, 0, 0, 0
    while time.time() < start_at:
        time.sleep(0.001)
    began_wall = time.time()
    ends = time.monotonic() + seconds
    connection: http.client.HTTPConnection | None = None
    for body in bodies:
        if time.monotonic() >= ends:
            break
        began = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            connection.request("POST", "/api/v1/telemetry/readings", body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            errors += 1
            connection = None
            continue
        latencies.append(time.perf_counter() - began)
        sent += 1
        if response.status != 202:
            errors += 1
            continue
        answer = json.loads(raw)
        accepted += answer["accepted"]
        duplicates += answer["duplicates"]
        rejected += len(answer["rejected"])
    out.put(
        {
            "latencies": latencies,
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "errors": errors,
            "batches": sent,
            "index": index,
            "began": began_wall,
            "ended": time.time(),
        }
    )


def load(
    base_url: str, token: str, per_client: list[list[bytes]], seconds: float, batch: int
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 0.5
    processes = [
        context.Process(target=_client, args=(index, base_url, token, bodies, seconds, start_at, out))
        for index, bodies in enumerate(per_client)
    ]
    for process in processes:
        process.start()
    results = sorted((out.get() for _ in processes), key=lambda r: int(r["index"]))
    for process in processes:
        process.join()
    elapsed = max(r["ended"] for r in results) - min(r["began"] for r in results)
    latencies = [latency for r in results for latency in r["latencies"]]
    stored = sum(r["accepted"] + r["duplicates"] for r in results)
    return {
        "readings_per_s": round(stored / elapsed) if elapsed else 0,
        "batches": sum(r["batches"] for r in results),
        "sent": [r["batches"] for r in results],
        "accepted": sum(r["accepted"] for r in results),
        "duplicates": sum(r["duplicates"] for r in results),
        "rejected": sum(r["rejected"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "batch": batch,
    }


def ingest_bench(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    url = PG + DB
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    if not (args.reuse and exists):
        log(f"fresh database {DB}")
        fresh_database(DB)
        heatline(url, "migrate", "-v0", "--skip-checks")
    with psycopg.connect(url, autocommit=True) as connection:
        ensure_sensors(connection, args.sensors)
    token = heatline(url, "apitoken", "gw", "--system-role", "gateway").strip().splitlines()[-1]
    # Enough batches for the run at 3× the target rate; generated before the clock starts.
    batches = max(20, int(args.seconds * 3 * 20_000 / args.batch / args.clients))
    now = dt.datetime.now(TZ).replace(second=0, microsecond=0)
    # Each run its own times (older than the last, all within yesterday and today): nothing a duplicate.
    minutes_per_run = (batches * args.batch // (args.sensors // args.clients)) + 1
    log(
        f"{args.sensors:,} sensors, {args.clients} clients × {batches} batches of {args.batch} prepared per run"
    )
    results: dict[str, Any] = {"bench": "telemetry", "sensors": args.sensors, "clients": args.clients,
                               "gunicorn_workers": args.workers}  # fmt: skip
    with gunicorn(
        url,
        workers=args.workers,
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key",
        HEATLINE_EXCHANGE_SECRET="bench-only-exchange-secret",
    ) as base:
        warm = _bodies(0, args.clients, args.sensors, args.batch, 4, now - dt.timedelta(hours=30))
        load(base, token, [warm[i : i + 1] for i in range(args.clients)], 10, args.batch)
        runs: list[dict[str, Any]] = []
        replayed: list[list[bytes]] = []
        for run in range(args.runs):
            base_time = now - dt.timedelta(hours=1) - dt.timedelta(minutes=minutes_per_run * (run + 1))
            per_client = [
                _bodies(k, args.clients, args.sensors, args.batch, batches, base_time)
                for k in range(args.clients)
            ]
            figures = load(base, token, per_client, args.seconds, args.batch)
            if not replayed:  # what run 1 stored, sent again (in a loop): every reading a duplicate
                replayed = [(bodies[:sent] or bodies[:1]) * (len(bodies) // max(sent, 1) + 1)
                            for bodies, sent in zip(per_client, figures["sent"], strict=True)]  # fmt: skip
            runs.append(figures)
            log(f"run {run + 1}: { ({k: v for k, v in figures.items() if k != 'sent'}) }")
        replay = load(base, token, replayed, args.seconds, args.batch)
        log(f"replay (duplicates): { ({k: v for k, v in replay.items() if k != 'sent'}) }")
    results.update(
        readings_per_s=statistics.median(r["readings_per_s"] for r in runs),
        p50_ms=statistics.median(r["p50_ms"] for r in runs),
        p95_ms=statistics.median(r["p95_ms"] for r in runs),
        runs=[r["readings_per_s"] for r in runs],
        errors=sum(r["errors"] for r in runs),
        rejected=sum(r["rejected"] for r in runs),
        replay_readings_per_s=replay["readings_per_s"],
        replay_p95_ms=replay["p95_ms"],
        replay_accepted=replay["accepted"],
        target_readings_per_s=20_000,
    )
    results["stored_rows"] = int(psql("SELECT count(*) FROM telemetry_sensorreading", DB))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--day", action="store_true", help="generate one day of readings and time the roll-up"
    )
    parser.add_argument("--day-sensors", type=int, default=100_000)
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()
    results = day_bench(args) if args.day else ingest_bench(args)
    print(json.dumps(results, ensure_ascii=False))
    if results.get("errors"):
        sys.exit(1)


if __name__ == "__main__":
    main()
