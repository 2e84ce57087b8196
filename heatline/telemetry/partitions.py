"""PostgreSQL's daily partitions of the raw readings (migration 0003): made ahead by the worker, on demand by
ingest, dropped after `telemetry_raw_days`. A partition holds one local day (settings.TIME_ZONE):
[00:00, next 00:00), named `telemetry_sensorreading_pYYYYMMDD`. On SQLite every function here is a no-op
except `raw_readings_expire`, which deletes rows.

Partitions known to exist are kept per process (an hour at most); creation takes an advisory lock, so
concurrent web processes, MQTT subscribers and workers never collide.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from heatline.core.caches import ProcessCache
from heatline.core.rules import rule_int

log = logging.getLogger(__name__)

PARENT = "telemetry_sensorreading"
PREFIX = f"{PARENT}_p"
# pg_advisory_xact_lock key: partitions are created and dropped one process at a time.
LOCK_KEY = 190_190


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def partition_name(day: dt.date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day's [start, end) as aware datetimes."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def floor_hour(at: dt.datetime) -> dt.datetime:
    """The start of `at`'s hour in UTC: the key of hourly readings (whatever zone `at` is given in)."""
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def partitions_existing() -> set[dt.date]:
    """The days that have a partition, read from the catalogue."""
    if not is_partitioned():
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    days = set()
    for name in names:
        if name.startswith(PREFIX):
            try:
                days.add(dt.datetime.strptime(name[len(PREFIX) :], "%Y%m%d").date())  # noqa: DTZ007
            except ValueError:
                log.warning("partition %s does not follow the naming scheme; left alone", name)
    return days


KNOWN: ProcessCache[set[dt.date]] = ProcessCache("telemetry_partitions", partitions_existing, seconds=3600)


def partitions_ensure(days: Iterable[dt.date]) -> int:
    """Create the partitions of these local days that are missing; returns how many were created."""
    if not is_partitioned():
        return 0
    known = KNOWN.get()
    missing = sorted(set(days) - known)
    if not missing:
        return 0
    created = 0
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        for day in missing:
            name = partition_name(day)
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                continue
            start, end = day_bounds(day)
            # DDL takes no bound parameters: the bounds are literals made here from a date.
            cursor.execute(
                f"CREATE TABLE {quote(name)} PARTITION OF {quote(PARENT)} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            created += 1
    # Only once the creating transaction is part of what this connection will commit: a rolled-back
    # outer transaction (a test) loses the partitions, and the next miss on insert refreshes the cache.
    known.update(missing)
    if created:
        log.info("raw reading partitions created: %s", ", ".join(f"{d:%Y-%m-%d}" for d in missing))
    return created


def partitions_ahead(*, now: dt.datetime, before: int = 1, after: int = 2) -> int:
    """The worker's job: partitions for yesterday … the day after tomorrow."""
    today = local_day(now)
    return partitions_ensure(today + dt.timedelta(days=offset) for offset in range(-before, after + 1))


def raw_cutoff_day(*, now: dt.datetime) -> dt.date:
    """The first local day still kept: raw readings of earlier days are dropped (rule telemetry_raw_days)."""
    return local_day(now) - dt.timedelta(days=rule_int("telemetry_raw_days"))


def raw_readings_expire(*, now: dt.datetime) -> int:
    """Drop the raw readings older than the kept days. PostgreSQL: DETACH and DROP whole partitions (returns
    how many); elsewhere DELETE the rows (returns how many). Hourly roll-ups stay."""
    from heatline.telemetry.models import RollupMark, SensorReading

    cutoff = raw_cutoff_day(now=now)
    start, _end = day_bounds(cutoff)
    RollupMark.objects.filter(hour__lt=start).delete()
    if not is_partitioned():
        deleted, _detail = SensorReading.objects.filter(at__lt=start).delete()
        return deleted
    old = sorted(day for day in partitions_existing() if day < cutoff)
    if not old:
        return 0
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        for day in old:
            name = quote(partition_name(day))
            cursor.execute(f"ALTER TABLE {quote(PARENT)} DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")
    KNOWN.forget()
    log.info("raw reading partitions dropped: %s", ", ".join(f"{d:%Y-%m-%d}" for d in old))
    return len(old)
