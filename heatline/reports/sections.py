"""Optional report sections from the other areas (watch list, inspections, joint cases, training, calls).

Each section reads the other app's tables through its public selectors or plain grouped queries and is
wrapped so that a missing or changed piece shows "not available" instead of breaking the page; the
query runs in a savepoint so that a failure on PostgreSQL does not poison the request's transaction.
"""

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from heatline.registry.models import Staff
from heatline.registry.scoping import visible_district_ids

log = logging.getLogger(__name__)

Section = Callable[[Any, Staff, dt.datetime], dict[str, Any] | None]


def _watch_list(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """未诉先办: watch-list coverage of the season the period ends in, through proactive's own
    selector (planned, booked, visited, below 20 ℃, fixed, re-measured, confirmed, overdue)."""
    from heatline.core.seasons import season_for_date
    from heatline.proactive.selectors import progress_by_district

    season = season_for_date(flt.date_to)
    if season is None:
        return None
    _rows, total = progress_by_district(viewer=viewer, season=season)
    figures: dict[str, Any] = dict(total.counts)
    planned = figures.get("planned", 0)
    figures["visited_share"] = round(figures.get("visited", 0) / planned, 4) if planned else None
    figures["season"] = str(season)
    return figures


def _inspections(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """Post-season inspection: rectification items open, overdue, completed (their scoping applies)."""
    from heatline.inspections.selectors import item_list_visible

    today = timezone.localdate(now)
    items = item_list_visible(viewer=viewer, today=today).order_by()
    figures = items.aggregate(
        total=Count("id", distinct=True),
        completed=Count("id", filter=Q(status="completed"), distinct=True),
        overdue=Count("id", filter=Q(status="open", due_on__lt=today), distinct=True),
    )
    figures["open"] = figures["total"] - figures["completed"]
    figures["completed_share"] = (
        round(figures["completed"] / figures["total"], 4) if figures["total"] else None
    )
    return figures


def _joint(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """难诉联办: joint cases through joint's own selector (its visibility rules), plus their two clocks
    (meeting within 3 working days, callback within 24 h) for cases opened in the period."""
    from heatline.joint.selectors import case_counts

    counts = case_counts(viewer, flt.start(), flt.end())
    figures: dict[str, Any] = dict(counts)
    clock = apps.get_model("joint", "CaseClock")
    clocks = clock.objects.filter(case__opened_at__gte=flt.start(), case__opened_at__lt=flt.end())
    if visible_district_ids(viewer) is not None:
        from heatline.joint.selectors import case_list_visible

        clocks = clocks.filter(case__in=case_list_visible(viewer=viewer).values("pk"))
    rows = (
        clocks.values("name")
        .annotate(
            total=Count("id"),
            met=Count(
                "id", filter=Q(met_at__isnull=False, breached_at__isnull=True, met_at__lte=F("due_at"))
            ),
            breached=Count("id", filter=Q(breached_at__isnull=False) | Q(met_at__gt=F("due_at"))),
        )
        .order_by("name")
    )
    figures["clocks"] = {row["name"]: row for row in rows}
    return figures


def _incidents(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """Outages (停热事件) started in the period, through the incidents app's own statistics."""
    from heatline.incidents.selectors import incident_stats

    stats = incident_stats(viewer, flt.start(), flt.end())
    return {key: value for key, value in stats.items() if key != "by_season"}


def _training(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """第十条: training coverage of each quarter the period touches."""
    from heatline.training.selectors import coverage_for_period

    quarters = coverage_for_period(
        first=flt.date_from, last=min(flt.date_to, timezone.localdate(now)), viewer=viewer
    )
    return {
        "quarters": [
            {
                "label": c.label,
                "year": c.year,
                "quarter": c.quarter,
                "sessions": c.sessions,
                "required": c.required,
                "trained": c.trained,
                "missed": len(c.missed),
                "share": c.share,
                "topics": c.topics,
            }
            for c in quarters[-4:]
        ]
    }


def _calls(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """The hotline's calls that rang in the period (the phone system's figures): answer rate, 15-second
    answer rate, abandoned calls, those called back, abandoned per local hour (staffing a cold snap).
    Calls belong to no district, so only viewers of the whole utility get them."""
    from heatline.integrations.cti.selectors import call_figures

    if visible_district_ids(viewer) is not None:
        return None
    figures, per_hour = call_figures(start=flt.start(), end=flt.end())
    return {
        "offered": figures.offered,
        "answered": figures.answered,
        "answered_in_15s": figures.answered_in_15s,
        "abandoned": figures.abandoned,
        "called_back": figures.called_back,
        "answer_rate": _share(figures.answer_rate),
        "answer_rate_15s": _share(figures.answer_rate_15s),
        "abandoned_per_hour": [{"hour": hour, "abandoned": per_hour.get(hour, 0)} for hour in range(24)],
    }


def _telemetry(flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any] | None:
    """未诉先办 on live data: alerts that began in the period, households they put on the watch list and
    how soon those were visited, sensors reporting now (scoped like the alerts page)."""
    from heatline.telemetry.selectors import telemetry_figures

    return telemetry_figures(viewer=viewer, start=flt.start(), end=flt.end())


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


SECTIONS: dict[str, Section] = {
    "watch_list": _watch_list,
    "inspections": _inspections,
    "joint": _joint,
    "incidents": _incidents,
    "training": _training,
    "calls": _calls,
    "telemetry": _telemetry,
}
# Sections of utility-wide data (no district to scope by): left out, not "no data", for anyone who sees
# less than the whole utility (a branch manager, district staff).
UTILITY_WIDE: frozenset[str] = frozenset({"calls"})


def sections_for(*, flt: Any, viewer: Staff, now: dt.datetime) -> dict[str, Any]:
    """Every section's figures, or None where the other area is missing or failed (logged); the
    utility-wide sections only for viewers of the whole utility (absent for the others)."""
    result: dict[str, Any] = {}
    sees_everything = visible_district_ids(viewer) is None
    for name, section in SECTIONS.items():
        if name in UTILITY_WIDE and not sees_everything:
            continue
        try:
            with transaction.atomic():
                result[name] = section(flt, viewer, now)
        except Exception:
            # Another area's piece missing or changed: the section shows "no data", the page stays up.
            log.warning("report section %s unavailable", name, exc_info=True)
            result[name] = None
    return result
