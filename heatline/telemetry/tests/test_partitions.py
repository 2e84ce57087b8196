"""Raw readings' storage: daily partitions on PostgreSQL (ahead, on demand, dropped after the kept days);
rows deleted on SQLite."""

import datetime as dt

import pytest
from django.db import connection

from heatline.telemetry import partitions
from heatline.telemetry.ingest import readings_ingest
from heatline.telemetry.models import HourlyReading, SensorReading
from heatline.telemetry.rollup import hourly_rollup
from heatline.telemetry.tests.conftest import T0, at

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
)


def partition_days() -> set[dt.date]:
    return partitions.partitions_existing()


@postgresql_only
def test_the_raw_table_is_partitioned_by_range_with_a_brin_index_on_time(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'telemetry_sensorreading'::regclass"
        )
        assert cursor.fetchone() == ("r",)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'telemetry_sensorreading'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "USING brin (at)" in definitions


@postgresql_only
def test_ingest_creates_the_partition_of_a_new_day_and_the_worker_makes_them_ahead(
    sensors: dict[str, object],
) -> None:
    # when: a reading of 2 days ago arrives, then the worker runs
    result = readings_ingest([{"sensor": "S-0001", "at": at(-2 * 24 * 60), "celsius": 18.0}], now=T0)
    created = partitions.partitions_ahead(now=T0)

    # then
    assert result.accepted == 1
    day = dt.date(2026, 12, 6)
    assert partition_days() == {day + dt.timedelta(days=n) for n in (-2, -1, 0, 1, 2)}
    assert created == 4
    assert partitions.partitions_ahead(now=T0) == 0  # known: nothing to do


@postgresql_only
def test_a_partition_dropped_behind_the_process_is_made_again(sensors: dict[str, object]) -> None:
    # given: today's partition known to this process, then dropped by someone else
    readings_ingest([{"sensor": "S-0001", "at": at(-10), "celsius": 18.0}], now=T0)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {partitions.partition_name(dt.date(2026, 12, 6))}")

    # when
    result = readings_ingest([{"sensor": "S-0001", "at": at(-5), "celsius": 18.5}], now=T0)

    # then
    assert result.accepted == 1
    assert SensorReading.objects.count() == 1


@postgresql_only
def test_retention_drops_whole_partitions_older_than_the_kept_days(sensors: dict[str, object]) -> None:
    # given: readings of the 6th and the 7th, rolled up
    readings_ingest([{"sensor": "S-0001", "at": at(), "celsius": 18.0}], now=T0)
    readings_ingest([{"sensor": "S-0001", "at": at(24 * 60), "celsius": 19.0}], now=T0 + dt.timedelta(days=1))
    hourly_rollup(now=T0 + dt.timedelta(days=1))

    # when: 35 kept days later than the 6th (the 6th is the first day past them), and again
    later = T0 + dt.timedelta(days=36)
    dropped = partitions.raw_readings_expire(now=later)
    again = partitions.raw_readings_expire(now=later)

    # then
    assert (dropped, again) == (1, 0)
    assert dt.date(2026, 12, 6) not in partition_days()
    assert dt.date(2026, 12, 7) in partition_days()
    assert list(SensorReading.objects.values_list("celsius", flat=True)) == [19.0]
    assert HourlyReading.objects.count() == 2  # the roll-ups stay


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL drops partitions instead")
def test_retention_deletes_old_rows_without_partitions(sensors: dict[str, object]) -> None:
    readings_ingest([{"sensor": "S-0001", "at": at(), "celsius": 18.0}], now=T0)
    readings_ingest([{"sensor": "S-0001", "at": at(24 * 60), "celsius": 19.0}], now=T0 + dt.timedelta(days=1))
    hourly_rollup(now=T0 + dt.timedelta(days=1))

    deleted = partitions.raw_readings_expire(now=T0 + dt.timedelta(days=36))

    assert deleted == 1
    assert list(SensorReading.objects.values_list("celsius", flat=True)) == [19.0]
    assert HourlyReading.objects.count() == 2
