"""Worker jobs of incidents: the incident's own emergency clocks warn and breach once (STYLE rule 6)."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from heatline.core.worker import job
from heatline.incidents.models import IncidentClock, IncidentClockName
from heatline.outbox.services import notify, outbox_enqueue


@job("incident_clocks")
def incident_clocks_sweep(now: datetime, batch: int = 200) -> int:
    """1. Warn clocks past their warning time; 2. breach clocks past due, dated at due_at. Each once."""
    handled = 0
    with transaction.atomic():
        warn = IncidentClock.objects.filter(met_at=None, warned_at=None, breached_at=None, warn_at__lte=now)
        for clock in warn.select_related("incident__crew").select_for_update(skip_locked=True, of=("self",))[
            :batch
        ]:
            if IncidentClock.objects.filter(pk=clock.pk, warned_at=None).update(warned_at=now) == 1:
                handled += 1
                _tell(clock, topic="incident.clock_warned", dedupe=f"incident-clock-warn-{clock.pk}")
        due = IncidentClock.objects.filter(met_at=None, breached_at=None, due_at__lte=now)
        for clock in due.select_related("incident__crew").select_for_update(skip_locked=True, of=("self",))[
            :batch
        ]:
            if (
                IncidentClock.objects.filter(pk=clock.pk, breached_at=None).update(breached_at=clock.due_at)
                == 1
            ):
                handled += 1
                _tell(clock, topic="incident.clock_breached", dedupe=f"incident-clock-breach-{clock.pk}")
    return handled


def _tell(clock: IncidentClock, *, topic: str, dedupe: str) -> None:
    incident = clock.incident
    outbox_enqueue(
        topic=topic,
        key=incident.number,
        payload={"number": incident.number, "clock": clock.name, "due_at": clock.due_at.isoformat()},
        dedupe_key=dedupe,
    )
    leader_id = incident.crew.leader_id if incident.crew else None
    if leader_id:
        label = IncidentClockName(clock.name).label
        title = (_("事件时限预警 %(n)s %(c)s") if topic.endswith("warned") else _("事件超时 %(n)s %(c)s")) % {
            "n": incident.number,
            "c": label,
        }
        notify(recipient_id=leader_id, title=title, link=f"/incidents/{incident.pk}/")
