"""Read-only figures for management (SPEC §5, §6). Every figure is scoped by the viewer's districts.

The three government rates are defined here, once, and their definitions are configurable through
rule keys (admin: 规则参数); `rate_definitions()` renders the same definitions as help text.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypedDict, cast

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput, NotVisible
from heatline.core.rules import rules_all
from heatline.core.seasons import season_bounds, season_current
from heatline.registry.models import Community, District, Household, Staff
from heatline.registry.scoping import may_see_district, scope_by_district, visible_district_ids
from heatline.reports.models import (
    ROLLUP_CLOCKS,
    Cut,
    DailyFigure,
    PeriodBuilding,
    PeriodHousehold,
    PeriodRepeat,
    PeriodSpan,
)
from heatline.reports.rollup import (
    FIGURE_FIELDS,
    Figures,
    aggregate,
    breached,
    covered_days,
    empty,
    live_ranges,
    met_in_time,
)
from heatline.requests.models import (
    OPEN_STATUSES,
    Callback,
    CallbackOutcome,
    Category,
    Clock,
    ClockName,
    Nature,
    Satisfaction,
    ServiceRequest,
    Source,
    Status,
)

TOP_N = 10


@dataclass(frozen=True)
class ReportFilter:
    """Which requests a report counts: received in [date_from, date_to] (local dates, inclusive)."""

    date_from: dt.date
    date_to: dt.date
    branch_id: int | None = None
    district_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    source: str = ""
    kind: str = ""

    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=timezone.get_current_timezone())

    def end(self) -> dt.datetime:
        return dt.datetime.combine(
            self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
        )

    def as_params(self) -> dict[str, str]:
        """The query string that reproduces this filter (for drill-down links and exports)."""
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        for key, value in (
            ("branch", self.branch_id),
            ("district", self.district_id),
            ("team", self.team_id),
            ("category", self.category_id),
            ("source", self.source),
            ("kind", self.kind),
        ):
            if value:
                params[key] = str(value)
        return params

    def q(self, prefix: str = "") -> Q:
        """The filter as a Q on ServiceRequest, or on a model reaching it through `prefix`."""
        p = prefix
        conditions: dict[str, Any] = {f"{p}received_at__gte": self.start(), f"{p}received_at__lt": self.end()}
        if self.branch_id:
            conditions[f"{p}district__branch_id"] = self.branch_id
        if self.district_id:
            conditions[f"{p}district_id"] = self.district_id
        if self.team_id:
            conditions[f"{p}team_id"] = self.team_id
        if self.category_id:
            conditions[f"{p}category_id"] = self.category_id
        if self.source:
            conditions[f"{p}source"] = self.source
        if self.kind:
            conditions[f"{p}kind"] = self.kind
        return Q(**conditions)


def _int_or_none(params: Mapping[str, str], key: str) -> int | None:
    raw = (params.get(key) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("参数无效:%(key)s") % {"key": key}, field=key) from None


def _date_or_none(params: Mapping[str, str], key: str) -> dt.date | None:
    raw = (params.get(key) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("日期格式应为YYYY-MM-DD:%(key)s") % {"key": key}, field=key) from None


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This heating season up to today; the last 30 days when no season is configured."""
    today = today or timezone.localdate()
    season = season_current(today=today)
    if season is not None:
        start, end = season_bounds(season)
        return start.date(), min(today, (end - dt.timedelta(days=1)).date())
    return today - dt.timedelta(days=29), today


def report_filter_parse(*, params: Mapping[str, str], viewer: Staff) -> ReportFilter:
    """Read a filter from query parameters; a district outside the viewer's area is a 404."""
    default_from, default_to = default_period()
    date_from = _date_or_none(params, "from") or default_from
    date_to = _date_or_none(params, "to") or default_to
    if date_to < date_from:
        raise InvalidInput(_("结束日期不能早于开始日期"), field="to")
    if (date_to - date_from).days > 800:
        raise InvalidInput(_("统计区间过长"), field="from")
    source = (params.get("source") or "").strip()
    if source and source not in Source.values:
        raise InvalidInput(_("来源无效:%(source)s") % {"source": source}, field="source")
    kind = (params.get("kind") or "").strip()
    if kind and kind not in ("routine", "emergency"):
        raise InvalidInput(_("类型无效"), field="kind")
    district_id = _int_or_none(params, "district")
    if district_id is not None and not may_see_district(viewer, district_id):
        raise NotVisible()
    return ReportFilter(
        date_from=date_from,
        date_to=date_to,
        branch_id=_int_or_none(params, "branch"),
        district_id=district_id,
        team_id=_int_or_none(params, "team"),
        category_id=_int_or_none(params, "category"),
        source=source,
        kind=kind,
    )


def requests_for_report(*, flt: ReportFilter, viewer: Staff) -> QuerySet[ServiceRequest]:
    return scope_by_district(ServiceRequest.objects.filter(flt.q()), viewer)


# -- the rates --------------------------------------------------------------------------------


