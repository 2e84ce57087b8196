"""Demo rows of live data: room sensors in a few hundred homes (the demo caller's among the cold ones),
a supply/return sensor per station (the demo caller's station under its curve), one outdoor thermometer;
7 days of readings up to now, then one detection pass. While HEATLINE_DEMO is on, the worker's
`telemetry_demo_feed` keeps the demo sensors reporting (the same model), so the screens stay alive.

Readings come from one deterministic model of (sensor, time): the same hour always reads the same.
Idempotent: nothing is added when a demo sensor exists.
"""

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone

from heatline.registry.demo import DEMO_CALLER_PHONE
from heatline.registry.models import Household, Station
from heatline.telemetry.detection import Thresholds, curve_supply, detect_all
from heatline.telemetry.ingest import readings_ingest
from heatline.telemetry.models import HourlyReading, Sensor, SensorKind
from heatline.telemetry.rollup import hourly_rollup

PREFIX = "DEMO-"
HISTORY_DAYS = 7
RAW_HOURS = 6  # the last hours as raw readings every 10 minutes (through the ingest), older ones hourly
STEP = dt.timedelta(minutes=10)
ROOMS = ("客厅", "主卧")
BATCH = 5000


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def outdoor_at(at: dt.datetime) -> float:
    """A Heihe December day: about −21 ℃, coldest before dawn."""
    local = timezone.localtime(at)
    hours = local.hour + local.minute / 60
    day = local.toordinal()
    return round(-21.0 + 3.0 * math.sin(day * 1.7) + 5.0 * math.sin((hours - 9) / 24 * 2 * math.pi), 1)


def is_cold(code: str) -> bool:
    return code.endswith("-COLD") or _hash(code) % 25 == 0


def is_dead(code: str) -> bool:
    return not code.endswith("-COLD") and _hash(code) % 97 == 0


def room_at(code: str, at: dt.datetime) -> float:
    noise = ((_hash(f"{code}{at:%Y%m%d%H%M}") % 100) - 50) / 100  # ±0.5 ℃
    base = 18.2 if is_cold(code) else 20.8 + (_hash(code) % 25) / 10
    return round(base + noise, 1)


def supply_at(code: str, at: dt.datetime, limits: Thresholds) -> tuple[float, float]:
    expected = curve_supply(
        outdoor_at(at),
        design=limits.design_outdoor,
        base=limits.base_outdoor,
        supply_at_design=limits.supply_at_design,
        supply_at_base=limits.supply_at_base,
    )
    supply = (
        expected - (11.0 if code.endswith("-LOW") else 0.0) + ((_hash(f"{code}{at:%H%M}") % 20) - 10) / 10
    )
    return round(supply, 1), round(supply - 17.0, 1)


def reading(sensor: Any, at: dt.datetime, limits: Thresholds) -> dict[str, Any]:
    code, kind = sensor
    item: dict[str, Any] = {"sensor": code, "at": at.isoformat()}
    if kind == SensorKind.OUTDOOR:
        item["celsius"] = outdoor_at(at)
    elif kind == SensorKind.STATION:
        item["supply_c"], item["return_c"] = supply_at(code, at, limits)
        item["pressure_mpa"] = 0.42
    else:
        item["celsius"] = room_at(code, at)
    return item


