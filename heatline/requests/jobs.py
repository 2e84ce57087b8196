"""Worker jobs of the request life cycle: warn before a clock runs out, record a breach once."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record_of
from heatline.core.models import AuditEvent
from heatline.core.worker import job
from heatline.outbox.models import Outbox
from heatline.outbox.services import notification_message, outbox_enqueue_many
from heatline.registry.models import Department
from heatline.requests.hotspots import hotspots_detect, hotspots_escalate
from heatline.requests.models import Clock, ClockName, ServiceRequest
from heatline.requests.retention import personal_data_anonymise, retention_cutoff
from heatline.requests.routing import fallback_department_head


@dataclass(frozen=True)
class _Breach:
    """What a breach message needs of a clock and its request, read in one query (no model instances)."""

    clock_id: int
    name: str
    round: int
    due_at: datetime
    number: str
    content: str
    department_id: int | None
    branch_manager_id: int | None


def clocks_sweep(*, now: datetime, batch: int = 500) -> int:
    """Record breaches of clocks past due. Safe to repeat and to run in several workers.

    1. Claim open clocks past due (SKIP LOCKED on PostgreSQL), oldest first, a bounded batch, reading
       only the columns the messages need.
    2. Date each breach at its due time (not now), in one UPDATE of the claimed (locked) rows that are
       still unbreached.
    3. Queue one breach message per clock (dedupe key: never twice; one INSERT … SELECT) and one notice
       per supervisor and batch, in the same transaction as the breaches.
    """
    with transaction.atomic():
        due = Clock.objects.filter(met_at=None, breached_at=None, cancelled_at=None, due_at__lte=now)
        rows = list(
            due.order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list(
                "pk",
                "name",
                "round",
                "due_at",
                "service_request__number",
                "service_request__content",
                "service_request__department_id",
                "service_request__category__department_id",
                "service_request__district__branch__manager_id",
            )[:batch]
        )
        if not rows:
            return 0
        claimed = [
            _Breach(pk, name, round_, due_at, number, content, own_department or category_department, manager)
            for pk, name, round_, due_at, number, content, own_department, category_department, manager in rows
        ]
        Clock.objects.filter(pk__in=[breach.clock_id for breach in claimed], breached_at=None).update(
            breached_at=F("due_at")
        )
        _enqueue_breach_messages([breach.clock_id for breach in claimed], at=timezone.now())
        heads = _HeadCache()
        labels = _clock_labels()
        breaches_of: dict[int, list[_Breach]] = {}
        for breach in claimed:
            for recipient in _supervisors(breach, heads):
                breaches_of.setdefault(recipient, []).append(breach)
        # One notice per supervisor and batch: a cold night's hundred breaches are one message, not a hundred.
        # It commits with the breaches it reports, so it is sent once, as they are recorded once.
        outbox_enqueue_many(
            messages=[
                _breach_notice(recipient, breaches, labels) for recipient, breaches in breaches_of.items()
            ]
        )
    return len(claimed)


def _enqueue_breach_messages(clock_ids: list[int], *, at: datetime) -> None:
    """One `clock.breached` message per clock (dedupe key `breach:<clock id>`: never twice), written by one
    INSERT … SELECT: the database builds each payload {number, clock, round, due_at (ISO 8601, UTC)}, so
    that ten thousand breaches cost no Python per row (the sweep's figure, issue 3)."""
    outbox = connection.ops.quote_name(Outbox._meta.db_table)
    clock = connection.ops.quote_name(Clock._meta.db_table)
    request = connection.ops.quote_name(ServiceRequest._meta.db_table)
    ids: list[Any]
    if connection.vendor == "postgresql":
        utc = "(c.due_at AT TIME ZONE 'UTC')"
        due_at = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', {utc})::int "
            f"%% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
        )
        payload = (
            f"jsonb_build_object('number', r.number, 'clock', c.name, 'round', c.round, 'due_at', {due_at})"
        )
        chosen, ids = "c.id = ANY(%s)", [clock_ids]
    else:  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        due_at = "replace(c.due_at, ' ', 'T') || '+00:00'"
        payload = f"json_object('number', r.number, 'clock', c.name, 'round', c.round, 'due_at', {due_at})"
        chosen, ids = f"c.id IN ({', '.join(['%s'] * len(clock_ids))})", [*clock_ids]
    params: list[Any] = [connection.ops.adapt_datetimefield_value(at)] * 2 + ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {outbox} (topic, key, payload, dedupe_key, created_at, available_at, attempts, last_error) "
            f"SELECT 'clock.breached', r.number, {payload}, 'breach:' || c.id, %s, %s, 0, '' "
            f"FROM {clock} c JOIN {request} r ON r.id = c.service_request_id WHERE {chosen} "
            "ON CONFLICT (dedupe_key) DO NOTHING",
            params,
        )


