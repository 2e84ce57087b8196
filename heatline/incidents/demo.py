"""Demo incidents: one station fault with linked calls (open), one burst restored and closed today,
and one planned outage announced for next week. Idempotent: nothing is added when incidents exist."""

import random
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from heatline.incidents.models import Incident, IncidentKind
from heatline.incidents.services import IncidentInput, incident_link_call, incident_open, incident_resolve
from heatline.registry.models import Household, PipeSection, Staff, Station, Team, TeamKind
from heatline.requests.models import Source
from heatline.requests.services import Intake


def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if Incident.objects.exists():
        progress("incidents: already there, nothing added")
        return
    stations = list(Station.objects.filter(buildings__households__isnull=False).distinct().order_by("id")[:3])
    crew_leader = Staff.objects.filter(username="crew").first()
    operator = Staff.objects.filter(username="operator").first()
    if len(stations) < 3 or crew_leader is None or operator is None:
        progress("incidents: demo register or staff missing, skipped")
        return
    crew = Team.objects.filter(kind=TeamKind.REPAIR_CREW).order_by("id").first()
    now = timezone.now()

    # 1. A burst earlier today, restored an hour ago after 5 hours, every caller told.
    closed = incident_open(
        data=IncidentInput(title="一次网主管爆管", station_id=stations[1].pk, category="no_heat",
                           crew_id=crew.pk if crew else None, description="主干管DN300焊口开裂",
                           started_at=now - timedelta(hours=6), expected_restore_at=now - timedelta(hours=2)),
        by=crew_leader,
    )  # fmt: skip
    _calls(closed, operator, rng, count=12)
    incident_resolve(incident=closed, by=crew_leader, result="更换管段,供热已恢复", cause="network_leak",
                     restored_at=now - timedelta(hours=1))  # fmt: skip

    # 2. A fault in progress with a handful of calls.
    section = PipeSection.objects.filter(buildings__households__isnull=False).order_by("id").first()
    open_fault = incident_open(
        data=IncidentInput(title="换热站循环泵故障", station_id=stations[0].pk, category="no_heat",
                           crew_id=crew.pk if crew else None, started_at=now - timedelta(minutes=40),
                           expected_restore_at=now + timedelta(hours=3),
                           pipe_section_id=section.pk if section else None),
        by=crew_leader,
    )  # fmt: skip
    _calls(open_fault, operator, rng, count=8)

    # 3. A planned outage announced for next week.
    start = (now + timedelta(days=6)).replace(hour=1, minute=0, second=0, microsecond=0)
    incident_open(
        data=IncidentInput(kind=IncidentKind.PLANNED, title="换热站板换检修", station_id=stations[2].pk,
                           started_at=start, expected_restore_at=start + timedelta(hours=6),
                           crew_id=crew.pk if crew else None),
        by=crew_leader,
    )  # fmt: skip
    progress("incidents: 3 incidents (one open, one closed, one planned)")


def _calls(incident: Incident, operator: Staff, rng: random.Random, *, count: int) -> None:
    households = list(
        Household.objects.filter(building__incidents=incident).exclude(phone="").order_by("id")[: count * 3]
    )
    for household in rng.sample(households, min(count, len(households))):
        incident_link_call(
            incident=incident,
            intake=Intake(source=Source.HOTLINE, phone=household.phone, household=household.account_number,
                          caller_name=household.contact_name, content="家里暖气突然不热了"),
            by=operator,
        )  # fmt: skip