class Rate(TypedDict):
    numerator: int
    denominator: int
    value: float | None  # numerator ÷ denominator, None when nothing was counted
    is_small_sample: bool  # denominator below `report_min_sample`: read with care


class Rates(TypedDict):
    response: Rate
    resolution: Rate
    satisfaction: Rate
    score: float | None  # weighted mean of the rates that have a denominator, 0–100


class ClockFigure(TypedDict):
    total: int  # clocks that ran (met, breached or still open; cancelled unmet ones drop out)
    met: int  # met in time: met_at set and never breached
    breached: int
    open: int
    share: float | None  # met ÷ total


class Summary(TypedDict):
    total: int
    excluded: int  # 不纳入考核: drop out of the rates, listed on their own
    counted: int
    classified_in_time: int
    classified_share: float | None
    resolved_at_intake: int
    complaints: int
    rates: Rates
    clocks: dict[str, ClockFigure]
    is_small_sample: bool


class RateSettings(TypedDict):
    weight_response: Decimal
    weight_resolution: Decimal
    weight_satisfaction: Decimal
    response_counts_intake: bool
    resolution_counts_due: bool
    satisfaction_counts_basic: bool
    min_sample: int


def rate_settings() -> RateSettings:
    values = rules_all()
    return {
        "weight_response": values["score_weight_response"],
        "weight_resolution": values["score_weight_resolution"],
        "weight_satisfaction": values["score_weight_satisfaction"],
        "response_counts_intake": values["rate_response_counts_intake"] != 0,
        "resolution_counts_due": values["rate_resolution_counts_due"] != 0,
        "satisfaction_counts_basic": values["rate_satisfaction_counts_basic"] != 0,
        "min_sample": int(values["report_min_sample"]),
    }


def rate_definitions(settings: RateSettings) -> list[tuple[str, str]]:
    """The help text: the definitions exactly as `summary()` computes them."""
    response = _("在规定时限内联系(常规30分钟)或到场(紧急1小时)的工单数 ÷ 工单数(不含不纳入考核)")
    if settings["response_counts_intake"]:
        response += _(";直办工单计为已响应")
    resolution_den = (
        _("已办结工单 + 已到期未办结工单") if settings["resolution_counts_due"] else _("已办结工单")
    )
    resolution = _("已办结且回访“已解决”(含直办)的工单数 ÷ (%(den)s),不含退单和不纳入考核") % {
        "den": resolution_den
    }
    satisfied = _("满意、基本满意") if settings["satisfaction_counts_basic"] else _("满意")
    satisfaction = _("评价为%(what)s的回访次数 ÷ 接通的回访次数") % {"what": satisfied}
    score = _("响应率×%(a)s + 解决率×%(b)s + 满意率×%(c)s,除以有数据的各项权重之和,满分100") % {
        "a": settings["weight_response"],
        "b": settings["weight_resolution"],
        "c": settings["weight_satisfaction"],
    }
    small = _("分母小于%(n)s时标注“样本少”,比率仅供参考") % {"n": settings["min_sample"]}
    return [
        (_("响应率"), response),
        (_("解决率"), resolution),
        (_("满意率"), satisfaction),
        (_("综合得分"), score),
        (_("样本量"), small),
    ]


def _satisfied_values(settings: RateSettings) -> list[str]:
    values: list[str] = [Satisfaction.SATISFIED]
    if settings["satisfaction_counts_basic"]:
        values.append(Satisfaction.BASIC)
    return values


def _rate(numerator: int, denominator: int, min_sample: int) -> Rate:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": round(numerator / denominator, 4) if denominator else None,
        "is_small_sample": denominator < min_sample,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


_met_in_time = met_in_time
_breached = breached


# -- where the figures come from: the daily roll-up for refreshed past days, live for the rest -------


@dataclass(frozen=True)
class Plan:
    """How a filter is read: `cut` of the roll-up over `rolled` (first, last day) or None; and the runs
    of days read live from the requests."""

    cut: str | None
    rolled: tuple[dt.date, dt.date] | None
    live: tuple[tuple[dt.date, dt.date], ...]
    as_of: dt.datetime | None = None  # when the oldest roll-up day read was computed


def plan_for(flt: ReportFilter, now: dt.datetime | None = None) -> Plan:
    """The roll-up serves every filter but two of source, kind and team together (no cut has two)."""
    everything_live = Plan(cut=None, rolled=None, live=((flt.date_from, flt.date_to),))
    if [bool(flt.source), bool(flt.kind), bool(flt.team_id)].count(True) > 1:
        return everything_live
    today = timezone.localdate(now or timezone.now())
    covered = covered_days(flt.date_from, flt.date_to, today=today)
    if not covered:
        return everything_live
    cut = Cut.SOURCE if flt.source else Cut.KIND if flt.kind else Cut.TEAM if flt.team_id else Cut.ALL
    return Plan(
        cut=cut,
        rolled=(min(covered), max(covered)),
        live=tuple(live_ranges(flt.date_from, flt.date_to, covered)),
        as_of=min(covered.values()),
    )


