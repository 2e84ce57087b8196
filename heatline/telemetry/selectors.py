"""Reads of live data: what the screens, detection and the outlook ask of the readings."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

if TYPE_CHECKING:
    from decimal import Decimal

    from heatline.core.models import HeatingSeason
    from heatline.registry.models import Staff
from heatline.telemetry.models import Alert, AlertKind, HourlyReading, Sensor, SensorKind, SensorReading
from heatline.telemetry.partitions import floor_hour


def outdoor_daily_means(start: dt.date, end: dt.date) -> dict[dt.date, tuple[float, float]]:
    """Observed outdoor temperature per local day in [start, end]: (mean, lowest hour) over every outdoor
    sensor's hourly means. Days without a reading are absent."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        HourlyReading.objects.filter(
            sensor__kind=SensorKind.OUTDOOR, hour__gte=since, hour__lt=until, celsius__isnull=False
        )
        .annotate(day=TruncDate("hour", tzinfo=tz))
        .values("day")
        .annotate(mean=Avg("celsius"), low=Min("celsius_min"))
        .order_by("day")
    )
    return {
        row["day"]: (float(row["mean"]), float(row["low"] if row["low"] is not None else row["mean"]))
        for row in rows
    }


# ----------------------------------------------------------------------------------------- one household

CHART_DAYS = 7
CHART_WIDTH = 280
CHART_HEIGHT = 56


@dataclass
class SensorNow:
    code: str
    room: str
    celsius: float | None
    at: dt.datetime | None
    dead: bool


@dataclass
class StationNow:
    name: str
    supply_c: float | None = None
    return_c: float | None = None
    at: dt.datetime | None = None
    alert: Alert | None = None


@dataclass
class HouseholdLive:
    """What the caller pop-up and the request page show of a household's live data."""

    sensors: list[SensorNow] = field(default_factory=list)
    points: str = ""  # the 7-day chart: an SVG polyline of hourly means
    standard_y: float = 0.0
    low: float | None = None
    high: float | None = None
    cold_alert: Alert | None = None
    station: StationNow | None = None
    outdoor: tuple[float, dt.datetime] | None = None
    standard: float = 20.0
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def is_empty(self) -> bool:
        return not self.sensors and self.station is None and self.outdoor is None


def _chart(
    series: list[tuple[dt.datetime, float]], *, start: dt.datetime, standard: float
) -> tuple[str, float, float, float]:
    """SVG points of hourly values over CHART_DAYS from `start`, the standard's y, and the low and high."""
    values = [v for _h, v in series]
    low, high = min(values), max(values)
    bottom, top = min(low, standard) - 1.0, max(high, standard) + 1.0
    span_s = CHART_DAYS * 86400

    def y(value: float) -> float:
        return round(CHART_HEIGHT - (value - bottom) / (top - bottom) * CHART_HEIGHT, 1)

    points = " ".join(
        f"{round((hour - start).total_seconds() / span_s * CHART_WIDTH, 1)},{y(value)}"
        for hour, value in series
    )
    return points, y(standard), low, high


def household_live(
    *, household_id: int, station_id: int | None, now: dt.datetime | None = None
) -> HouseholdLive:
    """The household's room sensors now (or 离线), its 7-day chart, its open cold alert, its station's supply
    and return now with any open supply alert, and the outdoor temperature. Six small indexed queries."""
    from heatline.telemetry.detection import Thresholds, outdoor_now

    now = now or timezone.now()
    limits = Thresholds.current()
    live = HouseholdLive(standard=limits.standard)
    dead_before = now - dt.timedelta(hours=limits.dead_hours)
    sensors = list(
        Sensor.objects.filter(
            household_id=household_id, kind=SensorKind.ROOM, removed_on__isnull=True
        ).order_by("code")
    )
    live.sensors = [
        SensorNow(
            code=s.code,
            room=s.room,
            celsius=s.last_celsius,
            at=s.last_reading_at,
            dead=s.last_reading_at is None or s.last_reading_at < dead_before,
        )
        for s in sensors
    ]
    if sensors:
        start = floor_hour(now - dt.timedelta(days=CHART_DAYS))
        series = [
            (row["hour"], float(row["mean"]))
            for row in HourlyReading.objects.filter(
                sensor_id__in=[s.pk for s in sensors], hour__gte=start, celsius__isnull=False
            )
            .values("hour")
            .annotate(mean=Avg("celsius"))
            .order_by("hour")
        ]
        if series:
            live.points, live.standard_y, live.low, live.high = _chart(
                series, start=start, standard=limits.standard
            )
        live.cold_alert = (
            Alert.objects.filter(kind=AlertKind.ROOM_COLD, household_id=household_id, ended_at__isnull=True)
            .order_by("-started_at")
            .first()
        )
    if station_id is not None:
        live.station = station_now(station_id, now=now)
    live.outdoor = outdoor_now(now)
    return live


