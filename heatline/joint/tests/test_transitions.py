"""The case state machine: mediation without agreement, a failed callback, lost races, milestones."""

import datetime as dt
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.joint.jobs import joint_clocks
from heatline.joint.models import Agreement, CaseAction, CaseClockName, CaseEvent, CaseStatus, JointCase
from heatline.joint.tests.factories import dispute_case, mediated_case, met_case, partners
from heatline.joint.transitions import MilestoneIn, Params, case_transition
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import Org
from heatline.requests.tests.factories import registered_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_mediation_without_agreement_records_the_next_step_and_keeps_the_case_open(org: Org) -> None:
    # given
    bodies = partners()
    with time_machine.travel(T0, tick=False):
        case = dispute_case(org, registered_request(org))

        # when
        case = case_transition(
            case=case,
            action=CaseAction.MEDIATE,
            by=org.branch_manager,
            params=Params(
                held_at=timezone.now(),
                partner_ids=[bodies["street"].pk],
                agreement=Agreement.NOT_AGREED,
                next_step="下周由派出所再次组织调解",
            ),
        )

    # then: still open, no callback clock yet, the next step on the event
    assert case.status == CaseStatus.OPEN
    assert not case.clocks.exists()
    assert case.events.last().extra["next_step"] == "下周由派出所再次组织调解"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        case_transition(
            case=case,
            action=CaseAction.MEDIATE,
            by=org.branch_manager,
            params=Params(held_at=timezone.now(), agreement=Agreement.NOT_AGREED),
        )


@pytest.mark.django_db
def test_requester_not_satisfied_sends_the_case_back_and_restarts_the_callback(org: Org) -> None:
    # given: a mediated dispute
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        case = mediated_case(org, bodies)

        # when: the requester says it is not solved; a second mediation follows next day
        case = case_transition(
            case=case,
            action=CaseAction.CALLBACK,
            by=org.branch_manager,
            params=Params(reached=True, solved=False),
        )
        assert case.status == CaseStatus.OPEN
        traveller.move_to(T0 + timedelta(days=1))
        case = case_transition(
            case=case,
            action=CaseAction.MEDIATE,
            by=org.branch_manager,
            params=Params(held_at=timezone.now(), agreement=Agreement.HEATING_RESTORED),
        )

    # then: a fresh callback clock from the second mediation
    clock = case.clocks.get(name=CaseClockName.CALLBACK)
    assert clock.met_at is None
    assert clock.due_at == T0 + timedelta(days=1, hours=24)


@pytest.mark.django_db
def test_a_lost_race_is_a_409_never_an_overwrite(org: Org) -> None:
    # given: two people hold the same open dispute
    bodies = partners()
    case = dispute_case(org)
    stale = JointCase.objects.get(pk=case.pk)
    case_transition(
        case=case,
        action=CaseAction.MEDIATE,
        by=org.branch_manager,
        params=Params(held_at=timezone.now(), partner_ids=[bodies["street"].pk], agreement=Agreement.OTHER),
    )

    # when / then: the second one's stale copy is refused
    with pytest.raises(TransitionNotAllowed):
        case_transition(
            case=stale,
            action=CaseAction.MEDIATE,
            by=org.branch_manager,
            params=Params(held_at=timezone.now(), agreement=Agreement.OTHER),
        )
    assert CaseEvent.objects.filter(case=case, action=CaseAction.MEDIATE).count() == 1


@pytest.mark.django_db
def test_who_may_act(org: Org) -> None:
    # given: a dispute opened by the branch manager with a request assigned to the district's person
    case = dispute_case(org, registered_request(org))

    # when / then: the involved district person may add a note, not close or mediate; outsiders nothing
    case_transition(case=case, action=CaseAction.NOTE, by=org.responsible, params=Params(note="已上门"))
    with pytest.raises(ActionForbidden):
        case_transition(
            case=case, action=CaseAction.MEDIATE, by=org.responsible, params=Params(held_at=timezone.now())
        )
    with pytest.raises(ActionForbidden):
        case_transition(case=case, action=CaseAction.NOTE, by=org.other_responsible, params=Params(note="x"))


@pytest.mark.django_db
def test_milestone_reminder_and_overdue_are_sent_once(org: Org) -> None:
    # given: a meeting held on Monday with milestones on Thursday and in ten days
    bodies = partners()
    with time_machine.travel(T0, tick=False) as traveller:
        case = met_case(org, bodies)
        first = case.milestones.order_by("due_date").first()
        assert first is not None and first.due_date == dt.date(2026, 11, 26)

        # when: the worker runs on Tuesday, Wednesday (one day before), twice on Friday
        for day in (24, 25, 27, 27):
            traveller.move_to(datetime(2026, 11, day, 8, 0, tzinfo=SHANGHAI))
            joint_clocks(timezone.now())

    # then: one reminder (Wednesday) to the follow-up person, one overdue record dated the next midnight
    first.refresh_from_db()
    assert first.reminded_at == datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert first.breached_at == datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)
    reminders = Outbox.objects.filter(dedupe_key=f"joint-milestone-remind:{first.pk}")
    assert reminders.count() == 1
    assert reminders.get().payload["recipient"] == case.follow_up_id
    assert Outbox.objects.filter(dedupe_key__startswith=f"joint-milestone-late:{first.pk}:").count() == 1


@pytest.mark.django_db
def test_milestone_dated_before_the_meeting_is_refused(org: Org) -> None:
    # given
    bodies = partners()
    case = met_case(org, bodies)

    # when / then
    with pytest.raises(InvalidInput):
        case_transition(
            case=case,
            action=CaseAction.ADD_MILESTONE,
            by=org.branch_manager,
            params=Params(
                milestones=[MilestoneIn(title="补签", due_date=timezone.localdate() - timedelta(days=2))]
            ),
        )
    # and: a milestone cannot be completed twice
    milestone = case.milestones.first()
    assert milestone is not None
    case_transition(
        case=case,
        action=CaseAction.COMPLETE_MILESTONE,
        by=org.branch_manager,
        params=Params(milestone_id=milestone.pk),
    )
    case.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        case_transition(
            case=case,
            action=CaseAction.COMPLETE_MILESTONE,
            by=org.branch_manager,
            params=Params(milestone_id=milestone.pk),
        )


@pytest.mark.django_db
def test_linking_requests_of_another_branch_or_case_is_refused(org: Org) -> None:
    # given: a request already in an open case
    service_request = registered_request(org)
    dispute_case(org, service_request)

    # when / then
    with pytest.raises(InvalidInput, match="已在其他未办结的联办案件中"):
        dispute_case(org, service_request)
