"""Worker job of 难诉联办: warn before a case clock runs out, record a breach once (dated at due_at),
and remind the follow-up person before a milestone is due (第十条)."""

import datetime as dt
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.rules import rule_int
from heatline.core.worker import job
from heatline.joint.models import OPEN_STATUSES, CaseClock, CaseMilestone, JointCase
from heatline.outbox.services import notify, outbox_enqueue


def _recipients(case: JointCase) -> list[int]:
    """The follow-up person and the leading branch's manager (deduplicated)."""
    ids = [case.follow_up_id, case.branch.manager_id]
    return list(dict.fromkeys(pk for pk in ids if pk is not None))


def clocks_warn(*, now: datetime, batch: int = 500) -> int:
    """1. Warn once when a clock has used its warning share (80%) of the time (a clock already past
    due gets the breach message instead)."""
    with transaction.atomic():
        due = CaseClock.objects.filter(
            met_at=None, warned_at=None, breached_at=None, warn_at__lte=now, due_at__gt=now
        )
        claimed = list(
            due.order_by("warn_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("case__branch")[:batch]
        )
        for clock in claimed:
            if CaseClock.objects.filter(pk=clock.pk, warned_at=None).update(warned_at=now) != 1:
                continue
            case = clock.case
            key = f"joint-warn:{clock.pk}:{clock.due_at.isoformat()}"
            outbox_enqueue(
                topic="joint.clock.warning",
                key=case.number,
                payload={"case": case.pk, "clock": clock.name, "due_at": clock.due_at.isoformat()},
                dedupe_key=key,
            )
            for recipient in _recipients(case):
                notify(
                    recipient_id=recipient,
                    title=_("即将超时:联办案件%(number)s %(clock)s")
                    % {"number": case.number, "clock": clock.get_name_display()},
                    body=case.summary[:200],
                    link=f"/joint/{case.pk}/",
                    dedupe_key=f"{key}:{recipient}",
                )
    return len(claimed)


def clocks_sweep(*, now: datetime, batch: int = 500) -> int:
    """2. Record breaches of clocks past due, dated at due_at, once (the UPDATE's condition)."""
    with transaction.atomic():
        due = CaseClock.objects.filter(met_at=None, breached_at=None, due_at__lte=now)
        claimed = list(
            due.order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("case__branch")[:batch]
        )
        for clock in claimed:
            if CaseClock.objects.filter(pk=clock.pk, breached_at=None).update(breached_at=clock.due_at) != 1:
                continue
            case = clock.case
            key = f"joint-breach:{clock.pk}:{clock.due_at.isoformat()}"
            outbox_enqueue(
                topic="joint.clock.breached",
                key=case.number,
                payload={"case": case.pk, "clock": clock.name, "due_at": clock.due_at.isoformat()},
                dedupe_key=key,
            )
            for recipient in _recipients(case):
                notify(
                    recipient_id=recipient,
                    title=_("超时:联办案件%(number)s %(clock)s")
                    % {"number": case.number, "clock": clock.get_name_display()},
                    body=case.summary[:200],
                    link=f"/joint/{case.pk}/",
                    dedupe_key=f"{key}:{recipient}",
                )
    return len(claimed)


def milestones_remind(*, now: datetime, batch: int = 500) -> int:
    """3. Remind the follow-up person `milestone_remind_days` before a milestone is due, once;
    4. record a milestone past its date as overdue, once, telling the branch manager too."""
    today = timezone.localtime(now).date()
    horizon = today + dt.timedelta(days=rule_int("milestone_remind_days"))
    handled = 0
    with transaction.atomic():
        remind = CaseMilestone.objects.filter(
            done_at=None, reminded_at=None, due_date__lte=horizon, case__status__in=OPEN_STATUSES
        )
        for milestone in list(
            remind.select_for_update(skip_locked=True, of=("self",)).select_related("case__branch")[:batch]
        ):
            if CaseMilestone.objects.filter(pk=milestone.pk, reminded_at=None).update(reminded_at=now) != 1:
                continue
            handled += 1
            case = milestone.case
            if case.follow_up_id is not None:
                notify(
                    recipient_id=case.follow_up_id,
                    title=_("节点将到期:%(title)s(%(date)s)")
                    % {"title": milestone.title, "date": milestone.due_date.isoformat()},
                    body=case.summary[:200],
                    link=f"/joint/{case.pk}/",
                    dedupe_key=f"joint-milestone-remind:{milestone.pk}",
                )
        late = CaseMilestone.objects.filter(
            done_at=None, breached_at=None, due_date__lt=today, case__status__in=OPEN_STATUSES
        )
        for milestone in list(
            late.select_for_update(skip_locked=True, of=("self",)).select_related("case__branch")[:batch]
        ):
            late_from = datetime.combine(
                milestone.due_date + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
            )
            if (
                CaseMilestone.objects.filter(pk=milestone.pk, breached_at=None).update(breached_at=late_from)
                != 1
            ):
                continue
            handled += 1
            case = milestone.case
            for recipient in _recipients(case):
                notify(
                    recipient_id=recipient,
                    title=_("节点逾期:%(title)s(%(date)s)")
                    % {"title": milestone.title, "date": milestone.due_date.isoformat()},
                    body=case.summary[:200],
                    link=f"/joint/{case.pk}/",
                    dedupe_key=f"joint-milestone-late:{milestone.pk}:{recipient}",
                )
    return handled


@job("joint_clocks")
def joint_clocks(now: datetime) -> int:
    return clocks_warn(now=now) + clocks_sweep(now=now) + milestones_remind(now=now)