def station_now(station_id: int, *, now: dt.datetime) -> StationNow | None:
    """The station's newest supply/return reading of the last 2 hours and its open supply alert; None when
    the station has no sensor and no alert."""
    from heatline.registry.models import Station

    sensor_ids = list(
        Sensor.objects.filter(
            station_id=station_id, kind=SensorKind.STATION, removed_on__isnull=True
        ).values_list("id", flat=True)
    )
    alert = (
        Alert.objects.filter(kind=AlertKind.STATION_SUPPLY_LOW, station_id=station_id, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if not sensor_ids and alert is None:
        return None
    name = Station.objects.filter(pk=station_id).values_list("name", flat=True).first() or ""
    result = StationNow(name=name, alert=alert)
    latest = (
        SensorReading.objects.filter(
            sensor_id__in=sensor_ids, at__gte=now - dt.timedelta(hours=2), at__lte=now, supply_c__isnull=False
        )
        .order_by("-at")
        .values_list("at", "supply_c", "return_c")
        .first()
    )
    if latest is not None:
        result.at, result.supply_c, result.return_c = latest
    return result


# ----------------------------------------------------------------------------------------- alerts page


def alerts_visible(*, viewer: "Staff", kind: str | None = None, state: str = "open") -> QuerySet[Alert]:
    """Alerts the viewer may see: their districts' households and sensors, and the stations feeding their
    districts. Newest first."""
    from heatline.registry.models import Building
    from heatline.registry.scoping import visible_district_ids

    queryset = Alert.objects.select_related("household", "station", "sensor", "district", "watch_entry")
    ids = visible_district_ids(viewer)
    if ids is not None:
        stations = Building.objects.filter(district_id__in=ids, station__isnull=False).values("station_id")
        queryset = queryset.filter(
            Q(district_id__in=ids) | Q(kind=AlertKind.STATION_SUPPLY_LOW, station_id__in=stations)
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if state == "open":
        queryset = queryset.filter(ended_at__isnull=True)
    elif state == "closed":
        queryset = queryset.filter(ended_at__isnull=False)
    return queryset.order_by("-started_at", "-id")


def alert_get_visible(*, viewer: "Staff", pk: int) -> Alert:
    """An alert the viewer may see, or NotVisible."""
    from heatline.core.errors import NotVisible

    alert = alerts_visible(viewer=viewer, state="all").filter(pk=pk).first()
    if alert is None:
        raise NotVisible()
    return alert


@dataclass
class SensorCounts:
    total: int = 0
    reporting: int = 0
    dead: int = 0
    cold_open: int = 0
    stations_low: int = 0


def _sensors_reporting(*, viewer: "Staff", now: dt.datetime) -> dict[str, int]:
    """Sensors in use in the viewer's districts (`total`) and those with a reading within
    `telemetry_dead_hours` (`reporting`): one query."""
    from heatline.core.rules import rule_int
    from heatline.registry.scoping import visible_district_ids

    sensors = Sensor.objects.filter(removed_on__isnull=True)
    ids = visible_district_ids(viewer)
    if ids is not None:
        sensors = sensors.filter(Q(district_id__in=ids) | Q(household__building__district_id__in=ids))
    cutoff = now - dt.timedelta(hours=rule_int("telemetry_dead_hours"))
    return sensors.aggregate(total=Count("id"), reporting=Count("id", filter=Q(last_reading_at__gte=cutoff)))


def sensor_counts(*, viewer: "Staff", now: dt.datetime | None = None) -> SensorCounts:
    """The head of the page: sensors in the viewer's districts, how many report, how many are 离线."""
    figures = _sensors_reporting(viewer=viewer, now=now or timezone.now())
    open_alerts = (
        alerts_visible(viewer=viewer, state="open").values("kind").annotate(n=Count("id")).order_by()
    )
    by_kind = {row["kind"]: row["n"] for row in open_alerts}
    return SensorCounts(
        total=figures["total"],
        reporting=figures["reporting"],
        dead=by_kind.get(AlertKind.SENSOR_DEAD, 0),
        cold_open=by_kind.get(AlertKind.ROOM_COLD, 0),
        stations_low=by_kind.get(AlertKind.STATION_SUPPLY_LOW, 0),
    )


# ----------------------------------------------------------------------------------------- refunds

SENSOR_DAY_MIN_HOURS = 20  # a day with fewer hourly means is not a measured day (a dead or new sensor)


def sensor_day_lows(
    *, season: "HeatingSeason", household_ids: "Iterable[int] | None" = None
) -> "dict[tuple[int, dt.date], Decimal]":
    """Per household and local day of the season: the coldest room's daily mean of its room sensors'
    hourly means, for days with at least SENSOR_DAY_MIN_HOURS hours of data (the refund rule's input)."""
    from decimal import Decimal

    from heatline.core.seasons import season_bounds

    start, end = season_bounds(season)
    tz = timezone.get_current_timezone()
    hourly = HourlyReading.objects.filter(
        hour__gte=start,
        hour__lt=end,
        celsius__isnull=False,
        sensor__kind=SensorKind.ROOM,
        sensor__household__isnull=False,
    )
    if household_ids is not None:
        hourly = hourly.filter(sensor__household_id__in=list(household_ids))
    rows = (
        hourly.annotate(day=TruncDate("hour", tzinfo=tz))
        .values("sensor__household_id", "sensor_id", "day")
        .annotate(mean=Avg("celsius"), hours=Count("hour"))
        .filter(hours__gte=SENSOR_DAY_MIN_HOURS)
        .order_by()
    )
    lows: dict[tuple[int, dt.date], Decimal] = {}
    for row in rows:  # grouped: small; a server-side cursor would plan for the first rows
        key = (row["sensor__household_id"], row["day"])
        value = Decimal(str(round(row["mean"], 1)))
        lows[key] = min(lows[key], value) if key in lows else value
    return lows


# ----------------------------------------------------------------------------------------- reports


def telemetry_figures(*, viewer: "Staff", start: dt.datetime, end: dt.datetime) -> dict[str, object]:
    """The report's 在线监测 section: alerts that began in [start, end) by kind, the households they put on
    the watch list, how many of those were visited and after how long (median hours), and the sensors
    reporting now. Three queries."""
    in_period = Q(started_at__gte=start, started_at__lt=end)
    figures = (
        alerts_visible(viewer=viewer, state="all")
        .order_by()
        .aggregate(
            cold=Count("id", filter=in_period & Q(kind=AlertKind.ROOM_COLD)),
            station=Count("id", filter=in_period & Q(kind=AlertKind.STATION_SUPPLY_LOW)),
            dead=Count("id", filter=in_period & Q(kind=AlertKind.SENSOR_DEAD)),
        )
    )
    cold = list(
        alerts_visible(viewer=viewer, kind=AlertKind.ROOM_COLD, state="all")
        .filter(in_period, watch_entry__isnull=False)
        .order_by()
        .values_list("started_at", "watch_entry__visited_at")
    )
    waits = sorted(
        (visited - started).total_seconds() / 3600
        for started, visited in cold
        if visited is not None and visited >= started
    )
    counts = _sensors_reporting(viewer=viewer, now=timezone.now())
    return {
        "cold_alerts": figures["cold"],
        "station_alerts": figures["station"],
        "dead_alerts": figures["dead"],
        "watched": len(cold),
        "visited": len(waits),
        "median_hours_to_visit": round(waits[len(waits) // 2], 1) if waits else None,
        "sensors": counts["total"],
        "reporting": counts["reporting"],
        "reporting_share": round(counts["reporting"] / counts["total"], 4) if counts["total"] else None,
    }