def _times(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    at = start
    while at <= end:
        yield at
        at += STEP


def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if Sensor.objects.filter(code__startswith=PREFIX).exists():
        progress("telemetry: demo sensors already there, nothing added")
        return
    now = timezone.now()
    households = list(Household.objects.order_by("id").values_list("id", flat=True))
    if not households:
        progress("telemetry: no households, skipped")
        return
    caller = Household.objects.filter(phone=DEMO_CALLER_PHONE).select_related("building").first()
    chosen = rng.sample(households, k=min(len(households), max(20, min(300, len(households) // 50))))
    sensors: list[Sensor] = []
    for household_id in chosen:
        if caller is not None and household_id == caller.pk:
            continue
        sensors.append(Sensor(code=f"{PREFIX}R{household_id:07d}", kind=SensorKind.ROOM, household_id=household_id,
                              room=rng.choice(ROOMS), installed_on=now.date() - dt.timedelta(days=60)))  # fmt: skip
    if caller is not None:
        sensors.append(Sensor(code=f"{PREFIX}R{caller.pk:07d}-COLD", kind=SensorKind.ROOM, household=caller,
                              room="客厅", installed_on=now.date() - dt.timedelta(days=60)))  # fmt: skip
    low_station = caller.building.station_id if caller is not None else None
    for station_id, code in Station.objects.values_list("id", "code"):
        suffix = "-LOW" if station_id == low_station else ""
        sensors.append(
            Sensor(code=f"{PREFIX}ST-{code}{suffix}", kind=SensorKind.STATION, station_id=station_id)
        )
    sensors.append(Sensor(code=f"{PREFIX}OUT", kind=SensorKind.OUTDOOR))
    Sensor.objects.bulk_create(sensors, batch_size=BATCH)
    limits = Thresholds.current()
    raw_from = (now - dt.timedelta(hours=RAW_HOURS)).replace(minute=0, second=0, microsecond=0)
    history_from = raw_from - dt.timedelta(days=HISTORY_DAYS)
    _history(
        sensors=Sensor.objects.filter(code__startswith=PREFIX),
        start=history_from,
        end=raw_from,
        limits=limits,
    )
    dead = [s.code for s in sensors if is_dead(s.code)]
    Sensor.objects.filter(code__in=dead).update(last_reading_at=raw_from - dt.timedelta(hours=1))
    fed = feed(now=now, since=raw_from, limits=limits)
    hourly_rollup(since=raw_from, until=now, now=now)
    result = detect_all(now=now)
    progress(
        f"telemetry: {len(sensors):,} sensors, {fed:,} raw readings, alerts: {result.cold_opened} cold rooms,"
        f" {result.station_opened} station, {result.dead_opened} offline"
    )


def _history(*, sensors: Any, start: dt.datetime, end: dt.datetime, limits: Thresholds) -> None:
    """Hourly means before the raw window, written as the roll-up would (the demo's past week)."""
    rows: list[HourlyReading] = []
    hours = int((end - start) / dt.timedelta(hours=1))
    for sensor in sensors:
        for i in range(hours):
            hour = start + dt.timedelta(hours=i)
            mid = hour + dt.timedelta(minutes=30)
            if sensor.kind == SensorKind.OUTDOOR:
                value = outdoor_at(mid)
                rows.append(HourlyReading(sensor=sensor, hour=hour, count=6, celsius=value, celsius_min=value - 0.3,
                                          celsius_max=value + 0.3))  # fmt: skip
            elif sensor.kind == SensorKind.STATION:
                supply, back = supply_at(sensor.code.replace("-LOW", ""), mid, limits)  # the dip is today's
                rows.append(HourlyReading(sensor=sensor, hour=hour, count=6, supply_c=supply, return_c=back,
                                          pressure_mpa=0.42))  # fmt: skip
            else:
                # A cold home has been cold for the last day and a bit; before that it was fine.
                warm_before = is_cold(sensor.code) and i < hours - 30
                value = 21.0 + (_hash(sensor.code) % 20) / 10 if warm_before else room_at(sensor.code, mid)
                rows.append(HourlyReading(sensor=sensor, hour=hour, count=6, celsius=value, celsius_min=value - 0.2,
                                          celsius_max=value + 0.2))  # fmt: skip
        if len(rows) >= BATCH:
            HourlyReading.objects.bulk_create(rows, batch_size=BATCH)
            rows = []
    HourlyReading.objects.bulk_create(rows, batch_size=BATCH)


def feed(*, now: dt.datetime, since: dt.datetime | None = None, limits: Thresholds | None = None) -> int:
    """Readings of the demo sensors from their last reading (or `since`) up to now, through the ingest;
    the offline ones stay silent. Returns the readings accepted."""
    limits = limits or Thresholds.current()
    floor = now - dt.timedelta(hours=RAW_HOURS)
    accepted = 0
    batch: list[dict[str, Any]] = []
    for code, kind, last in Sensor.objects.filter(
        code__startswith=PREFIX, removed_on__isnull=True
    ).values_list("code", "kind", "last_reading_at"):
        if is_dead(code):
            continue  # silent since the history's end: 离线
        start = max(last + STEP if last else (since or floor), floor)
        start = start.replace(second=0, microsecond=0)
        start -= dt.timedelta(minutes=start.minute % 10)
        if last is not None and start <= last:
            start += STEP
        for at in _times(start, now):
            batch.append(reading((code, kind), at, limits))
            if len(batch) >= BATCH:
                accepted += readings_ingest(batch, now=now).accepted
                batch = []
    if batch:
        accepted += readings_ingest(batch, now=now).accepted
    return accepted
