"""PostgreSQL: raw readings in a table partitioned by day (RANGE on `at`), with a BRIN index on `at`.

The table is still empty here (0001 created it, nothing writes to it before this migration), so it is
dropped and created again partitioned; Django's state is untouched (same columns, same composite primary
key). The partitions themselves are made by `heatline.telemetry.partitions` (worker job ahead of time, ingest
on demand) and dropped by the retention job. The plain foreign-key index on `sensor_id` is not recreated:
the primary key (sensor_id, at) starts with it. SQLite keeps its plain table.
"""

from django.db import migrations

COLUMNS = """
    sensor_id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    celsius double precision NULL,
    supply_c double precision NULL,
    return_c double precision NULL,
    pressure_mpa double precision NULL,
    energy_kwh double precision NULL,
    flow_m3h double precision NULL,
    PRIMARY KEY (sensor_id, at)
"""


def partitioned(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TABLE telemetry_sensorreading")
    schema_editor.execute(f"CREATE TABLE telemetry_sensorreading ({COLUMNS}) PARTITION BY RANGE (at)")
    schema_editor.execute(
        "CREATE INDEX telemetry_sensorreading_at_brin ON telemetry_sensorreading USING brin (at)"
    )


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TABLE telemetry_sensorreading")  # its partitions go with it
    schema_editor.execute(f"CREATE TABLE telemetry_sensorreading ({COLUMNS})")
    schema_editor.execute(
        "CREATE INDEX telemetry_sensorreading_sensor_id ON telemetry_sensorreading (sensor_id)"
    )


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0002_rollup_marks")]

    operations = [migrations.RunPython(partitioned, plain, elidable=False)]
