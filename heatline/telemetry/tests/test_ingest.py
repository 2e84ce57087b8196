"""readings_ingest: every reading accepted, a duplicate or rejected with a reason; stored once; the
sensors' newest reading never moves back."""

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from heatline.core.errors import InvalidInput
from heatline.telemetry.ingest import MAX_BATCH, Code, readings_ingest
from heatline.telemetry.models import Sensor, SensorReading
from heatline.telemetry.tests.conftest import T0, at


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"sensor": "S-9999", "at": at(), "celsius": 18.0}, Code.UNKNOWN_SENSOR),
        ("S-0001 18.0", Code.MALFORMED),
        ({"at": at(), "celsius": 18.0}, Code.MALFORMED),
        ({"sensor": 1, "at": at(), "celsius": 18.0}, Code.MALFORMED),
        ({"sensor": "S-0001", "at": "yesterday morning", "celsius": 18.0}, Code.MALFORMED_TIME),
        ({"sensor": "S-0001", "at": 1733445000, "celsius": 18.0}, Code.MALFORMED_TIME),
        ({"sensor": "S-0001", "celsius": 18.0}, Code.MALFORMED_TIME),
        ({"sensor": "S-0001", "at": at(11), "celsius": 18.0}, Code.FUTURE),
        ({"sensor": "S-0001", "at": at(8 * 60), "celsius": 18.0}, Code.FUTURE),  # a clock hours ahead
        ({"sensor": "S-0001", "at": at(-36 * 24 * 60), "celsius": 18.0}, Code.TOO_OLD),
        ({"sensor": "S-0001", "at": "2026-11-19T23:50:00+08:00", "celsius": 18.0}, Code.NOT_INSTALLED),
        ({"sensor": "S-0901", "at": at(), "celsius": 18.0}, Code.NOT_INSTALLED),
        ({"sensor": "S-0900", "at": at(), "celsius": 18.0}, Code.REMOVED),
        ({"sensor": "S-0001", "at": at(), "celsius": 60.5}, Code.OUT_OF_RANGE),
        ({"sensor": "S-0001", "at": at(), "celsius": -50.1}, Code.OUT_OF_RANGE),
        ({"sensor": "ST-01", "at": at(), "supply_c": 151, "return_c": 40}, Code.OUT_OF_RANGE),
        ({"sensor": "ST-01", "at": at(), "supply_c": 70, "pressure_mpa": 4.5}, Code.OUT_OF_RANGE),
        ({"sensor": "M-01", "at": at(), "energy_kwh": -1}, Code.OUT_OF_RANGE),
        ({"sensor": "S-0001", "at": at(), "celsius": "warm"}, Code.MALFORMED_VALUE),
        ({"sensor": "S-0001", "at": at(), "celsius": True}, Code.MALFORMED_VALUE),
        ({"sensor": "S-0001", "at": at(), "celsius": "NaN"}, Code.MALFORMED_VALUE),
        ({"sensor": "S-0001", "at": at(), "celsius": [18]}, Code.MALFORMED_VALUE),
        ({"sensor": "S-0001", "at": at()}, Code.MISSING_VALUE),
        ({"sensor": "S-0001", "at": at(), "supply_c": 60}, Code.MISSING_VALUE),
        ({"sensor": "ST-01", "at": at(), "celsius": 18}, Code.MISSING_VALUE),
    ],
)
def test_each_bad_reading_is_rejected_with_its_reason_and_nothing_is_stored(
    sensors: dict[str, Sensor], item: Any, code: str
) -> None:
    # when
    result = readings_ingest([item], now=T0)

    # then
    assert (result.accepted, result.duplicates) == (0, 0)
    assert [(r.index, r.code) for r in result.rejected] == [(0, code)]
    assert result.rejected[0].reason
    assert not SensorReading.objects.exists()


def test_good_readings_of_each_kind_are_stored_with_their_values(sensors: dict[str, Sensor]) -> None:
    # given: one reading of each kind, a time within the clock skew, a naive local time, a numeric string
    items = [
        {"sensor": "S-0001", "at": at(), "celsius": 17.2},
        {"sensor": "S-0002", "at": at(9), "celsius": "18.5"},  # 9 min ahead: within the 10-minute skew
        {"sensor": "ST-01", "at": at(), "supply_c": 62.5, "return_c": 41, "pressure_mpa": 0.6},
        {"sensor": "M-01", "at": at(), "energy_kwh": 12345.6, "flow_m3h": 1.2, "celsius": 99},
        {"sensor": "O-01", "at": "2026-12-06T08:00:00", "celsius": -18.0},
        {"sensor": "S-0001", "at": "2026-12-06T00:10:00Z", "celsius": 17.4},
    ]

    # when
    result = readings_ingest(items, now=T0)

    # then
    assert (result.accepted, result.duplicates, result.rejected) == (6, 0, [])
    station = SensorReading.objects.get(sensor=sensors["station"])
    assert (station.supply_c, station.return_c, station.pressure_mpa, station.celsius) == (
        62.5,
        41,
        0.6,
        None,
    )
    meter = SensorReading.objects.get(sensor=sensors["meter"])
    assert (meter.energy_kwh, meter.flow_m3h, meter.celsius) == (12345.6, 1.2, None)  # not a meter's field
    outdoor = SensorReading.objects.get(sensor=sensors["outdoor"])
    assert outdoor.at == dt.datetime(2026, 12, 6, 0, 0, tzinfo=dt.UTC)  # naive = Asia/Shanghai
    assert SensorReading.objects.filter(sensor=sensors["room"]).count() == 2


