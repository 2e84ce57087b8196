"""Readings in (issue 19): the one function every path writes through — the gateway API
(`POST /api/v1/telemetry/readings`), the MQTT subscriber (`heatline telemetry-mqtt`), imports and tests.

`readings_ingest(items)` checks each reading against the sensor register and physical limits, stores the
good ones once per (sensor, time), marks the hours they fall in for the roll-up, and moves each sensor's
newest reading forward (never back). Nothing is lost silently: every reading is counted as accepted, a
duplicate, or rejected with its index, a stable code and a reason.

PostgreSQL: one statement inserts the batch from arrays (`unnest`, `ON CONFLICT DO NOTHING RETURNING`) and
marks the touched hours, a second moves the sensors' newest reading; the sensor register is cached per
process and refreshed on a miss. SQLite: the same, in chunks of multi-row INSERTs.
"""

import datetime as dt
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from heatline.core.caches import ProcessCache
from heatline.core.errors import InvalidInput
from heatline.core.inserts import PREPARED
from heatline.core.rules import rule_int
from heatline.telemetry import partitions
from heatline.telemetry.models import (
    CELSIUS_MAX,
    CELSIUS_MIN,
    PRESSURE_MPA_MAX,
    ROLLUP_BUCKET,
    WATER_C_MAX,
    WATER_C_MIN,
    RollupMark,
    Sensor,
    SensorKind,
)

log = logging.getLogger(__name__)

MAX_BATCH: Final = 5000
# Beyond these a meter is broken (or its register wrapped); the temperatures' limits are in models.py.
ENERGY_KWH_MAX: Final = 1e10
FLOW_M3H_MAX: Final = 1e5

VALUE_FIELDS: Final = ("celsius", "supply_c", "return_c", "pressure_mpa", "energy_kwh", "flow_m3h")
LIMITS: Final[Mapping[str, tuple[float, float]]] = {
    "celsius": (CELSIUS_MIN, CELSIUS_MAX),
    "supply_c": (WATER_C_MIN, WATER_C_MAX),
    "return_c": (WATER_C_MIN, WATER_C_MAX),
    "pressure_mpa": (0.0, PRESSURE_MPA_MAX),
    "energy_kwh": (0.0, ENERGY_KWH_MAX),
    "flow_m3h": (0.0, FLOW_M3H_MAX),
}
# What each kind of sensor reports; a reading needs at least one of them. Other fields are not stored.
KIND_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    SensorKind.ROOM: ("celsius",),
    SensorKind.OUTDOOR: ("celsius",),
    SensorKind.STATION: ("supply_c", "return_c", "pressure_mpa"),
    SensorKind.METER: ("energy_kwh", "flow_m3h", "supply_c", "return_c"),
}


class Code:
    """Stable codes of a rejected reading (the API's `rejected[].code`)."""

    MALFORMED = "malformed"
    UNKNOWN_SENSOR = "unknown_sensor"
    MALFORMED_TIME = "malformed_time"
    FUTURE = "future"
    TOO_OLD = "too_old"
    NOT_INSTALLED = "not_installed"
    REMOVED = "removed"
    MALFORMED_VALUE = "malformed_value"
    OUT_OF_RANGE = "out_of_range"
    MISSING_VALUE = "missing_value"


REASONS: Final[Mapping[str, Promise]] = {
    Code.MALFORMED: _("读数格式无效:应为含 sensor、at 和读数值的对象"),
    Code.UNKNOWN_SENSOR: _("未登记的传感器编号"),
    Code.MALFORMED_TIME: _("读数时间无效:应为 ISO 8601 时间,如 2026-12-06T08:00:00+08:00"),
    Code.FUTURE: _("读数时间晚于服务器时间超过 %(minutes)s 分钟(网关时钟可能不准)"),
    Code.TOO_OLD: _("读数时间早于原始读数保存期限(%(days)s 天)"),
    Code.NOT_INSTALLED: _("读数时间早于传感器安装日期 %(day)s"),
    Code.REMOVED: _("读数时间晚于传感器拆除日期 %(day)s"),
    Code.MALFORMED_VALUE: _("%(field)s 不是有效数字"),
    Code.OUT_OF_RANGE: _("%(field)s 超出物理范围(%(low)s…%(high)s)"),
    Code.MISSING_VALUE: _("缺少该类传感器的读数值(%(fields)s)"),
}


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    sensor: str
    code: str
    reason: str


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [
                {"index": r.index, "sensor": r.sensor, "code": r.code, "reason": r.reason}
                for r in self.rejected
            ],
        }


