"""Reads of incidents (issue 10). `incidents_open_for_households` is used by the intake page: keep the signature."""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from django.db.models import Count, Exists, F, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from heatline.core.errors import NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.rules import rule_int
from heatline.core.seasons import season_bounds
from heatline.incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    IncidentBuilding,
    IncidentKind,
    IncidentLink,
    IncidentStatus,
)
from heatline.registry.models import Building, Household, PipeSection, Staff, Station
from heatline.registry.scoping import scope_by_district, visible_district_ids
from heatline.requests.models import Category, ServiceRequest, Status


def _with_relations(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    return queryset.select_related(
        "station", "pipe_section", "building__community", "community", "category", "crew", "district"
    )


def incidents_open_for_households(household_ids: Iterable[int]) -> dict[int, list[Incident]]:
    """Open incidents and announced planned outages that affect each household: {household_id: [incident, …]}.

    One query for any number of households: the incident rows joined to the households of their buildings."""
    ids = list(household_ids)
    if not ids:
        return {}
    rows = (
        _with_relations(Incident.objects.filter(status__in=ACTIVE_STATUSES))
        .filter(affected__building__households__id__in=ids)
        .annotate(household_id=F("affected__building__households__id"))
        .order_by("started_at", "id")
    )
    found: dict[int, list[Incident]] = defaultdict(list)
    for incident in rows:
        found[incident.household_id].append(incident)  # type: ignore[attr-defined]
    return dict(found)


def incidents_for_requests(request_ids: Iterable[int]) -> dict[int, Incident]:
    """The incident each linked call is counted in: {request_id: incident}, one query for a page of requests.

    A linked call is not dispatched on its own (the incident's crew works for all of them): whoever reads the
    request must see that it waits on the incident."""
    ids = list(request_ids)
    if not ids:
        return {}
    links = IncidentLink.objects.filter(service_request_id__in=ids).select_related("incident")
    return {link.service_request_id: link.incident for link in links}


class PublicIncident(TypedDict):
    """What a resident may read about an outage at their address: no names, no phones, no free text."""

    kind: str
    kind_label: str
    status: str
    status_label: str
    asset: str
    started_at: datetime
    expected_restore_at: datetime | None
    restored_at: datetime | None


def incidents_public_for_address(household_or_building: Household | Building) -> list[PublicIncident]:
    """The residents' page: open incidents and announced planned outages at this address."""
    building_id = (
        household_or_building.building_id
        if isinstance(household_or_building, Household)
        else household_or_building.pk
    )
    rows = _with_relations(
        Incident.objects.filter(status__in=ACTIVE_STATUSES, affected__building_id=building_id)
    ).order_by("started_at", "id")
    return [
        PublicIncident(
            kind=incident.kind,
            kind_label=str(IncidentKind(incident.kind).label),
            status=incident.status,
            status_label=str(IncidentStatus(incident.status).label),
            asset=incident.asset_label,
            started_at=incident.started_at,
            expected_restore_at=incident.expected_restore_at,
            restored_at=incident.restored_at,
        )
        for incident in rows
    ]


def incidents_visible(viewer: Staff) -> QuerySet[Incident]:
    """Incidents any of whose buildings lies in the viewer's districts (404 outside)."""
    queryset = Incident.objects.all()
    ids = visible_district_ids(viewer)
    if ids is None:
        return queryset
    return queryset.filter(
        Exists(IncidentBuilding.objects.filter(incident=OuterRef("pk"), building__district_id__in=ids))
    )


def incident_list_visible(
    *, viewer: Staff, status: str | None = None, kind: str | None = None, limit: int = 200
) -> list[Incident]:
    queryset = _with_relations(incidents_visible(viewer)).annotate(calls=Count("links"))
    if status == "active":
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("-started_at", "-id")[:limit])


