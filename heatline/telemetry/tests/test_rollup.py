"""The hourly roll-up: right figures, late and replayed readings re-rolled, the open hour left to settle."""

import datetime as dt

import pytest

from heatline.telemetry.ingest import readings_ingest
from heatline.telemetry.jobs import ROLLUP_SETTLE
from heatline.telemetry.models import HourlyReading, RollupMark, Sensor
from heatline.telemetry.rollup import hourly_rollup
from heatline.telemetry.tests.conftest import T0, TZ

H8 = dt.datetime(2026, 12, 6, 8, 0, tzinfo=TZ)  # the hour of T0 (08:30)
H7 = H8 - dt.timedelta(hours=1)


def reading(code: str, at: dt.datetime, **values: float) -> dict[str, object]:
    return {"sensor": code, "at": at.isoformat(), **values}


def hourly(sensor: Sensor, hour: dt.datetime) -> HourlyReading:
    return HourlyReading.objects.get(sensor=sensor, hour=hour)


def test_an_hour_is_rolled_up_with_count_mean_min_max_and_the_last_energy(sensors: dict[str, Sensor]) -> None:
    # given: 07:00–07:59 readings of a room, a station and a meter (sent out of order)
    m = dt.timedelta(minutes=1)
    readings_ingest(
        [
            reading("S-0001", H7 + 20 * m, celsius=19.0),
            reading("S-0001", H7, celsius=17.0),
            reading("S-0001", H7 + 10 * m, celsius=18.5),
            reading("S-0001", H8, celsius=30.0),  # the next hour
            reading("ST-01", H7 + 5 * m, supply_c=60, return_c=40, pressure_mpa=0.5),
            reading("ST-01", H7 + 35 * m, supply_c=62, return_c=42, pressure_mpa=0.7),
            reading("M-01", H7 + 55 * m, energy_kwh=110.0, flow_m3h=2.0),
            reading("M-01", H7 + 5 * m, energy_kwh=100.0, flow_m3h=1.0),
        ],
        now=T0,
    )

    # when
    written = hourly_rollup(now=T0)

    # then
    assert written == 4
    room = hourly(sensors["room"], H7)
    assert (room.count, room.celsius_min, room.celsius_max) == (3, 17.0, 19.0)
    assert room.celsius == pytest.approx(18.1666, abs=1e-3)
    assert hourly(sensors["room"], H8).count == 1
    station = hourly(sensors["station"], H7)
    assert (station.supply_c, station.return_c, station.pressure_mpa) == pytest.approx((61, 41, 0.6))
    assert station.celsius is None
    meter = hourly(sensors["meter"], H7)
    assert (meter.energy_kwh, meter.flow_m3h, meter.count) == (110.0, 1.5, 2)
    assert not RollupMark.objects.exists()
    assert hourly_rollup(now=T0) == 0  # nothing new


def test_late_readings_re_roll_their_hour_and_a_replay_re_rolls_nothing(sensors: dict[str, Sensor]) -> None:
    # given: yesterday 14:00 rolled up with one reading
    yesterday_14 = dt.datetime(2026, 12, 5, 14, 0, tzinfo=TZ)
    readings_ingest([reading("S-0001", yesterday_14, celsius=16.0)], now=T0)
    hourly_rollup(now=T0)
    assert hourly(sensors["room"], yesterday_14).count == 1

    # when: the gateway sends the rest of that hour a day late, with the first one again
    late = [
        reading("S-0001", yesterday_14 + dt.timedelta(minutes=10 * i), celsius=16.0 + i) for i in range(6)
    ]
    result = readings_ingest(late, now=T0)
    written = hourly_rollup(now=T0)

    # then
    assert (result.accepted, result.duplicates) == (5, 1)
    assert written == 1
    row = hourly(sensors["room"], yesterday_14)
    assert (row.count, row.celsius, row.celsius_max) == (6, 18.5, 21.0)

    # and a replay of the same hour marks nothing, so the roll-up has nothing to do
    readings_ingest(late, now=T0)
    assert hourly_rollup(now=T0) == 0


def test_the_worker_leaves_the_open_hour_until_it_settles(sensors: dict[str, Sensor]) -> None:
    # given: readings of 07:50 (a closed hour) and 08:20 (the open hour), marked at 08:30
    readings_ingest(
        [
            reading("S-0001", H7 + dt.timedelta(minutes=50), celsius=18.0),
            reading("S-0001", H8 + dt.timedelta(minutes=20), celsius=18.0),
        ],
        now=T0,
    )

    # when: the worker's roll-up runs at once, then after the settling time
    first = hourly_rollup(now=T0 + dt.timedelta(minutes=1), settle=ROLLUP_SETTLE)
    open_hour_after_first = HourlyReading.objects.filter(hour=H8).exists()
    second = hourly_rollup(now=T0 + ROLLUP_SETTLE, settle=ROLLUP_SETTLE)

    # then
    assert (first, open_hour_after_first) == (1, False)
    assert second == 1
    assert hourly(sensors["room"], H8).count == 1


def test_a_range_is_recomputed_from_the_raw_readings(sensors: dict[str, Sensor]) -> None:
    # given: two hours stored and rolled up, then a roll-up row spoilt
    readings_ingest([reading("S-0001", H7, celsius=18.0), reading("S-0002", H8, celsius=21.0)], now=T0)
    hourly_rollup(now=T0)
    HourlyReading.objects.filter(sensor=sensors["room"]).update(celsius=-1, count=9)

    # when
    written = hourly_rollup(since=H7, until=H8, now=T0)

    # then: [07:00, 08:00) recomputed, 08:00 left alone
    assert written == 1
    assert (hourly(sensors["room"], H7).celsius, hourly(sensors["room"], H7).count) == (18.0, 1)