def _breach_notice(recipient: int, breaches: list[_Breach], labels: dict[str, str]) -> dict[str, Any]:
    first = breaches[0]
    if len(breaches) == 1:
        title = _("超时:%(number)s %(clock)s") % {"number": first.number, "clock": labels[first.name]}
        body, link = first.content[:200], f"/requests/{first.number}/"
    else:
        title = _("%(count)s件工单超时") % {"count": len(breaches)}
        listed = [f"{breach.number} {labels[breach.name]}" for breach in breaches[:20]]
        more = _("等%(count)s件") % {"count": len(breaches)} if len(breaches) > 20 else ""
        body, link = "\n".join(listed) + ("\n" + more if more else ""), "/requests/?overdue=1"
    return notification_message(
        recipient_id=recipient,
        title=title,
        body=body,
        link=link,
        dedupe_key=f"breach:{first.clock_id}:{len(breaches)}:{recipient}",
    )


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
        if not claimed:
            return 0
        Clock.objects.filter(pk__in=[clock.pk for clock in claimed], warned_at=None).update(warned_at=now)
        labels = _clock_labels()
        title = _("即将超时:%(number)s %(clock)s")
        messages: list[dict[str, Any]] = []
        for clock in claimed:
            service_request = clock.service_request
            messages.append(
                {
                    "topic": "clock.warning",
                    "key": service_request.number,
                    "payload": {
                        "number": service_request.number,
                        "clock": clock.name,
                        "due_at": clock.due_at.isoformat(),
                    },
                    "dedupe_key": f"warn:{clock.pk}:{clock.extended_count}",
                }
            )
            if service_request.assignee_id:
                messages.append(
                    notification_message(
                        recipient_id=service_request.assignee_id,
                        title=title % {"number": service_request.number, "clock": labels[clock.name]},
                        link=f"/requests/{service_request.number}/",
                        dedupe_key=f"warn:{clock.pk}:{clock.extended_count}:{service_request.assignee_id}",
                    )
                )
        outbox_enqueue_many(messages=messages)
    return len(claimed)


def _clock_labels() -> dict[str, str]:
    """The clocks' names in the current language, translated once per batch rather than once per clock."""
    return {str(value): str(label) for value, label in ClockName.choices}


class _HeadCache:
    """Department heads looked up once per batch (the fallback head too), not once per clock."""

    def __init__(self) -> None:
        self.by_department: dict[int, int | None] = {}
        self.fallback: int | None = None
        self.fallback_loaded = False

    def head_of(self, department_id: int | None) -> int | None:
        if department_id is not None:
            if department_id not in self.by_department:
                self.by_department[department_id] = (
                    Department.objects.filter(pk=department_id).values_list("head_id", flat=True).first()
                )
            head = self.by_department[department_id]
            if head is not None:
                return head
        if not self.fallback_loaded:
            self.fallback_loaded = True
            fallback = fallback_department_head()
            self.fallback = fallback.pk if fallback is not None else None
        return self.fallback


def _supervisors(breach: _Breach, heads: _HeadCache) -> list[int]:
    """On breach: the department head (as `routing.department_head_for` picks them) and the branch manager
    of the request's district (deduplicated)."""
    recipients: list[int] = []
    head = heads.head_of(breach.department_id)
    if head is not None:
        recipients.append(head)
    if breach.branch_manager_id is not None:
        recipients.append(breach.branch_manager_id)
    return list(dict.fromkeys(recipients))


@job("clocks_warn")
def warn(now: datetime) -> int:
    return clocks_warn(now=now)


@job("clocks_sweep")
def sweep(now: datetime) -> int:
    return clocks_sweep(now=now)


@job("personal_data_retention")
def personal_data_retention(now: datetime) -> int:
    """Once a day (the first worker round after local midnight): anonymise what the retention period has
    passed (requests/retention.py). One indexed query on the other rounds."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if AuditEvent.objects.filter(action="retention_run", at__gte=midnight).exists():
        return 0
    before = retention_cutoff(now)
    requests, messages = personal_data_anonymise(before=before)
    audit_record_of(
        by=None,
        object_type="retention",
        object_id=f"{midnight:%Y-%m-%d}",
        action="retention_run",
        extra={"before": before.isoformat(), "requests": requests, "messages": messages},
    )
    return requests + messages


@job("hotspots")
def hotspots(now: datetime) -> int:
    """热点预警: evaluate the rules over the window (each round, so an alert follows its request within
    seconds), then escalate what nobody acknowledged."""
    return hotspots_detect(now=now) + hotspots_escalate(now=now)