def _rolled(
    flt: ReportFilter, viewer: Staff, plan: Plan, *, by_district: bool = False
) -> QuerySet[DailyFigure]:
    """The roll-up rows of the filter's covered days, scoped like the requests they count.
    `by_district`: only per-district sums are needed (the small day × district cut when it serves)."""
    assert plan.rolled is not None and plan.cut is not None
    cut = Cut.DISTRICT if by_district and plan.cut == Cut.ALL and not flt.category_id else plan.cut
    rows = DailyFigure.objects.filter(cut=cut, day__gte=plan.rolled[0], day__lte=plan.rolled[1])
    if flt.branch_id:
        rows = rows.filter(district_id__in=District.objects.filter(branch_id=flt.branch_id).values("id"))
    if flt.district_id:
        rows = rows.filter(district_id=flt.district_id)
    if flt.category_id:
        rows = rows.filter(category_id=flt.category_id)
    if flt.source:
        rows = rows.filter(source=flt.source)
    if flt.kind:
        rows = rows.filter(kind=flt.kind)
    if flt.team_id:
        rows = rows.filter(team_id=flt.team_id)
    ids = visible_district_ids(viewer)
    if ids is not None:
        rows = rows.filter(district_id__in=ids)
    return rows


def _live(
    *,
    flt: ReportFilter,
    viewer: Staff,
    plan: Plan,
    keys: tuple[str, ...],
    now: dt.datetime,
    parts: tuple[str, ...],
) -> dict[tuple[Any, ...], Figures]:
    result: dict[tuple[Any, ...], Figures] = {}

    def scope(queryset: Any, field: str) -> Any:
        return scope_by_district(queryset, viewer, field=field)

    for first, last in plan.live:
        part = aggregate(
            requests_q=replace(flt, date_from=first, date_to=last).q(),
            scope=scope,
            keys=keys,
            now=now,
            parts=parts,
            few=(last - first).days < 2,
        )
        for key, figures in part.items():
            _add(result.setdefault(key, empty()), figures)
    return result


def _add(target: Figures, figures: Mapping[str, int | None]) -> None:
    for field in FIGURE_FIELDS:
        target[field] += figures.get(field) or 0


def district_figures(
    *, flt: ReportFilter, viewer: Staff, now: dt.datetime | None = None, plan: Plan | None = None
) -> dict[int | None, Figures]:
    """Every count of the filter, per district: one grouped query on the roll-up plus the live days
    (requests, clocks and callbacks grouped by district)."""
    now = now or timezone.now()
    plan = plan or plan_for(flt, now)
    sums: dict[int | None, Figures] = {}
    if plan.rolled is not None:
        rows = (
            _rolled(flt, viewer, plan, by_district=True)
            .values("district_id")
            .annotate(**{f"s_{field}": Sum(field) for field in FIGURE_FIELDS})
            .order_by()
        )
        for row in cast("Iterable[dict[str, Any]]", rows):
            _add(
                sums.setdefault(row["district_id"], empty()),
                {field: row[f"s_{field}"] for field in FIGURE_FIELDS},
            )
    live = _live(
        flt=flt,
        viewer=viewer,
        plan=plan,
        keys=("district_id",),
        now=now,
        parts=("requests", "clocks", "callbacks"),
    )
    for (district_id,), figures in live.items():
        _add(sums.setdefault(district_id, empty()), figures)
    return sums


def _total(sums: Mapping[int | None, Figures]) -> Figures:
    total = empty()
    for figures in sums.values():
        _add(total, figures)
    return total


def clock_figures(
    *,
    flt: ReportFilter,
    viewer: Staff,
    now: dt.datetime | None = None,
    sums: Mapping[int | None, Figures] | None = None,
) -> tuple[dict[str, ClockFigure], dict[str, int]]:
    """Per clock name: total/met/breached/open; and round-1 first responses met in time (for the rate)."""
    if sums is None:
        sums = district_figures(flt=flt, viewer=viewer, now=now)
    total = _total(sums)
    figures: dict[str, ClockFigure] = {}
    for name in ClockName.values:
        met = total.get(f"{name}_met", 0)
        ran = total.get(f"{name}_total", 0)
        figures[name] = {
            "total": ran,
            "met": met,
            "breached": total.get(f"{name}_breached", 0),
            "open": total.get(f"{name}_open", 0),
            "share": _share(met, ran),
        }
    return figures, {"responded": total["responded"]}