def incident_get_visible(*, viewer: Staff, pk: int) -> Incident:
    incident = _with_relations(incidents_visible(viewer)).annotate(calls=Count("links")).filter(pk=pk).first()
    if incident is None:
        raise NotVisible()
    return incident


def incident_links(*, incident: Incident, limit: int = 500) -> list[IncidentLink]:
    return list(
        IncidentLink.objects.filter(incident=incident)
        .select_related("service_request__household", "service_request__category")
        .order_by("linked_at", "id")[:limit]
    )


class Dashboard(TypedDict):
    active: list[Incident]
    planned: list[Incident]


def incidents_dashboard(*, viewer: Staff, now: datetime | None = None) -> Dashboard:
    """The operators' dashboard: incidents in force now, and planned outages announced ahead."""
    now = now or timezone.now()
    rows = list(
        _with_relations(incidents_visible(viewer).filter(status__in=ACTIVE_STATUSES))
        .annotate(calls=Count("links"))
        .order_by("started_at", "id")[:100]
    )
    return Dashboard(
        active=[row for row in rows if row.started_at <= now],
        planned=[row for row in rows if row.started_at > now],
    )


@dataclass
class Suggestion:
    """Several calls about one symptom from one station's or section's buildings in a short window."""

    asset: str  # "station" or "pipe_section"
    asset_id: int
    asset_name: str
    category_id: int
    category_name: str
    calls: int
    first_at: datetime
    last_at: datetime
    request_ids: list[int] = field(default_factory=list)


def _suggestion_candidates(*, viewer: Staff, now: datetime) -> QuerySet[ServiceRequest]:
    since = now - timedelta(minutes=rule_int("incident_suggest_minutes"))
    queryset = ServiceRequest.objects.filter(
        received_at__gte=since,
        received_at__lte=now,
        building__isnull=False,
        category__isnull=False,
        incident_link__isnull=True,
    ).exclude(status__in=(Status.CLOSED, Status.RETURNED))
    return scope_by_district(queryset, viewer)


def incident_suggestions(*, viewer: Staff, now: datetime | None = None) -> list[Suggestion]:
    """Groups of ≥ incident_suggest_calls calls in incident_suggest_minutes with no incident yet."""
    now = now or timezone.now()
    threshold = rule_int("incident_suggest_calls")
    candidates = _suggestion_candidates(viewer=viewer, now=now)
    groups: list[tuple[str, str]] = [
        ("pipe_section", "building__sections__id"),
        ("station", "building__station_id"),
    ]
    covered_stations = set(
        Incident.objects.filter(status__in=ACTIVE_STATUSES, station__isnull=False).values_list(
            "station_id", flat=True
        )
    )
    covered_sections = set(
        Incident.objects.filter(status__in=ACTIVE_STATUSES, pipe_section__isnull=False).values_list(
            "pipe_section_id", flat=True
        )
    )
    found: list[Suggestion] = []
    for asset, path in groups:
        rows = (
            candidates.filter(**{f"{path}__isnull": False})
            .values(path, "category_id")
            .annotate(
                calls=Count("id", distinct=True), first_at=Min("received_at"), last_at=Max("received_at")
            )
            .filter(calls__gte=threshold)
            .order_by("-calls")
        )
        for row in rows:
            asset_id = row[path]
            if asset_id in (covered_sections if asset == "pipe_section" else covered_stations):
                continue
            found.append(
                Suggestion(
                    asset=asset,
                    asset_id=asset_id,
                    asset_name="",
                    category_id=row["category_id"],
                    category_name="",
                    calls=row["calls"],
                    first_at=row["first_at"],
                    last_at=row["last_at"],
                )
            )
    if not found:
        return []
    stations = dict(
        Station.objects.filter(pk__in=[s.asset_id for s in found if s.asset == "station"]).values_list(
            "id", "name"
        )
    )
    sections = dict(
        PipeSection.objects.filter(
            pk__in=[s.asset_id for s in found if s.asset == "pipe_section"]
        ).values_list("id", "name")
    )
    categories = dict(
        Category.objects.filter(pk__in=[s.category_id for s in found]).values_list("id", "name")
    )
    for suggestion in found:
        names = stations if suggestion.asset == "station" else sections
        suggestion.asset_name = names.get(suggestion.asset_id, "")
        suggestion.category_name = categories.get(suggestion.category_id, "")
    return found


