"""Time limits of joint cases as rows: the meeting (第十条, working days) and the callback (第九条, hours).

The meeting is due by the END of the n-th working day after the day the case is opened, in
Asia/Shanghai: 23:59:59.999999 local time of that day (so the due date *is* the third working
day when shown, and a meeting held at any moment of that day is in time). A breach is dated at
`due_at`. Pure arithmetic takes its times as arguments.
"""

import datetime as dt
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from heatline.core.calendar import add_working_days
from heatline.core.rules import rule, rule_int
from heatline.joint.models import CaseClock, CaseClockName, JointCase


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def end_of_local_day(day: dt.date) -> datetime:
    """23:59:59.999999 of `day` in the utility's time zone (aware)."""
    return datetime.combine(day, dt.time.max, tzinfo=local_zone())


def meeting_due(opened_at: datetime, *, working_days: int | None = None) -> datetime:
    """第十条: by the end of the third working day after the day the case is opened."""
    n = rule_int("joint_meeting_working_days") if working_days is None else working_days
    opened_day = opened_at.astimezone(local_zone()).date()
    return end_of_local_day(add_working_days(opened_day, n))


def callback_due(mediated_at: datetime) -> datetime:
    """第九条: call the requester back within 24 hours after mediation."""
    return mediated_at + timedelta(hours=float(rule("joint_callback_hours")))


def warn_time(started_at: datetime, due_at: datetime, ratio: Decimal | float) -> datetime:
    """When to warn: `ratio` of the allowed time used (80% by default)."""
    return started_at + (due_at - started_at) * float(ratio)


def clock_start(*, case: JointCase, name: CaseClockName, started_at: datetime, due_at: datetime) -> CaseClock:
    clock, _created = CaseClock.objects.get_or_create(
        case=case,
        name=name,
        defaults={
            "started_at": started_at,
            "due_at": due_at,
            "warn_at": warn_time(started_at, due_at, rule("warn_ratio")),
        },
    )
    return clock


def clock_meet(*, case: JointCase, name: CaseClockName, at: datetime) -> int:
    """Mark the clock met at `at` (a late one keeps its breach and is met late)."""
    return CaseClock.objects.filter(case=case, name=name, met_at=None).update(met_at=at)