def summary(
    *,
    flt: ReportFilter,
    viewer: Staff,
    now: dt.datetime | None = None,
    settings: RateSettings | None = None,
    sums: Mapping[int | None, Figures] | None = None,
) -> Summary:
    """The headline figures and the three government rates, summed from `district_figures` (the daily
    roll-up for refreshed past days, the requests themselves for today and days not refreshed)."""
    now = now or timezone.now()
    settings = settings or rate_settings()
    if sums is None:
        sums = district_figures(flt=flt, viewer=viewer, now=now)
    figures = _total(sums)
    clocks, extra = clock_figures(flt=flt, viewer=viewer, sums=sums)
    satisfied = figures["callbacks_satisfied"] + (
        figures["callbacks_basic"] if settings["satisfaction_counts_basic"] else 0
    )
    callbacks = {"made": figures["callbacks_made"], "satisfied": satisfied}

    minimum = settings["min_sample"]
    responded = extra["responded"]
    if settings["response_counts_intake"]:
        responded += figures["resolved_at_intake"]
    resolution_denominator = figures["closed"] + (figures["due"] if settings["resolution_counts_due"] else 0)
    response = _rate(responded, figures["counted"], minimum)
    resolution = _rate(figures["solved"], resolution_denominator, minimum)
    satisfaction = _rate(callbacks["satisfied"], callbacks["made"], minimum)
    weights = (
        (response, settings["weight_response"]),
        (resolution, settings["weight_resolution"]),
        (satisfaction, settings["weight_satisfaction"]),
    )
    weighted = [
        (Decimal(str(rate["value"])), weight) for rate, weight in weights if rate["value"] is not None
    ]
    weight_sum = sum((weight for _value, weight in weighted), Decimal(0))
    score = (
        float(round(sum((value * weight for value, weight in weighted), Decimal(0)) / weight_sum * 100, 2))
        if weighted and weight_sum
        else None
    )
    return {
        "total": figures["total"],
        "excluded": figures["excluded"],
        "counted": figures["counted"],
        "classified_in_time": figures["classified_in_time"],
        "classified_share": _share(figures["classified_in_time"], figures["total"]),
        "resolved_at_intake": figures["resolved_at_intake"],
        "complaints": figures["complaints"],
        "rates": {
            "response": response,
            "resolution": resolution,
            "satisfaction": satisfaction,
            "score": score,
        },
        "clocks": clocks,
        "is_small_sample": figures["total"] < minimum,
    }


# -- breakdowns for the dashboard ---------------------------------------------------------------


class DayCount(TypedDict):
    day: dt.date
    total: int
    emergency: int


def _day_category_rows(
    *, flt: ReportFilter, viewer: Staff, now: dt.datetime | None = None, plan: Plan | None = None
) -> list[dict[str, Any]]:
    """Counts by local day and category; the daily curve and the category breakdown sum them."""
    now = now or timezone.now()
    plan = plan or plan_for(flt, now)
    rows: list[dict[str, Any]] = []
    if plan.rolled is not None:
        rows.extend(
            cast(
                "Iterable[dict[str, Any]]",
                _rolled(flt, viewer, plan)
                .values("day", "category_id")
                .annotate(total=Sum("total"), emergency=Sum("emergency"), complaints=Sum("complaints"))
                .order_by(),
            )
        )
    live = _live(flt=flt, viewer=viewer, plan=plan, keys=("day", "category_id"), now=now, parts=("requests",))
    for (day, category_id), figures in live.items():
        rows.append(
            {
                "day": day,
                "category_id": category_id,
                "total": figures["total"],
                "emergency": figures["emergency"],
                "complaints": figures["complaints"],
            }
        )
    return rows


def daily_volume(
    *, flt: ReportFilter, viewer: Staff, rows: list[dict[str, Any]] | None = None
) -> list[DayCount]:
    """Requests per local day over the period, days without requests included as 0."""
    if rows is None:
        rows = _day_category_rows(flt=flt, viewer=viewer)
    by_day: dict[dt.date, list[int]] = {}
    for row in rows:
        sums = by_day.setdefault(row["day"], [0, 0])
        sums[0] += row["total"]
        sums[1] += row["emergency"]
    days: list[DayCount] = []
    day = flt.date_from
    while day <= flt.date_to:
        total, emergency = by_day.get(day, [0, 0])
        days.append({"day": day, "total": total, "emergency": emergency})
        day += dt.timedelta(days=1)
    return days


class CategoryCount(TypedDict):
    category_id: int | None
    name: str
    total: int
    complaints: int


def category_breakdown(
    *, flt: ReportFilter, viewer: Staff, rows: list[dict[str, Any]] | None = None
) -> list[CategoryCount]:
    if rows is None:
        rows = _day_category_rows(flt=flt, viewer=viewer)
    sums: dict[int | None, list[int]] = {}
    for row in rows:
        figure = sums.setdefault(row["category_id"], [0, 0])
        figure[0] += row["total"]
        figure[1] += row["complaints"]
    names = dict(Category.objects.values_list("id", "name"))
    result: list[CategoryCount] = [
        {
            "category_id": pk,
            "name": names.get(pk, _("未分类")) if pk is not None else _("未分类"),
            "total": total,
            "complaints": complaints,
        }
        for pk, (total, complaints) in sums.items()
    ]
    result.sort(key=lambda c: (-c["total"], c["category_id"] or 0))
    return result


class DistrictRank(TypedDict):
    district_id: int | None
    name: str
    requests: int
    clocks: int
    met: int
    breached: int
    on_time: float | None
    is_small_sample: bool


