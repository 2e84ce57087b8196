"""第十条: the meeting is due by the end of the third working day after the day the case is opened,
counted on China's calendar (holidays and make-up days) — National Day 2026: 1–7 October off,
Saturday 10 October a make-up working day."""

import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from heatline.core.calendar import workday_override_set
from heatline.joint.clocks import meeting_due
from heatline.joint.jobs import joint_clocks
from heatline.joint.models import CaseClockName
from heatline.joint.tests.factories import coordination_case
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import Org

SHANGHAI = ZoneInfo("Asia/Shanghai")


def end_of(day: dt.date) -> datetime:
    return datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("opened", "due_day"),
    [
        # Wednesday before the holiday: 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Sat, make-up day).
        (datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), dt.date(2026, 10, 10)),
        # Opened during the holiday: the first three working days after it.
        (datetime(2026, 10, 3, 9, 0, tzinfo=SHANGHAI), dt.date(2026, 10, 10)),
        # Thursday after the holiday: 9 Oct, 10 Oct (make-up Saturday), 12 Oct (Sunday 11th is off).
        (datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI), dt.date(2026, 10, 12)),
        # An ordinary week: Monday → Thursday.
        (datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), dt.date(2026, 11, 26)),
        # Late evening in Shanghai is still that local day (15:30 UTC = 23:30 local).
        (datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC), dt.date(2026, 11, 26)),
    ],
)
def test_meeting_due_at_end_of_third_working_day(opened: datetime, due_day: dt.date) -> None:
    # given / when
    due = meeting_due(opened)

    # then
    assert due == end_of(due_day)


@pytest.mark.django_db
def test_admin_override_moves_the_meeting_due() -> None:
    # given: the administrator declares Thursday 26 Nov 2026 a day off
    workday_override_set(entries=[(dt.date(2026, 11, 26), False, "临时停工")])

    # when
    due = meeting_due(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))

    # then: Tue, Wed, Fri
    assert due == end_of(dt.date(2026, 11, 27))


@pytest.mark.django_db
def test_meeting_clock_across_national_day_warns_and_breaches_once_at_due(org: Org) -> None:
    # given: a coordination case opened on Wednesday 30 Sep 2026 at 16:00, the eve of the holiday
    opened = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    with time_machine.travel(opened, tick=False) as traveller:
        case = coordination_case(org)
        clock = case.clocks.get(name=CaseClockName.MEETING)
        assert clock.due_at == end_of(dt.date(2026, 10, 10))

        # when: the worker runs during the holiday, on the make-up Saturday, and long after
        moments = [
            datetime(2026, 10, 5, 12, 0, tzinfo=SHANGHAI),
            datetime(2026, 10, 10, 20, 0, tzinfo=SHANGHAI),
            datetime(2026, 10, 11, 0, 5, tzinfo=SHANGHAI),
            datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI),
        ]
        seen = []
        for moment in moments:
            traveller.move_to(moment)
            joint_clocks(timezone.now())
            clock.refresh_from_db()
            seen.append((clock.warned_at is not None, clock.breached_at is not None))

    # then: warned once the 80% mark passed, breached once after the make-up Saturday, dated at due_at
    assert seen == [(False, False), (True, False), (True, True), (True, True)]
    assert clock.breached_at == clock.due_at
    assert Outbox.objects.filter(topic="joint.clock.breached", key=case.number).count() == 1
    assert Outbox.objects.filter(topic="joint.clock.warning", key=case.number).count() == 1
    breach_notes = Outbox.objects.filter(topic="notify", dedupe_key__startswith="joint-breach:")
    assert {row.payload["recipient"] for row in breach_notes} == {org.branch_manager.pk}


@pytest.mark.django_db
def test_meeting_on_the_make_up_saturday_is_in_time(org: Org) -> None:
    # given: opened on 30 Sep; the special meeting is held on Saturday 10 Oct (a make-up working day)
    from heatline.joint.models import CaseAction
    from heatline.joint.tests.factories import partners
    from heatline.joint.transitions import Params, case_transition

    bodies = partners()
    with time_machine.travel(datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        case = coordination_case(org)
        held = datetime(2026, 10, 10, 23, 30, tzinfo=SHANGHAI)
        traveller.move_to(held)

        # when
        case = case_transition(
            case=case,
            action=CaseAction.MEETING,
            by=org.branch_manager,
            params=Params(
                held_at=held,
                partner_ids=[bodies["housing"].pk],
                responsible_party="物业",
                plan="更换立管",
            ),
        )
        traveller.move_to(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
        joint_clocks(timezone.now())

    # then: met, never breached
    clock = case.clocks.get(name=CaseClockName.MEETING)
    assert clock.met_at == held
    assert clock.breached_at is None
