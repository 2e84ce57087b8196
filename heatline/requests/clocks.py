"""Time limits (第六条.2, 第七条.2, 第八条) as rows: started, due, warned, met, breached.

Pure arithmetic takes `now`; `clocks_apply` starts and meets clocks for one transition; the sweep
(`jobs.py`) records warnings and breaches, each once. A breach is dated at `due_at`.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, Min

from heatline.core.rules import rule
from heatline.requests.models import Action, Clock, ClockName, Kind, ServiceRequest


def limit_of(name: ClockName, *, kind: str) -> timedelta:
    """The rule book's limit for a clock, from the admin-editable rules."""
    if name == ClockName.INTAKE:
        return timedelta(minutes=float(rule("intake_minutes")))
    if name == ClockName.CONTACT:
        return timedelta(minutes=float(rule("contact_minutes")))
    if name == ClockName.REPAIR:
        return timedelta(hours=float(rule("repair_hours")))
    if name == ClockName.ARRIVAL:
        return timedelta(minutes=float(rule("arrival_minutes")))
    if name == ClockName.REPORT:
        key = "report_hours" if kind == Kind.EMERGENCY else "routine_report_hours"
        return timedelta(hours=float(rule(key)))
    if name == ClockName.CALLBACK:
        return timedelta(hours=float(rule("callback_hours")))
    raise ValueError(name)


def warn_time(started_at: datetime, due_at: datetime, ratio: Decimal | float) -> datetime:
    """When to warn: `ratio` of the allowed time used (80% by default)."""
    return started_at + (due_at - started_at) * float(ratio)


def clock_new(
    *, service_request: ServiceRequest, name: ClockName, started_at: datetime, due_at: datetime | None = None
) -> Clock:
    """An unsaved clock of this round: due after the rule's limit, warned at `warn_ratio` of it."""
    due = due_at or started_at + limit_of(name, kind=service_request.kind)
    return Clock(
        service_request=service_request,
        name=name,
        round=service_request.round,
        started_at=started_at,
        due_at=due,
        warn_at=warn_time(started_at, due, rule("warn_ratio")),
    )


def _clock_save(new: Clock) -> Clock:
    """Store an unsaved clock unless its (request, name, round) already runs: a clock starts once."""
    clock, _created = Clock.objects.get_or_create(
        service_request=new.service_request,
        name=new.name,
        round=new.round,
        defaults={"started_at": new.started_at, "due_at": new.due_at, "warn_at": new.warn_at},
    )
    return clock


def clock_start(
    *, service_request: ServiceRequest, name: ClockName, started_at: datetime, due_at: datetime | None = None
) -> Clock:
    return _clock_save(
        clock_new(service_request=service_request, name=name, started_at=started_at, due_at=due_at)
    )


def clock_meet(*, service_request: ServiceRequest, names: tuple[ClockName, ...], at: datetime) -> int:
    """Mark this round's open clocks met at `at` (a late one keeps its breach and is met late).

    A clock met after its due time that no sweep has seen yet is breached too, dated at its due time:
    whether a limit was kept must not depend on when the worker last ran.
    """
    open_clocks = Clock.objects.filter(
        service_request=service_request,
        name__in=names,
        round=service_request.round,
        met_at=None,
        cancelled_at=None,
    )
    open_clocks.filter(breached_at=None, due_at__lt=at).update(breached_at=F("due_at"))
    return open_clocks.update(met_at=at)


def clocks_cancel(*, service_request: ServiceRequest, at: datetime) -> int:
    return Clock.objects.filter(service_request=service_request, met_at=None, cancelled_at=None).update(
        cancelled_at=at
    )


def next_due(service_request: ServiceRequest) -> datetime | None:
    due: datetime | None = Clock.objects.filter(
        service_request=service_request, met_at=None, cancelled_at=None
    ).aggregate(due=Min("due_at"))["due"]
    return due


def handling_clocks(*, service_request: ServiceRequest, at: datetime, repair_from: datetime) -> list[Clock]:
    """Dispatch starts the first limit of handling: contact (routine) or arrival (emergency), and the
    handling limit (repair, 48 h). Every dispatched request gets the handling limit, so that no open
    request is ever without a running clock (an emergency on site, a consultation after the call back);
    reports that count only repair categories filter on `Category.is_repair`. Unsaved."""
    first = ClockName.ARRIVAL if service_request.kind == Kind.EMERGENCY else ClockName.CONTACT
    return [
        clock_new(service_request=service_request, name=first, started_at=at),
        clock_new(service_request=service_request, name=ClockName.REPAIR, started_at=repair_from),
    ]


def clocks_start_handling(*, service_request: ServiceRequest, at: datetime, repair_from: datetime) -> None:
    """Start the handling clocks (`handling_clocks`) of the request's current round, each once."""
    for clock in handling_clocks(service_request=service_request, at=at, repair_from=repair_from):
        _clock_save(clock)


def clocks_apply(*, service_request: ServiceRequest, action: str, at: datetime) -> None:
    """Start and meet the clocks that one transition concerns, then refresh `next_due_at`."""
    if action == Action.CONTACT:
        clock_meet(service_request=service_request, names=(ClockName.CONTACT,), at=at)
    elif action == Action.ARRIVE:
        clock_meet(service_request=service_request, names=(ClockName.CONTACT, ClockName.ARRIVAL), at=at)
    elif action == Action.COMPLETE:
        clock_meet(
            service_request=service_request,
            names=(ClockName.CONTACT, ClockName.ARRIVAL, ClockName.REPAIR),
            at=at,
        )
        clock_start(service_request=service_request, name=ClockName.REPORT, started_at=at)
    elif action == Action.REPORT:
        clock_meet(service_request=service_request, names=(ClockName.REPORT,), at=at)
        clock_start(service_request=service_request, name=ClockName.CALLBACK, started_at=at)
    ServiceRequest.objects.filter(pk=service_request.pk).update(next_due_at=next_due(service_request))