def district_ranking(
    *,
    flt: ReportFilter,
    viewer: Staff,
    settings: RateSettings | None = None,
    now: dt.datetime | None = None,
    sums: Mapping[int | None, Figures] | None = None,
) -> list[DistrictRank]:
    """Districts ranked by on-time rate: clocks met in time ÷ clocks that ran (every clock name).
    A district's request count is its intake clocks (every request has exactly one)."""
    minimum = (settings or rate_settings())["min_sample"]
    if sums is None:
        sums = district_figures(flt=flt, viewer=viewer, now=now)
    per_district: dict[int | None, dict[str, int]] = {}
    for district_id, figures in sums.items():
        clocks = sum(figures[f"{name}_total"] for name in ROLLUP_CLOCKS)
        if not clocks:
            continue
        per_district[district_id] = {
            "clocks": clocks,
            "met": sum(figures[f"{name}_met"] for name in ROLLUP_CLOCKS),
            "breached": sum(figures[f"{name}_breached"] for name in ROLLUP_CLOCKS),
            "requests": figures["intake_total"],
        }
    sums = per_district
    names = dict(
        District.objects.filter(pk__in=[pk for pk in sums if pk is not None]).values_list("id", "name")
    )
    ranking: list[DistrictRank] = [
        {
            "district_id": pk,
            "name": names.get(pk, _("未定片区")) if pk is not None else _("未定片区"),
            "requests": f["requests"],
            "clocks": f["clocks"],
            "met": f["met"],
            "breached": f["breached"],
            "on_time": _share(f["met"], f["clocks"]),
            "is_small_sample": f["clocks"] < minimum,
        }
        for pk, f in sums.items()
    ]
    ranking.sort(key=lambda r: (-(r["on_time"] or 0.0), -r["clocks"], r["name"]))
    return ranking


class BuildingCell(TypedDict):
    community_id: int
    community: str
    building_id: int
    building: str
    total: int
    complaints: int


class CommunityRow(TypedDict):
    community_id: int
    name: str
    district: str
    total: int
    complaints: int
    heated_area: float
    per_10k_m2: float | None  # complaints per 10,000 m² heated
    buildings: list[BuildingCell]


@dataclass(frozen=True)
class Span:
    """The per-household/per-building span as loaded once for a dashboard (None: none built)."""

    span: PeriodSpan | None


def _period_plan(
    flt: ReportFilter, now: dt.datetime | None = None, loaded: Span | None = None
) -> tuple[PeriodSpan, ReportFilter | None] | None:
    """The per-household/per-building span when it answers the filter: same first day, no filter the
    span is not split by; and the filter of the days after the span (read live), if any."""
    if flt.team_id or flt.category_id or (flt.source and flt.kind):
        return None
    span = loaded.span if loaded is not None else PeriodSpan.objects.first()
    today = timezone.localdate(now or timezone.now())
    if (
        span is None
        or span.first_day != flt.date_from
        or flt.date_to < span.last_day
        or span.last_day >= today
    ):
        return None
    if flt.date_to == span.last_day:
        return span, None
    return span, replace(flt, date_from=span.last_day + dt.timedelta(days=1))


def _district_scoped(rows: QuerySet[Any], flt: ReportFilter, viewer: Staff) -> QuerySet[Any]:
    """Span rows (district_id, cut, source, kind columns) limited like the requests they count."""
    cut = Cut.SOURCE if flt.source else Cut.KIND if flt.kind else Cut.ALL
    rows = rows.filter(cut=cut, source=flt.source, kind=flt.kind)
    if flt.branch_id:
        rows = rows.filter(district_id__in=District.objects.filter(branch_id=flt.branch_id).values("id"))
    if flt.district_id:
        rows = rows.filter(district_id=flt.district_id)
    ids = visible_district_ids(viewer)
    if ids is not None:
        rows = rows.filter(district_id__in=ids)
    return rows


def _live_building_rows(flt: ReportFilter, viewer: Staff) -> list[dict[str, Any]]:
    return list(
        cast(
            "Iterable[dict[str, Any]]",
            requests_for_report(flt=flt, viewer=viewer)
            .filter(building__isnull=False)
            .values("building_id", b_number=F("building__number"), b_community=F("building__community_id"))
            .annotate(total=Count("id"), complaints=Count("id", filter=Q(nature=Nature.COMPLAINT)))
            .values("building_id", "total", "complaints", number=F("b_number"), community_id=F("b_community"))
            .order_by(),
        )
    )