def suggestion_requests(
    *, viewer: Staff, asset: str, asset_id: int, category_id: int, now: datetime | None = None
) -> list[ServiceRequest]:
    """The calls behind one suggestion (linked when the lead opens the incident with one click)."""
    path = "building__sections__id" if asset == "pipe_section" else "building__station_id"
    candidates = _suggestion_candidates(viewer=viewer, now=now or timezone.now())
    return list(candidates.filter(**{path: asset_id, "category_id": category_id}).distinct())


class SeasonRow(TypedDict):
    season: str
    incidents: int
    faults: int
    planned: int
    households_affected: int
    calls_absorbed: int
    restore_hours_median: float | None


class IncidentStats(TypedDict):
    incidents: int
    faults: int
    planned: int
    households_affected: int
    calls_absorbed: int
    restore_hours_median: float | None
    restore_hours_mean: float | None
    by_season: list[SeasonRow]


def _season_label(started_at: datetime, seasons: list[tuple[str, datetime, datetime]]) -> str:
    for label, start, end in seasons:
        if start <= started_at < end:
            return label
    return "—"


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def incident_stats(viewer: Staff, start: datetime, end: datetime) -> IncidentStats:
    """Reports: incidents per season, households affected, time to restore, calls absorbed ([start, end))."""
    rows = list(
        incidents_visible(viewer)
        .filter(started_at__gte=start, started_at__lt=end)
        .annotate(calls=Count("links"))
        .values("kind", "started_at", "restored_at", "households_affected", "calls")
    )
    seasons = [(str(season), *season_bounds(season)) for season in HeatingSeason.objects.all()]
    by_season: dict[str, list[Any]] = defaultdict(list)
    hours: list[float] = []
    for row in rows:
        by_season[_season_label(row["started_at"], seasons)].append(row)
        if row["restored_at"] is not None:
            hours.append((row["restored_at"] - row["started_at"]).total_seconds() / 3600)

    def season_row(label: str, items: list[Any]) -> SeasonRow:
        restore = [
            (item["restored_at"] - item["started_at"]).total_seconds() / 3600  # type: ignore[operator]
            for item in items
            if item["restored_at"] is not None
        ]
        return SeasonRow(
            season=label,
            incidents=len(items),
            faults=sum(1 for item in items if item["kind"] == IncidentKind.FAULT),
            planned=sum(1 for item in items if item["kind"] == IncidentKind.PLANNED),
            households_affected=sum(int(item["households_affected"]) for item in items),  # type: ignore[call-overload]
            calls_absorbed=sum(int(item["calls"]) for item in items),  # type: ignore[call-overload]
            restore_hours_median=_median(restore),
        )

    return IncidentStats(
        incidents=len(rows),
        faults=sum(1 for row in rows if row["kind"] == IncidentKind.FAULT),
        planned=sum(1 for row in rows if row["kind"] == IncidentKind.PLANNED),
        households_affected=sum(row["households_affected"] for row in rows),
        calls_absorbed=sum(row["calls"] for row in rows),
        restore_hours_median=_median(hours),
        restore_hours_mean=round(statistics.fmean(hours), 2) if hours else None,
        by_season=[season_row(label, items) for label, items in sorted(by_season.items())],
    )


def incident_reported_requests(*, incident: Incident) -> list[ServiceRequest]:
    """The callback list of an incident: linked calls whose result is reported and callback is due."""
    return list(
        ServiceRequest.objects.filter(incident_link__incident=incident, status=Status.REPORTED)
        .select_related("household")
        .order_by("next_due_at", "id")[:2000]
    )
