"""The daily roll-up (`DailyFigure`): every count the dashboard and `summary()` sum, per local day,
district and category, and per source or kind in their own cuts.

`rollup_refresh(day_from, day_to)` rebuilds whole days: three grouped queries (requests, clocks,
callbacks) at the finest grain, folded into the three cuts in memory, then DELETE + bulk INSERT and the
days marked refreshed, in one transaction. The same grouped queries (`aggregate`) compute the live
part (today, or days not refreshed yet) grouped by whatever the reader needs, so the roll-up and the
live figures are one definition.
"""

import datetime as dt
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import CharField, Count, F, IntegerField, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from heatline.reports.models import (
    CLOCK_PARTS,
    ROLLUP_CLOCKS,
    Cut,
    DailyFigure,
    PeriodBuilding,
    PeriodHousehold,
    PeriodRepeat,
    PeriodSpan,
    RollupDay,
)
from heatline.requests.models import (
    OPEN_STATUSES,
    Callback,
    CallbackOutcome,
    Clock,
    ClockName,
    Nature,
    Satisfaction,
    ServiceRequest,
    Status,
)

REQUEST_FIELDS = (
    "total",
    "excluded",
    "counted",
    "classified_in_time",
    "resolved_at_intake",
    "complaints",
    "emergency",
    "closed",
    "due",
    "solved",
    "linked_calls",
)
CALLBACK_FIELDS = ("callbacks_made", "callbacks_satisfied", "callbacks_basic")
CLOCK_FIELDS = ("responded", *(f"{name}_{part}" for name in ROLLUP_CLOCKS for part in CLOCK_PARTS))
FIGURE_FIELDS = REQUEST_FIELDS + CALLBACK_FIELDS + CLOCK_FIELDS

RECENT_DAYS = 14  # the worker refreshes these days every RECENT_EVERY; older ones nightly
RECENT_EVERY = dt.timedelta(minutes=5)
_LOCK_KEY = 0x48_4C_52_55  # pg advisory lock: one refresh at a time across workers

# Grouping keys, named as on ServiceRequest; "day" is the local day of received_at.
FINEST = ("day", "district_id", "category_id", "source", "kind", "team_id")

Figures = dict[str, int]


def empty() -> Figures:
    return dict.fromkeys(FIGURE_FIELDS, 0)


def met_in_time() -> Q:
    """Met, never breached, and met by its due time (a late meeting the sweep has not seen yet is late)."""
    return Q(met_at__isnull=False, breached_at__isnull=True, met_at__lte=F("due_at"))


def breached() -> Q:
    return Q(breached_at__isnull=False) | Q(met_at__gt=F("due_at"))


def clock_ran() -> Q:
    """Clocks that count: met, breached or still running (cancelled unmet ones drop out)."""
    return Q(cancelled_at__isnull=True) | Q(met_at__isnull=False) | Q(breached_at__isnull=False)