def test_rejections_name_the_index_among_good_readings(sensors: dict[str, Sensor]) -> None:
    items = [
        {"sensor": "S-0001", "at": at(), "celsius": 17.2},
        {"sensor": "S-X", "at": at(), "celsius": 17.2},
        {"sensor": "S-0002", "at": at(), "celsius": 70},
        {"sensor": "S-0002", "at": at(), "celsius": 19},
    ]
    result = readings_ingest(items, now=T0)
    assert result.accepted == 2
    assert [(r.index, r.sensor, r.code) for r in result.rejected] == [
        (1, "S-X", Code.UNKNOWN_SENSOR),
        (2, "S-0002", Code.OUT_OF_RANGE),
    ]
    assert "celsius" in result.rejected[1].reason and "60" in result.rejected[1].reason


def test_duplicates_in_a_batch_and_against_stored_rows_are_stored_once(sensors: dict[str, Sensor]) -> None:
    # given: a burst with the same reading three times (one with another offset for the same instant)
    burst = [
        {"sensor": "S-0001", "at": "2026-12-06T08:00:00+08:00", "celsius": 17.2},
        {"sensor": "S-0001", "at": "2026-12-06T00:00:00+00:00", "celsius": 17.2},
        {"sensor": "S-0001", "at": "2026-12-06T08:00:00+08:00", "celsius": 17.3},
        {"sensor": "S-0002", "at": "2026-12-06T08:00:00+08:00", "celsius": 19.0},
    ]

    # when: sent, then sent again
    first = readings_ingest(burst, now=T0)
    again = readings_ingest(burst, now=T0)

    # then
    assert (first.accepted, first.duplicates) == (2, 2)
    assert (again.accepted, again.duplicates) == (0, 4)
    assert SensorReading.objects.count() == 2
    assert SensorReading.objects.get(sensor=sensors["room"]).celsius == 17.2  # the first one stays


def test_a_gateway_replaying_a_day_adds_nothing(sensors: dict[str, Sensor]) -> None:
    # given: yesterday, every 10 minutes, for two sensors
    yesterday = dt.datetime(2026, 12, 5, 0, 0, tzinfo=T0.tzinfo)
    day = [
        {"sensor": code, "at": at(10 * i, base=yesterday), "celsius": 18 + (i % 5) / 10}
        for i in range(144)
        for code in ("S-0001", "S-0002")
    ]
    stored = readings_ingest(day, now=T0)

    # when: the gateway replays it (with one new reading of today)
    replay = readings_ingest([*day, {"sensor": "S-0001", "at": at(), "celsius": 17}], now=T0)

    # then
    assert (stored.accepted, stored.duplicates) == (288, 0)
    assert (replay.accepted, replay.duplicates, replay.rejected) == (1, 288, [])
    assert SensorReading.objects.count() == 289


def test_the_newest_reading_of_a_sensor_never_moves_back(sensors: dict[str, Sensor]) -> None:
    # given: 08:20 stored
    readings_ingest([{"sensor": "S-0001", "at": at(-10), "celsius": 18.0}], now=T0)

    # when: an older reading arrives late, then a batch with an older and a newer one
    readings_ingest([{"sensor": "S-0001", "at": at(-60), "celsius": 15.0}], now=T0)
    sensors["room"].refresh_from_db()
    after_late = (sensors["room"].last_reading_at, sensors["room"].last_celsius)
    readings_ingest(
        [
            {"sensor": "S-0001", "at": at(-5), "celsius": 19.5},
            {"sensor": "S-0001", "at": at(-30), "celsius": 14.0},
            {"sensor": "S-0002", "at": at(-30), "celsius": 20.0},
        ],
        now=T0,
    )

    # then
    assert after_late == (T0 - dt.timedelta(minutes=10), 18.0)
    sensors["room"].refresh_from_db()
    assert (sensors["room"].last_reading_at, sensors["room"].last_celsius) == (
        T0 - dt.timedelta(minutes=5),
        19.5,
    )
    sensors["room2"].refresh_from_db()
    assert sensors["room2"].last_reading_at == T0 - dt.timedelta(minutes=30)
    assert Sensor.objects.get(code="ST-01").last_reading_at is None


def test_a_sensor_registered_after_a_miss_is_found_on_the_next_batch(sensors: dict[str, Sensor]) -> None:
    # given: a reading of a sensor not yet in the register (the process cache has seen the miss)
    item = {"sensor": "S-0500", "at": at(), "celsius": 18.0}
    assert readings_ingest([item], now=T0).rejected[0].code == Code.UNKNOWN_SENSOR

    # when: it is registered
    Sensor.objects.create(code="S-0500", kind="room")

    # then
    assert readings_ingest([item], now=T0).accepted == 1


def test_more_than_the_batch_limit_is_refused_whole(sensors: dict[str, Sensor]) -> None:
    items = [{"sensor": "S-0001", "at": at(-i / 100), "celsius": 18.0} for i in range(MAX_BATCH + 1)]
    with pytest.raises(InvalidInput, match="5000"):
        readings_ingest(items, now=T0)
    assert not SensorReading.objects.exists()


def test_reasons_are_translated(sensors: dict[str, Sensor]) -> None:
    with translation.override("en"):
        result = readings_ingest([{"sensor": "S-0001", "at": at(), "celsius": 99}], now=T0)
    assert "out of" in result.rejected[0].reason and "celsius" in result.rejected[0].reason
