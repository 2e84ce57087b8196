"""Worker jobs of the request life cycle: warn before a clock runs out, record a breach once."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from heatline.core.worker import job
from heatline.outbox.services import notify, outbox_enqueue
from heatline.requests.models import Clock
from heatline.requests.routing import department_head_for


def clocks_sweep(*, now: datetime, batch: int = 500) -> int:
    """Record breaches of clocks past due. Safe to repeat and to run in several workers.

    1. Claim open clocks past due (SKIP LOCKED on PostgreSQL), oldest first, a bounded batch.
    2. Date each breach at its due time (not now) — only if still empty (the UPDATE's condition).
    3. Queue one breach message per clock (dedupe key), telling the supervisor.
    """
    with transaction.atomic():
        due = Clock.objects.filter(met_at=None, breached_at=None, cancelled_at=None, due_at__lte=now)
        claimed = list(
            due.order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "service_request__district__branch__manager", "service_request__category__department__head"
            )[:batch]
        )
        for clock in claimed:
            if Clock.objects.filter(pk=clock.pk, breached_at=None).update(breached_at=clock.due_at) != 1:
                continue
            service_request = clock.service_request
            payload = {
                "number": service_request.number,
                "clock": clock.name,
                "round": clock.round,
                "due_at": clock.due_at.isoformat(),
            }
            outbox_enqueue(
                topic="clock.breached",
                key=service_request.number,
                payload=payload,
                dedupe_key=f"breach:{clock.pk}",
            )
            for recipient in _supervisors(clock):
                notify(
                    recipient_id=recipient,
                    title=_("超时:%(number)s %(clock)s")
                    % {"number": service_request.number, "clock": clock.get_name_display()},
                    body=service_request.content[:200],
                    link=f"/requests/{service_request.number}/",
                    dedupe_key=f"breach:{clock.pk}:{recipient}",
                )
    return len(claimed)


def clocks_warn(*, now: datetime, batch: int = 500) -> int:
    """Warn the assignee once when a clock has used its warning share (80%) of the time."""
    with transaction.atomic():
        due = Clock.objects.filter(
            met_at=None, warned_at=None, cancelled_at=None, breached_at=None, warn_at__lte=now
        )
        claimed = list(
            due.order_by("warn_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("service_request")[:batch]
        )
        for clock in claimed:
            if Clock.objects.filter(pk=clock.pk, warned_at=None).update(warned_at=now) != 1:
                continue
            service_request = clock.service_request
            outbox_enqueue(
                topic="clock.warning",
                key=service_request.number,
                payload={
                    "number": service_request.number,
                    "clock": clock.name,
                    "due_at": clock.due_at.isoformat(),
                },
                dedupe_key=f"warn:{clock.pk}:{clock.extended_count}",
            )
            if service_request.assignee_id:
                notify(
                    recipient_id=service_request.assignee_id,
                    title=_("即将超时:%(number)s %(clock)s")
                    % {"number": service_request.number, "clock": clock.get_name_display()},
                    link=f"/requests/{service_request.number}/",
                    dedupe_key=f"warn:{clock.pk}:{clock.extended_count}:{service_request.assignee_id}",
                )
    return len(claimed)


def _supervisors(clock: Clock) -> list[int]:
    """On breach: the department head and the branch manager of the request's district (deduplicated)."""
    service_request = clock.service_request
    recipients: list[int] = []
    head = department_head_for(service_request)
    if head is not None:
        recipients.append(head.pk)
    district = service_request.district
    if district is not None and district.branch.manager_id is not None:
        recipients.append(district.branch.manager_id)
    return list(dict.fromkeys(recipients))


@job("clocks_warn")
def warn(now: datetime) -> int:
    return clocks_warn(now=now)


@job("clocks_sweep")
def sweep(now: datetime) -> int:
    return clocks_sweep(now=now)