def _building_rows(
    *, flt: ReportFilter, viewer: Staff, now: dt.datetime | None = None, loaded: Span | None = None
) -> list[dict[str, Any]]:
    """Requests and complaints per building: the span's counts plus the days after it, else live."""
    plan = _period_plan(flt, now, loaded)
    sums: dict[int, list[int]] = {}
    buildings: dict[int, tuple[str, int]] = {}  # number, community (carried by every row)
    if plan is None:
        parts = _live_building_rows(flt, viewer)
    else:
        _span, live = plan
        parts = list(
            cast(
                "Iterable[dict[str, Any]]",
                _district_scoped(PeriodBuilding.objects.all(), flt, viewer).values(
                    "building_id", "number", "community_id", "total", "complaints"
                ),
            )
        )
        if live is not None:
            parts += _live_building_rows(live, viewer)
    for row in parts:
        buildings[row["building_id"]] = (row["number"], row["community_id"])
        figure = sums.setdefault(row["building_id"], [0, 0])
        figure[0] += row["total"]
        figure[1] += row["complaints"]
    return [
        {
            "building_id": pk,
            "building__number": buildings[pk][0],
            "building__community_id": buildings[pk][1],
            "total": total,
            "complaints": complaints,
        }
        for pk, (total, complaints) in sums.items()
        if total
    ]


def community_grid(
    *, flt: ReportFilter, viewer: Staff, limit: int = 15, rows: list[dict[str, Any]] | None = None
) -> list[CommunityRow]:
    """The heat grid: complaints by community (rows) and building (cells), busiest communities first.

    Complaints per 10,000 m² heated use the community's heated area (SPEC §6)."""
    if rows is None:
        rows = _building_rows(flt=flt, viewer=viewer)
    per_community: dict[int, list[BuildingCell]] = {}
    for row in rows:
        per_community.setdefault(row["building__community_id"], []).append(
            {
                "community_id": row["building__community_id"],
                "community": "",
                "building_id": row["building_id"],
                "building": row["building__number"],
                "total": row["total"],
                "complaints": row["complaints"],
            }
        )
    ranked = sorted(per_community.items(), key=lambda item: -sum(cell["total"] for cell in item[1]))[:limit]
    communities = {
        community.pk: community
        for community in Community.objects.filter(pk__in=[pk for pk, _cells in ranked]).select_related(
            "district"
        )
    }
    result: list[CommunityRow] = []
    for pk, cells in ranked:
        community = communities[pk]
        total = sum(cell["total"] for cell in cells)
        complaints = sum(cell["complaints"] for cell in cells)
        area = float(community.heated_area or 0)
        for cell in cells:
            cell["community"] = community.name
        cells.sort(key=lambda cell: (-cell["total"], cell["building"]))
        result.append(
            {
                "community_id": pk,
                "name": community.name,
                "district": community.district.name,
                "total": total,
                "complaints": complaints,
                "heated_area": area,
                "per_10k_m2": round(complaints / area * 10000, 2) if area > 0 else None,
                "buildings": cells,
            }
        )
    return result


class TopRow(TypedDict):
    id: int
    label: str
    total: int


def _live_household_counts(flt: ReportFilter, viewer: Staff) -> dict[int, int]:
    return dict(
        cast(
            "Iterable[tuple[int, int]]",
            requests_for_report(flt=flt, viewer=viewer)
            .filter(household__isnull=False)
            .values("household_id")
            .annotate(n=Count("id"))
            .values_list("household_id", "n")
            .order_by(),
        )
    )


@dataclass(frozen=True)
class HouseholdSpan:
    """The span's household counts (scoped), the live counts after it, and the span counts of the
    households with live requests."""

    rolled: QuerySet[PeriodHousehold]
    repeats: QuerySet[PeriodRepeat]
    live: dict[int, int]
    before: dict[int, int]


HouseholdPlan = HouseholdSpan | None


@dataclass(frozen=True)
class Households:
    """`_household_plan` computed once for a dashboard."""

    plan: HouseholdPlan


def _household_plan(
    flt: ReportFilter, viewer: Staff, now: dt.datetime | None, loaded: Span | None = None
) -> HouseholdPlan:
    """The span answers the filter exactly when every household's requests lay in one district."""
    plan = _period_plan(flt, now, loaded)
    if plan is None or plan[0].multi_district_households:
        return None
    _span, live_flt = plan
    rolled = _district_scoped(PeriodHousehold.objects.all(), flt, viewer)
    live = _live_household_counts(live_flt, viewer) if live_flt is not None else {}
    before = (
        dict(rolled.filter(household_id__in=list(live)).values_list("household_id", "total")) if live else {}
    )
    return HouseholdSpan(
        rolled=rolled,
        repeats=_district_scoped(PeriodRepeat.objects.all(), flt, viewer),
        live=live,
        before=before,
    )


def top_households(
    *,
    flt: ReportFilter,
    viewer: Staff,
    limit: int = TOP_N,
    now: dt.datetime | None = None,
    households: Households | None = None,
) -> list[TopRow]:
    plan = households.plan if households is not None else _household_plan(flt, viewer, now)
    if plan is None:
        top = [
            (r["household_id"], r["total"])
            for r in requests_for_report(flt=flt, viewer=viewer)
            .filter(household__isnull=False)
            .values("household_id")
            .annotate(total=Count("id"))
            .order_by("-total", "household_id")[:limit]
        ]
    else:
        # The top of the span plus every household with requests after it: a household in neither
        # has its span count only, below `limit` others that can only have grown.
        totals = dict(
            plan.rolled.order_by("-total", "household_id").values_list("household_id", "total")[:limit]
        )
        totals.update(plan.before)
        for pk, n in plan.live.items():
            totals[pk] = totals.get(pk, 0) + n
        top = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]
    addresses = dict(Household.objects.filter(pk__in=[pk for pk, _n in top]).values_list("pk", "address"))
    return [{"id": pk, "label": addresses.get(pk, ""), "total": total} for pk, total in top]