class SensorInfo(NamedTuple):
    id: int
    kind: str
    installed_on: dt.date | None
    removed_on: dt.date | None


def _no_sensors() -> dict[str, SensorInfo]:
    return {}


# code → sensor, filled on a miss; an edit in this process drops it, other processes see it within 5 min.
SENSORS: ProcessCache[dict[str, SensorInfo]] = ProcessCache("telemetry_sensors", _no_sensors, seconds=300)
SENSORS.forget_on(Sensor)


def sensors_lookup(codes: set[str]) -> dict[str, SensorInfo]:
    """The register's entries for these codes (unknown codes absent); one query for the codes not cached."""
    cache = SENSORS.get()
    missing = [code for code in codes if code not in cache]
    if missing:
        for row in Sensor.objects.filter(code__in=missing).values_list(
            "code", "id", "kind", "installed_on", "removed_on"
        ):
            cache[row[0]] = SensorInfo(*row[1:])
    return {code: cache[code] for code in codes if code in cache}


def readings_from_body(body: bytes | str) -> list[Any]:
    """The readings of a posted body `{"readings": [...]}`; InvalidInput (422) if it is not that shape or
    holds more than MAX_BATCH readings (nothing is stored then)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(_("请求体不是有效的 JSON")) from error
    if not isinstance(data, dict) or not isinstance(data.get("readings"), list):
        raise InvalidInput(_('请求体应为 {"readings": [...]}'), field="readings")
    readings: list[Any] = data["readings"]
    batch_check(readings)
    return readings


def batch_check(items: Sequence[Any]) -> None:
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            _("一次最多提交 %(max)s 条读数,本次 %(n)s 条,均未保存;请分批提交")
            % {"max": MAX_BATCH, "n": len(items)},
            field="readings",
        )


def _number(value: Any) -> float | None:
    """A finite float, or None when the value is not a number (booleans are not numbers)."""
    kind = type(value)
    try:
        if kind is float or kind is int or (kind is str and len(value) <= 40):
            number = float(value)
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _moment(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """An aware UTC datetime; a time without offset is local time (settings.TIME_ZONE)."""
    try:
        if isinstance(value, dt.datetime):
            at = value
        elif isinstance(value, str) and 10 <= len(value) <= 40:
            at = dt.datetime.fromisoformat(value)
        else:
            return None
        if at.tzinfo is None or at.utcoffset() is None:
            at = at.replace(tzinfo=tz)
        return at.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


# One stored row: sensor id, at (UTC), then the six values in VALUE_FIELDS' order.
Row = tuple[
    int, dt.datetime, float | None, float | None, float | None, float | None, float | None, float | None
]


def readings_ingest(items: Sequence[Any], *, now: dt.datetime | None = None) -> IngestResult:
    """Store a batch of readings (at most MAX_BATCH) once each; see the module's docstring.

    Each item: {"sensor": code, "at": ISO time, and the sensor kind's values}. A reading is rejected when
    its sensor is unknown, not yet installed or already removed that day, its time is malformed, later
    than now + `telemetry_clock_skew_minutes` or older than the kept raw days (`telemetry_raw_days`: its
    day's partition is gone), a value is not a number or beyond physical limits, or the kind's values are
    all missing. The same sensor and time again (in the batch or stored) is a duplicate, stored once.
    """
    batch_check(items)
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    result = IngestResult()
    codes = {
        item["sensor"] for item in items if isinstance(item, Mapping) and isinstance(item.get("sensor"), str)
    }
    sensors = sensors_lookup(codes)
    latest = now + dt.timedelta(minutes=rule_int("telemetry_clock_skew_minutes"))
    raw_days = rule_int("telemetry_raw_days")
    earliest = partitions.day_bounds(timezone.localtime(now, tz).date() - dt.timedelta(days=raw_days))[0]

    def reject(index: int, sensor: Any, code: str, **params: Any) -> None:
        reason = gettext(str(REASONS[code]))
        result.rejected.append(
            Rejection(
                index, sensor if isinstance(sensor, str) else "", code, reason % params if params else reason
            )
        )

    moments: dict[Any, tuple[dt.datetime, dt.date] | None] = {}  # a gateway sends many readings of one time
    rows: dict[tuple[int, dt.datetime], Row] = {}
    newest: dict[int, tuple[dt.datetime, float | None]] = {}
    days: set[dt.date] = set()
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            reject(index, "", Code.MALFORMED)
            continue
        code = item.get("sensor")
        sensor = sensors.get(code) if isinstance(code, str) else None
        if sensor is None:
            reject(index, code, Code.MALFORMED if not isinstance(code, str) else Code.UNKNOWN_SENSOR)
            continue
        raw_at = item.get("at")
        try:
            moment = moments[raw_at]
        except KeyError:
            at = _moment(raw_at, tz)
            moment = moments[raw_at] = (at, at.astimezone(tz).date()) if at is not None else None
        except TypeError:  # not hashable: not a time either
            moment = None
        if moment is None:
            reject(index, code, Code.MALFORMED_TIME)
            continue
        at, day = moment
        if at > latest:
            reject(index, code, Code.FUTURE, minutes=rule_int("telemetry_clock_skew_minutes"))
            continue
        if at < earliest:
            reject(index, code, Code.TOO_OLD, days=raw_days)
            continue
        if sensor.installed_on is not None and day < sensor.installed_on:
            reject(index, code, Code.NOT_INSTALLED, day=sensor.installed_on.isoformat())
            continue
        if sensor.removed_on is not None and day > sensor.removed_on:
            reject(index, code, Code.REMOVED, day=sensor.removed_on.isoformat())
            continue
        kind_fields = KIND_FIELDS.get(sensor.kind, VALUE_FIELDS)
        values: dict[str, float] = {}
        bad = False
        for name in kind_fields:
            raw = item.get(name)
            if raw is None:
                continue
            number = _number(raw)
            if number is None:
                reject(index, code, Code.MALFORMED_VALUE, field=name)
                bad = True
                break
            low, high = LIMITS[name]
            if not low <= number <= high:
                reject(index, code, Code.OUT_OF_RANGE, field=name, low=f"{low:g}", high=f"{high:g}")
                bad = True
                break
            values[name] = number
        if bad:
            continue
        if not values:
            reject(index, code, Code.MISSING_VALUE, fields=", ".join(kind_fields))
            continue
        key = (sensor.id, at)
        if key in rows:
            result.duplicates += 1
            continue
        celsius = values.get("celsius")
        rows[key] = (
            sensor.id,
            at,
            celsius,
            values.get("supply_c"),
            values.get("return_c"),
            values.get("pressure_mpa"),
            values.get("energy_kwh"),
            values.get("flow_m3h"),
        )
        days.add(day)
        if sensor.id not in newest or newest[sensor.id][0] < at:
            newest[sensor.id] = (at, celsius)
    if rows:
        inserted = _store(list(rows.values()), newest, days=days, now=now)
        result.accepted = inserted
        result.duplicates += len(rows) - inserted
    return result


def _store(
    rows: list[Row],
    newest: dict[int, tuple[dt.datetime, float | None]],
    *,
    days: set[dt.date],
    now: dt.datetime,
) -> int:
    """Insert the rows (skipping stored ones), mark their hours, move the sensors' newest reading; returns
    how many rows were new. A partition dropped behind this process's back is created and the batch retried."""
    partitions.partitions_ensure(days)
    write = _store_postgresql if connection.vendor == "postgresql" else _store_sqlite
    try:
        with transaction.atomic():
            return write(rows, newest, now=now)
    except IntegrityError as error:
        if "no partition" not in str(error):
            raise
        partitions.KNOWN.forget()
        partitions.partitions_ensure(days)
        with transaction.atomic():
            return write(rows, newest, now=now)


# Marks are taken in (hour, bucket) order and sensors in id order, in every transaction: no deadlock
# between concurrent batches. The mark is updated (not just skipped) on conflict so that its row stays
# locked until this transaction commits: the roll-up, claiming marks with SKIP LOCKED, never claims an
# hour whose new readings it cannot see yet.
_INSERT_PG: Final = f"""{PREPARED}WITH v AS (
    SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[], %s::float8[], %s::float8[],
        %s::float8[], %s::float8[], %s::float8[])
        AS v(sensor_id, at, celsius, supply_c, return_c, pressure_mpa, energy_kwh, flow_m3h)
), ins AS (
    INSERT INTO telemetry_sensorreading (sensor_id, at, celsius, supply_c, return_c, pressure_mpa,
        energy_kwh, flow_m3h)
    SELECT * FROM v ON CONFLICT DO NOTHING RETURNING sensor_id, at
), marks AS (
    INSERT INTO telemetry_rollupmark (hour, bucket, marked_at)
    SELECT DISTINCT date_trunc('hour', at), (sensor_id / {ROLLUP_BUCKET})::int, %s::timestamptz FROM ins
    ORDER BY 1, 2
    ON CONFLICT (hour, bucket) DO UPDATE SET marked_at = telemetry_rollupmark.marked_at
)
SELECT count(*) FROM ins"""

_NEWEST_PG: Final = f"""{PREPARED}WITH v AS (
    SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) AS v(id, at, celsius)
), locked AS (
    SELECT s.id FROM telemetry_sensor s JOIN v ON v.id = s.id
    WHERE s.last_reading_at IS NULL OR s.last_reading_at < v.at
    ORDER BY s.id FOR UPDATE OF s
)
UPDATE telemetry_sensor s SET last_reading_at = v.at, last_celsius = v.celsius
FROM v WHERE s.id = v.id AND s.id IN (SELECT id FROM locked)
    AND (s.last_reading_at IS NULL OR s.last_reading_at < v.at)"""


def _array(values: Sequence[Any]) -> str | None:
    """A PostgreSQL array literal of numbers or ISO times (None: NULL), cast in SQL (`%s::float8[]`);
    None when every value is None (unnest pads a NULL array with NULLs). No element needs quoting (finite
    floats and ints; isoformat() has no comma, brace or space). Building it costs a fiftieth of psycopg's
    per-element array dumping, which was the largest share of a batch."""
    first = next((v for v in values if v is not None), None)
    if first is None:
        return None
    if isinstance(first, dt.datetime):
        return "{" + ",".join([v.isoformat() for v in values]) + "}"
    if any(v is None for v in values):
        return "{" + ",".join(["NULL" if v is None else repr(v) for v in values]) + "}"
    return "{" + ",".join(map(repr, values)) + "}"


def _store_postgresql(
    rows: list[Row], newest: dict[int, tuple[dt.datetime, float | None]], *, now: dt.datetime
) -> int:
    columns = [_array(column) for column in zip(*rows, strict=True)]
    ids = sorted(newest)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_PG, [*columns, now])
        inserted = int(cursor.fetchone()[0])
        if inserted:
            cursor.execute(
                _NEWEST_PG,
                [_array(ids), _array([newest[i][0] for i in ids]), _array([newest[i][1] for i in ids])],
            )
    return inserted


_SQLITE_CHUNK: Final = 500  # 8 values a row: 4,000 variables a statement


def _store_sqlite(
    rows: list[Row], newest: dict[int, tuple[dt.datetime, float | None]], *, now: dt.datetime
) -> int:
    adapt = connection.ops.adapt_datetimefield_value
    marks: set[tuple[dt.datetime, int]] = set()
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _SQLITE_CHUNK):
            chunk = rows[start : start + _SQLITE_CHUNK]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for row in chunk:
                params.extend((row[0], adapt(row[1]), *row[2:]))
            cursor.execute(
                "INSERT INTO telemetry_sensorreading (sensor_id, at, celsius, supply_c, return_c, pressure_mpa,"
                f" energy_kwh, flow_m3h) VALUES {placeholders} ON CONFLICT DO NOTHING RETURNING sensor_id, at",
                params,
            )
            for sensor_id, at in cursor.fetchall():
                inserted += 1
                moment = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at)
                hour = moment.replace(minute=0, second=0, microsecond=0, tzinfo=dt.UTC)
                marks.add((hour, sensor_id // ROLLUP_BUCKET))
        if inserted:
            values = ", ".join(["(%s, %s, %s)"] * len(newest))
            params = []
            for sensor_id, (at, celsius) in newest.items():
                params.extend((sensor_id, adapt(at), celsius))
            cursor.execute(
                "UPDATE telemetry_sensor SET last_reading_at = v.at, last_celsius = v.celsius FROM "
                f"(SELECT column1 AS id, column2 AS at, column3 AS celsius FROM (VALUES {values})) AS v "
                "WHERE telemetry_sensor.id = v.id AND (telemetry_sensor.last_reading_at IS NULL "
                "OR telemetry_sensor.last_reading_at < v.at)",
                params,
            )
    if marks:
        RollupMark.objects.bulk_create(
            [RollupMark(hour=hour, bucket=bucket, marked_at=now) for hour, bucket in sorted(marks)],
            ignore_conflicts=True,
        )
    return inserted