def _group_values(prefix: str, keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Annotations and value names grouping a queryset reaching ServiceRequest through `prefix`."""
    annotations: dict[str, Any] = {}
    names: list[str] = []
    for key in keys:
        if key == "day":
            annotations["g_day"] = TruncDate(f"{prefix}received_at", tzinfo=timezone.get_current_timezone())
        else:
            annotations[f"g_{key}"] = F(f"{prefix}{key}")
        names.append(f"g_{key}")
    return annotations, names


def aggregate(
    *,
    requests_q: Q,
    scope: Callable[[Any, str], Any],
    keys: Sequence[str],
    now: dt.datetime,
    parts: Iterable[str] = ("requests", "clocks", "callbacks"),
    few: bool = False,
) -> dict[tuple[Any, ...], Figures]:
    """Every figure of the requests matching `requests_q` (a Q on ServiceRequest written with the
    prefix "service_request__" applied by `q_for`), grouped by `keys`. One grouped query per part.

    `scope(queryset, district_field)` applies the viewer's district scope; `few` says the span holds
    few requests (a day or two), which counts callbacks per request instead of joining them all."""
    parts = set(parts)
    result: dict[tuple[Any, ...], Figures] = {}

    def row_for(row: dict[str, Any], names: list[str]) -> Figures:
        key = tuple(row[name] for name in names)
        figures = result.get(key)
        if figures is None:
            figures = result[key] = empty()
        return figures

    if "requests" in parts:
        counted = Q(is_excluded=False) & ~Q(status=Status.RETURNED)
        closed = Q(status=Status.CLOSED)
        annotations, names = _group_values("", keys)
        requests = scope(ServiceRequest.objects.filter(requests_q), "district")
        rows = (
            requests.annotate(**annotations)
            .values(*names)
            .annotate(
                total=Count("id"),
                excluded=Count("id", filter=Q(is_excluded=True)),
                counted=Count("id", filter=counted),
                classified_in_time=Count("id", filter=Q(is_late_intake=False, is_imported=False)),
                resolved_at_intake=Count("id", filter=counted & Q(is_resolved_at_intake=True)),
                complaints=Count("id", filter=Q(nature=Nature.COMPLAINT)),
                emergency=Count("id", filter=Q(kind="emergency")),
                closed=Count("id", filter=counted & closed),
                due=Count("id", filter=counted & Q(status__in=OPEN_STATUSES, next_due_at__lte=now)),
                solved=Count("id", filter=counted & closed & Q(is_solved=True)),
                linked_calls=Sum("repeat_count"),
            )
            .order_by()
        )
        for row in cast("Iterable[dict[str, Any]]", rows):
            figures = row_for(row, names)
            for field in REQUEST_FIELDS:
                figures[field] += row[field] or 0

    prefixed = _prefixed(requests_q)
    if "clocks" in parts:
        annotations, names = _group_values("service_request__", keys)
        clocks = scope(Clock.objects.filter(prefixed), "service_request__district")
        rows = (
            clocks.filter(clock_ran())
            .annotate(**annotations)
            .values(*names, "name")
            .annotate(
                c_total=Count("id"),
                c_met=Count("id", filter=met_in_time()),
                c_breached=Count("id", filter=breached()),
                c_open=Count(
                    "id", filter=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)
                ),
                c_responded=Count(
                    "id",
                    filter=met_in_time()
                    & Q(round=1, service_request__is_excluded=False)
                    & Q(name__in=[ClockName.CONTACT, ClockName.ARRIVAL]),
                ),
            )
            .order_by()
        )
        for row in cast("Iterable[dict[str, Any]]", rows):
            figures = row_for(row, names)
            figures["responded"] += row["c_responded"]
            if row["name"] in ROLLUP_CLOCKS:
                for part in CLOCK_PARTS:
                    figures[f"{row['name']}_{part}"] += row[f"c_{part}"]

    if "callbacks" in parts and few:
        # A short span (today): count each request's callbacks through the callback index rather
        # than scanning every callback for a hash join.
        annotations, names = _group_values("", keys)
        answered = Callback.objects.filter(service_request=OuterRef("pk"), outcome=CallbackOutcome.ANSWERED)

        def per_request(condition: Q) -> Any:
            counted = answered.filter(condition).values("service_request").annotate(n=Count("id")).values("n")
            return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

        rows = (
            scope(ServiceRequest.objects.filter(requests_q, is_excluded=False), "district")
            .annotate(
                cb_made=per_request(Q()),
                cb_satisfied=per_request(Q(satisfaction=Satisfaction.SATISFIED)),
                cb_basic=per_request(Q(satisfaction=Satisfaction.BASIC)),
                **annotations,
            )
            .values(*names)
            .annotate(made=Sum("cb_made"), satisfied=Sum("cb_satisfied"), basic=Sum("cb_basic"))
            .order_by()
        )
    elif "callbacks" in parts:
        annotations, names = _group_values("service_request__", keys)
        callbacks = scope(
            Callback.objects.filter(
                prefixed, service_request__is_excluded=False, outcome=CallbackOutcome.ANSWERED
            ),
            "service_request__district",
        )
        rows = (
            callbacks.annotate(**annotations)
            .values(*names)
            .annotate(
                made=Count("id"),
                satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
                basic=Count("id", filter=Q(satisfaction=Satisfaction.BASIC)),
            )
            .order_by()
        )
    if "callbacks" in parts:
        for row in cast("Iterable[dict[str, Any]]", rows):
            if not row["made"]:
                continue
            figures = row_for(row, names)
            figures["callbacks_made"] += row["made"]
            figures["callbacks_satisfied"] += row["satisfied"] or 0
            figures["callbacks_basic"] += row["basic"] or 0
    return result


def _prefixed(q: Q, prefix: str = "service_request__") -> Q:
    """The same Q with every lookup reaching ServiceRequest through `prefix`."""
    clone = Q()
    clone.connector = q.connector
    clone.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            lookup, value = cast("tuple[str, Any]", child)
            clone.children.append((f"{prefix}{lookup}", value))
    return clone


def _no_scope(queryset: Any, field: str) -> Any:
    return queryset


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def rollup_refresh(day_from: dt.date, day_to: dt.date, *, now: dt.datetime | None = None) -> int:
    """Rebuild the roll-up of the local days [day_from, day_to] (today and later are never rolled up:
    they are read live). Idempotent; returns the number of rows written."""
    now = now or timezone.now()
    day_to = min(day_to, timezone.localdate(now) - dt.timedelta(days=1))
    if day_to < day_from:
        return 0
    span = Q(received_at__gte=day_start(day_from), received_at__lt=day_start(day_to + dt.timedelta(days=1)))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        finest = aggregate(requests_q=span, scope=_no_scope, keys=FINEST, now=now)
        cuts: dict[tuple[Any, ...], Figures] = {}
        for (day, district_id, category_id, source, kind, team_id), figures in finest.items():
            for key in (
                (Cut.ALL, day, district_id, category_id, "", "", None),
                (Cut.DISTRICT, day, district_id, None, "", "", None),
                (Cut.SOURCE, day, district_id, category_id, source, "", None),
                (Cut.KIND, day, district_id, category_id, "", kind, None),
                (Cut.TEAM, day, district_id, category_id, "", "", team_id),
            ):
                target = cuts.get(key)
                if target is None:
                    cuts[key] = dict(figures)
                else:
                    for field, value in figures.items():
                        target[field] += value
        DailyFigure.objects.filter(day__gte=day_from, day__lte=day_to).delete()
        DailyFigure.objects.bulk_create(
            (
                DailyFigure(
                    cut=cut,
                    day=day,
                    district_id=district_id,
                    category_id=category_id,
                    source=source,
                    kind=kind,
                    team_id=team_id,
                    **figures,
                )
                for (cut, day, district_id, category_id, source, kind, team_id), figures in cuts.items()
            ),
            batch_size=2000,
        )
        days = list(days_between(day_from, day_to))
        RollupDay.objects.filter(day__in=days).delete()
        RollupDay.objects.bulk_create([RollupDay(day=day, refreshed_at=now) for day in days])
    return len(cuts)


def rollup_refresh_chunked(
    day_from: dt.date,
    day_to: dt.date,
    *,
    now: dt.datetime | None = None,
    chunk_days: int = 14,
    progress: Callable[[dt.date, dt.date, int], None] | None = None,
) -> int:
    """`rollup_refresh` over a long span, a transaction per `chunk_days` (memory stays bounded)."""
    written = 0
    first = day_from
    while first <= day_to:
        last = min(day_to, first + dt.timedelta(days=chunk_days - 1))
        rows = rollup_refresh(first, last, now=now)
        written += rows
        if progress is not None:
            progress(first, last, rows)
        first = last + dt.timedelta(days=1)
    return written


def stale_days(first: dt.date, last: dt.date, *, before: dt.datetime) -> bool:
    """Whether a day of [first, last] was never rolled up or was rolled up before `before`."""
    fresh = RollupDay.objects.filter(day__gte=first, day__lte=last, refreshed_at__gte=before).count()
    return fresh < (last - first).days + 1


def covered_days(day_from: dt.date, day_to: dt.date, *, today: dt.date) -> dict[dt.date, dt.datetime]:
    """Days of [day_from, day_to] read from the roll-up (refreshed and before today), with when."""
    last = min(day_to, today - dt.timedelta(days=1))
    if last < day_from:
        return {}
    return dict(RollupDay.objects.filter(day__gte=day_from, day__lte=last).values_list("day", "refreshed_at"))


def live_ranges(
    day_from: dt.date, day_to: dt.date, covered: Container[dt.date]
) -> list[tuple[dt.date, dt.date]]:
    """The contiguous runs of days of the period that are not covered (read live)."""
    ranges: list[tuple[dt.date, dt.date]] = []
    start: dt.date | None = None
    previous: dt.date | None = None
    for day in days_between(day_from, day_to):
        if day in covered:
            if start is not None and previous is not None:
                ranges.append((start, previous))
            start = None
        elif start is None:
            start = day
        previous = day
    if start is not None and previous is not None:
        ranges.append((start, previous))
    return ranges


def _insert_select(table: str, columns: Sequence[str], queryset: Any, aliases: Sequence[str]) -> None:
    """INSERT INTO table (columns) SELECT aliases FROM (the queryset's SQL): set-based, both databases."""
    sql, params = queryset.query.sql_with_params()
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    selected = ", ".join(f"q.{connection.ops.quote_name(a)}" for a in aliases)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {selected} FROM ({sql}) q", params)


def period_refresh(first_day: dt.date, last_day: dt.date, *, now: dt.datetime | None = None) -> int:
    """Rebuild the per-household and per-building counts of [first_day, last_day] (a season to date;
    clamped to yesterday), replacing the previous span. Returns the household rows written."""
    now = now or timezone.now()
    last_day = min(last_day, timezone.localdate(now) - dt.timedelta(days=1))
    if last_day < first_day:
        return 0
    span = Q(
        received_at__gte=day_start(first_day), received_at__lt=day_start(last_day + dt.timedelta(days=1))
    )
    requests = ServiceRequest.objects.filter(span)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY + 1])
        PeriodHousehold.objects.all().delete()
        PeriodBuilding.objects.all().delete()
        PeriodSpan.objects.all().delete()
        PeriodRepeat.objects.all().delete()
        for cut, extra in ((Cut.ALL, ()), (Cut.SOURCE, ("source",)), (Cut.KIND, ("kind",))):
            blanks = {
                f"p_{name}": Value("", output_field=CharField())
                for name in ("source", "kind")
                if name not in extra
            }
            dims = [name if name in extra else f"p_{name}" for name in ("source", "kind")]
            households = (
                requests.filter(household__isnull=False)
                .values("household_id", *extra)
                .annotate(
                    p_cut=Value(cut, output_field=CharField()),
                    **blanks,
                    p_district=Min("district_id"),
                    p_total=Count("id"),
                )
                .order_by()
            )
            _insert_select(
                PeriodHousehold._meta.db_table,
                ("cut", "household_id", "source", "kind", "district_id", "total"),
                households,
                ("p_cut", "household_id", *dims, "p_district", "p_total"),
            )
            buildings = (
                requests.filter(building__isnull=False)
                .values(
                    "building_id",
                    "district_id",
                    *extra,
                    p_community=F("building__community_id"),
                    p_number=F("building__number"),
                )
                .annotate(
                    p_cut=Value(cut, output_field=CharField()),
                    **blanks,
                    p_total=Count("id"),
                    p_complaints=Count("id", filter=Q(nature=Nature.COMPLAINT)),
                )
                .order_by()
            )
            _insert_select(
                PeriodBuilding._meta.db_table,
                (
                    "cut",
                    "building_id",
                    "community_id",
                    "number",
                    "district_id",
                    "source",
                    "kind",
                    "total",
                    "complaints",
                ),
                buildings,
                (
                    "p_cut",
                    "building_id",
                    "p_community",
                    "p_number",
                    "district_id",
                    *dims,
                    "p_total",
                    "p_complaints",
                ),
            )
        repeats = (
            PeriodHousehold.objects.filter(total__gt=1)
            .values("cut", "district_id", "source", "kind")
            .annotate(p_households=Count("id"), p_requests=Sum("total"))
            .order_by()
        )
        _insert_select(
            PeriodRepeat._meta.db_table,
            ("cut", "district_id", "source", "kind", "households", "requests"),
            repeats,
            ("cut", "district_id", "source", "kind", "p_households", "p_requests"),
        )
        multi = (
            requests.filter(household__isnull=False)
            .values("household_id")
            .annotate(n=Count(Coalesce("district_id", 0), distinct=True))
            .filter(n__gt=1)
            .order_by()
            .count()
        )
        PeriodSpan.objects.create(
            first_day=first_day, last_day=last_day, multi_district_households=multi, refreshed_at=now
        )
        return PeriodHousehold.objects.filter(cut=Cut.ALL).count()