def top_buildings(
    *, flt: ReportFilter, viewer: Staff, limit: int = TOP_N, rows: list[dict[str, Any]] | None = None
) -> list[TopRow]:
    if rows is None:
        rows = _building_rows(flt=flt, viewer=viewer)
    top = sorted(rows, key=lambda r: (-r["total"], r["building_id"]))[:limit]
    communities = dict(
        Community.objects.filter(pk__in={r["building__community_id"] for r in top}).values_list("id", "name")
    )
    return [
        {
            "id": r["building_id"],
            "label": f"{communities.get(r['building__community_id'], '')} {r['building__number']}{_('号楼')}",
            "total": r["total"],
        }
        for r in top
    ]


class RepeatFigures(TypedDict):
    households: int  # households with two or more requests in the period
    repeat_requests: int  # their requests beyond the first
    linked_calls: int  # repeat calls counted on an open request (重复来电)


def repeat_figures(
    *,
    flt: ReportFilter,
    viewer: Staff,
    now: dt.datetime | None = None,
    sums: Mapping[int | None, Figures] | None = None,
    households: Households | None = None,
) -> RepeatFigures:
    """Repeat requests: same household within the period (a season by default)."""
    plan = households.plan if households is not None else _household_plan(flt, viewer, now)
    if plan is None:
        per_household = (
            requests_for_report(flt=flt, viewer=viewer)
            .filter(household__isnull=False)
            .values("household_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by()
        )
        repeated = per_household.aggregate(households=Count("household_id"), requests=Sum("n"))
    else:
        repeated = {
            key: value or 0
            for key, value in plan.repeats.aggregate(
                households=Sum("households"), requests=Sum("requests")
            ).items()
        }
        for pk, n in plan.live.items():
            old = plan.before.get(pk, 0)
            new = old + n
            repeated["households"] += int(new > 1) - int(old > 1)
            repeated["requests"] += (new if new > 1 else 0) - (old if old > 1 else 0)
    if sums is None:
        sums = district_figures(flt=flt, viewer=viewer, now=now)
    linked = _total(sums)["linked_calls"]
    repeat_households = repeated["households"] or 0
    return {
        "households": repeat_households,
        "repeat_requests": (repeated["requests"] or 0) - repeat_households,
        "linked_calls": linked,
    }


# -- drill-down -------------------------------------------------------------------------------


DRILL_KEYS = (
    "clock",
    "clock_state",
    "intake",
    "solved",
    "excluded",
    "day",
    "building",
    "community",
    "household",
    "nature",
    "status",
    "repeat",
    "callback",
    "uncategorised",
)


def drilldown_requests(
    *, flt: ReportFilter, viewer: Staff, params: Mapping[str, str], now: dt.datetime | None = None
) -> QuerySet[ServiceRequest]:
    """The requests behind a figure: the report filter plus the figure's own condition.

    clock=<name>&clock_state=met|breached|open|all; intake=late|in_time; solved=1; excluded=1|0;
    day=YYYY-MM-DD; building/community/household=<id>; nature; status (open = every open status);
    repeat=1 (households with two or more requests in the period); callback=answered|satisfied
    (requests with such a callback, the satisfaction rate's base); uncategorised=1.
    """
    now = now or timezone.now()
    requests = requests_for_report(flt=flt, viewer=viewer)
    clock = params.get("clock", "")
    if clock:
        if clock not in ClockName.values:
            raise InvalidInput(_("时限无效"), field="clock")
        state = params.get("clock_state", "all")
        condition = {
            "met": _met_in_time(),
            "breached": _breached(),
            "open": Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
        }.get(state, Q())
        matching = Clock.objects.filter(condition, name=clock).values("service_request_id")
        requests = requests.filter(pk__in=matching)
    intake = params.get("intake", "")
    if intake == "late":
        requests = requests.filter(is_late_intake=True)
    elif intake == "in_time":
        requests = requests.filter(is_late_intake=False)
    if params.get("solved") == "1":
        requests = requests.filter(status=Status.CLOSED, is_solved=True, is_excluded=False)
    if params.get("excluded") == "1":
        requests = requests.filter(is_excluded=True)
    elif params.get("excluded") == "0":
        requests = requests.filter(is_excluded=False)
    if params.get("day"):
        day = _date_or_none(params, "day")
        assert day is not None
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        requests = requests.filter(received_at__gte=start, received_at__lt=start + dt.timedelta(days=1))
    for key, field in (
        ("building", "building_id"),
        ("community", "building__community_id"),
        ("household", "household_id"),
    ):
        value = _int_or_none(params, key)
        if value is not None:
            requests = requests.filter(**{field: value})
    if params.get("nature"):
        requests = requests.filter(nature=params["nature"])
    status = params.get("status", "")
    if status == "open":
        requests = requests.filter(status__in=OPEN_STATUSES)
    elif status == "due":
        requests = requests.filter(status__in=OPEN_STATUSES, next_due_at__lte=now)
    elif status:
        requests = requests.filter(status=status)
    callback = params.get("callback", "")
    if callback in ("answered", "satisfied"):
        answered = Callback.objects.filter(outcome=CallbackOutcome.ANSWERED)
        if callback == "satisfied":
            answered = answered.filter(satisfaction__in=_satisfied_values(rate_settings()))
        requests = requests.filter(is_excluded=False, pk__in=answered.values("service_request_id"))
    if params.get("uncategorised") == "1":
        requests = requests.filter(category__isnull=True)
    if params.get("repeat") == "1":
        repeated = (
            requests_for_report(flt=flt, viewer=viewer)
            .filter(household__isnull=False)
            .values("household_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values("household_id")
        )
        requests = requests.filter(household_id__in=repeated)
    return requests.select_related("category", "district", "building__community", "team").order_by(
        "-received_at", "-id"
    )


def filter_choices(viewer: Staff) -> dict[str, Any]:
    """Options of the filter bar, limited to what the viewer may see."""
    from heatline.registry.models import Branch, Team

    districts = scope_by_district(District.objects.all(), viewer, field="id").order_by("code")
    return {
        "branches": list(Branch.objects.order_by("code").values("id", "name")),
        "districts": list(districts.values("id", "name")),
        "teams": list(Team.objects.order_by("code").values("id", "name")),
        "categories": list(Category.objects.order_by("priority", "code").values("id", "name")),
        "sources": Source.choices,
    }


def with_filter(flt: ReportFilter, **changes: Any) -> ReportFilter:
    return replace(flt, **changes)


def iter_rows(queryset: QuerySet[ServiceRequest], *, chunk: int = 2000) -> Iterator[ServiceRequest]:
    return queryset.iterator(chunk_size=chunk)


class Dashboard(TypedDict):
    summary: Summary
    settings: RateSettings
    daily: list[DayCount]
    categories: list[CategoryCount]
    districts: list[DistrictRank]
    grid: list[CommunityRow]
    households: list[TopRow]
    buildings: list[TopRow]
    repeats: RepeatFigures
    sections: dict[str, Any]
    as_of: dt.datetime | None  # when the roll-up part was computed; None: all live


DASHBOARD_CACHE_SECONDS = 60


def dashboard(
    *, flt: ReportFilter, viewer: Staff, now: dt.datetime | None = None, use_cache: bool = True
) -> Dashboard:
    """Everything the dashboard shows, in a bounded number of queries (about 20, whatever the volume).

    The result is cached for a minute per filter and visible area, so that wall screens and several
    managers looking at once cost one computation (`use_cache=False` computes afresh)."""
    from django.core.cache import cache

    from heatline.reports.sections import sections_for

    now = now or timezone.now()
    ids = visible_district_ids(viewer)
    scope = (sorted(ids) if ids is not None else None, viewer.pk if ids is not None else None)
    key = "reports:dashboard:" + hashlib.sha1(repr((flt, scope, get_language())).encode()).hexdigest()
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cast(Dashboard, cached)
    settings = rate_settings()
    plan = plan_for(flt, now)
    loaded = Span(PeriodSpan.objects.first())
    households = Households(_household_plan(flt, viewer, now, loaded))
    sums = district_figures(flt=flt, viewer=viewer, now=now, plan=plan)
    day_rows = _day_category_rows(flt=flt, viewer=viewer, now=now, plan=plan)
    building_rows = _building_rows(flt=flt, viewer=viewer, now=now, loaded=loaded)
    result: Dashboard = {
        "summary": summary(flt=flt, viewer=viewer, now=now, settings=settings, sums=sums),
        "settings": settings,
        "daily": daily_volume(flt=flt, viewer=viewer, rows=day_rows),
        "categories": category_breakdown(flt=flt, viewer=viewer, rows=day_rows),
        "districts": district_ranking(flt=flt, viewer=viewer, settings=settings, sums=sums),
        "grid": community_grid(flt=flt, viewer=viewer, rows=building_rows),
        "households": top_households(flt=flt, viewer=viewer, now=now, households=households),
        "buildings": top_buildings(flt=flt, viewer=viewer, rows=building_rows),
        "repeats": repeat_figures(flt=flt, viewer=viewer, sums=sums, households=households),
        "sections": sections_for(flt=flt, viewer=viewer, now=now),
        "as_of": plan.as_of,
    }
    if use_cache:
        cache.set(key, result, DASHBOARD_CACHE_SECONDS)
    return result
