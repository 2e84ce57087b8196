"""The hourly roll-up: raw readings → HourlyReading (count, mean/min/max celsius, mean supply, return,
pressure and flow, the hour's last energy_kwh), upserted.

Which hours: ingest marks (hour, block of 1,024 sensor ids) in the transaction that stores new rows
(RollupMark), so a late reading or a gateway replaying yesterday re-rolls exactly the hours it added to;
duplicates add nothing and mark nothing. The worker's `telemetry_rollup` claims marks (SKIP LOCKED: several
workers share them, and a mark whose readings are still being committed waits for the next run), and
leaves the current hour's marks until they are `settle` old, so a busy hour is recomputed every few
minutes, not on every loop. `hourly_rollup(since=…, until=…)` recomputes a whole range instead.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from django.db import connection, transaction
from django.utils import timezone

from heatline.telemetry.models import ROLLUP_BUCKET, HourlyReading, RollupMark, SensorReading
from heatline.telemetry.partitions import floor_hour

# Marks per run (each ≤ 1,024 sensors × an hour of readings): small, because an ingest batch adding to a
# claimed hour waits until the claiming transaction commits.
CLAIM_BATCH: Final = 64
HOUR: Final = dt.timedelta(hours=1)
# An hour of 100,000 sensors is 600,000 rows to group (the last meter reading needs an ordered aggregate,
# so a sort): in memory rather than in temporary files, for this transaction only.
WORK_MEM: Final = "SET LOCAL work_mem = '64MB'"

_AGGREGATES: Final = """count(*), avg(r.celsius), min(r.celsius), max(r.celsius), avg(r.supply_c),
    avg(r.return_c), avg(r.pressure_mpa),
    (array_agg(r.energy_kwh ORDER BY r.at DESC) FILTER (WHERE r.energy_kwh IS NOT NULL))[1],
    avg(r.flow_m3h)"""
_UPSERT: Final = """ON CONFLICT (sensor_id, hour) DO UPDATE SET count = EXCLUDED.count,
    celsius = EXCLUDED.celsius, celsius_min = EXCLUDED.celsius_min, celsius_max = EXCLUDED.celsius_max,
    supply_c = EXCLUDED.supply_c, return_c = EXCLUDED.return_c, pressure_mpa = EXCLUDED.pressure_mpa,
    energy_kwh = EXCLUDED.energy_kwh, flow_m3h = EXCLUDED.flow_m3h"""
_COLUMNS: Final = """telemetry_hourlyreading (sensor_id, hour, count, celsius, celsius_min, celsius_max,
    supply_c, return_c, pressure_mpa, energy_kwh, flow_m3h)"""


def hourly_rollup(
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
    settle: dt.timedelta | None = None,
) -> int:
    """(Re)compute hourly readings; returns how many hourly rows were written.

    Without `since`/`until`: every marked hour (the worker passes `settle`, so the open hour waits until
    its first mark is that old). With them: every hour in [since, until) (until defaults to now), read
    from the raw readings whether marked or not (a bench, a repair after restoring raw data)."""
    now = now or timezone.now()
    if since is not None or until is not None:
        start = floor_hour(since) if since is not None else None
        end = floor_hour((until or now) + HOUR - dt.timedelta(microseconds=1))
        return _rollup_range(start, end)
    return _rollup_marked(now=now, settle=settle)


def _rollup_range(start: dt.datetime | None, end: dt.datetime) -> int:
    if start is None:
        first = SensorReading.objects.filter(at__lt=end).order_by("at").values_list("at", flat=True).first()
        if first is None:
            return 0
        start = floor_hour(first)
    written = 0
    hour = start
    while hour < end:  # hour by hour: a bounded aggregation each (600,000 rows at 100,000 sensors)
        with transaction.atomic():
            RollupMark.objects.filter(hour=hour).delete()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(WORK_MEM)
                    cursor.execute(
                        f"INSERT INTO {_COLUMNS} SELECT r.sensor_id, %s::timestamptz, {_AGGREGATES} "
                        "FROM telemetry_sensorreading r WHERE r.at >= %s AND r.at < %s "
                        f"GROUP BY r.sensor_id {_UPSERT}",
                        [hour, hour, hour + HOUR],
                    )
                    written += int(cursor.rowcount)
            else:
                written += _rollup_python(SensorReading.objects.filter(at__gte=hour, at__lt=hour + HOUR))
        hour += HOUR
    return written


def _rollup_marked(*, now: dt.datetime, settle: dt.timedelta | None) -> int:
    open_hour = floor_hour(now)
    settled_before = now - settle if settle is not None else None
    with transaction.atomic():
        due = RollupMark.objects.all()
        if settled_before is not None:
            due = due.filter(hour__lt=open_hour) | due.filter(marked_at__lte=settled_before)
        if connection.vendor == "postgresql":
            claimed = list(
                due.order_by("hour", "bucket")
                .select_for_update(skip_locked=True)
                .values_list("hour", "bucket")[:CLAIM_BATCH]
            )
        else:
            claimed = list(due.order_by("hour", "bucket").values_list("hour", "bucket")[:CLAIM_BATCH])
        if not claimed:
            return 0
        _marks_delete(claimed)
        # A new statement (READ COMMITTED: a new snapshot) sees every reading committed with these marks.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(WORK_MEM)
                cursor.execute(
                    f"INSERT INTO {_COLUMNS} SELECT r.sensor_id, c.hour, {_AGGREGATES} "
                    "FROM unnest(%s::timestamptz[], %s::int[]) AS c(hour, bucket) "
                    "JOIN telemetry_sensorreading r ON r.at >= c.hour AND r.at < c.hour + interval '1 hour' "
                    f"AND r.sensor_id >= c.bucket::bigint * {ROLLUP_BUCKET} "
                    f"AND r.sensor_id < (c.bucket::bigint + 1) * {ROLLUP_BUCKET} "
                    f"GROUP BY r.sensor_id, c.hour {_UPSERT}",
                    [[hour for hour, _bucket in claimed], [bucket for _hour, bucket in claimed]],
                )
                return int(cursor.rowcount)
        written = 0
        for hour, bucket in claimed:
            written += _rollup_python(
                SensorReading.objects.filter(
                    at__gte=hour,
                    at__lt=hour + HOUR,
                    sensor_id__gte=bucket * ROLLUP_BUCKET,
                    sensor_id__lt=(bucket + 1) * ROLLUP_BUCKET,
                )
            )
        return written


def _marks_delete(claimed: Iterable[tuple[dt.datetime, int]]) -> None:
    by_hour: dict[dt.datetime, list[int]] = defaultdict(list)
    for hour, bucket in claimed:
        by_hour[hour].append(bucket)
    for hour, buckets in by_hour.items():
        RollupMark.objects.filter(hour=hour, bucket__in=buckets).delete()


def _rollup_python(readings: Any) -> int:
    """SQLite (the demo's size): aggregate in Python, replace the hours' rows."""
    groups: dict[tuple[int, dt.datetime], list[tuple[Any, ...]]] = defaultdict(list)
    for row in readings.order_by("sensor_id", "at").values_list(
        "sensor_id", "at", "celsius", "supply_c", "return_c", "pressure_mpa", "energy_kwh", "flow_m3h"
    ):
        groups[(row[0], floor_hour(row[1]))].append(row)
    if not groups:
        return 0

    def mean(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    hourly = []
    for (sensor_id, hour), rows in groups.items():
        celsius = [r[2] for r in rows if r[2] is not None]
        energy = [r[6] for r in rows if r[6] is not None]
        hourly.append(
            HourlyReading(
                sensor_id=sensor_id,
                hour=hour,
                count=len(rows),
                celsius=mean(celsius),
                celsius_min=min(celsius) if celsius else None,
                celsius_max=max(celsius) if celsius else None,
                supply_c=mean([r[3] for r in rows]),
                return_c=mean([r[4] for r in rows]),
                pressure_mpa=mean([r[5] for r in rows]),
                energy_kwh=energy[-1] if energy else None,
                flow_m3h=mean([r[7] for r in rows]),
            )
        )
    HourlyReading.objects.bulk_create(
        hourly,
        update_conflicts=True,
        unique_fields=["sensor", "hour"],
        update_fields=[
            "count",
            "celsius",
            "celsius_min",
            "celsius_max",
            "supply_c",
            "return_c",
            "pressure_mpa",
            "energy_kwh",
            "flow_m3h",
        ],
        batch_size=500,
    )
    return len(hourly)
