from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from heatline.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from heatline.outbox.models import Outbox
from heatline.registry.models import Staff
from heatline.registry.tests.factories import Org
from heatline.requests.jobs import clocks_sweep
from heatline.requests.models import Action, ClockName, Kind, RequestEvent, ServiceRequest, Status
from heatline.requests.tests.factories import emergency_request, registered_request, reported_request
from heatline.requests.transitions import Params, request_transition

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_routine_request_goes_to_the_district_responsible_with_contact_and_repair_clocks(org: Org) -> None:
    # given / when: a low-temperature call from a registered household
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)

    # then: dispatched to the district's responsible person, contact due in 30 min, repair in 48 h
    assert service_request.status == Status.DISPATCHED
    assert service_request.kind == Kind.ROUTINE
    assert service_request.assignee == org.responsible
    clocks = {clock.name: clock for clock in service_request.clocks.all()}
    assert clocks[ClockName.CONTACT].due_at == T0 + timedelta(minutes=30)
    assert clocks[ClockName.REPAIR].due_at == T0 + timedelta(hours=48)
    assert clocks[ClockName.INTAKE].met_at == T0
    assert service_request.next_due_at == T0 + timedelta(minutes=30)


@pytest.mark.django_db
def test_emergency_goes_straight_to_the_crew_with_a_one_hour_arrival_clock(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = emergency_request(org)

    assert service_request.kind == Kind.EMERGENCY
    assert service_request.team == org.crew
    assert service_request.assignee == org.crew_leader
    arrival = service_request.clocks.get(name=ClockName.ARRIVAL)
    assert arrival.due_at == T0 + timedelta(hours=1)


@pytest.mark.django_db
def test_contact_clock_is_breached_once_at_its_due_time(org: Org) -> None:
    # given: a routine request dispatched at 08:00
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = registered_request(org)

        # when: the sweep runs before, just after, and long after the 30-minute limit
        for minutes in (29, 31, 90):
            traveller.move_to(T0 + timedelta(minutes=minutes))
            clocks_sweep(now=timezone.now())

    # then: one breach, dated at the due time, and one message queued
    contact = service_request.clocks.get(name=ClockName.CONTACT)
    assert contact.breached_at == contact.due_at == T0 + timedelta(minutes=30)
    assert Outbox.objects.filter(topic="clock.breached", key=service_request.number).count() == 1


@pytest.mark.django_db
def test_unsatisfied_callback_returns_the_request_to_the_department_head_for_a_new_round(org: Org) -> None:
    # given: a request whose result has been reported
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = reported_request(org)
        traveller.move_to(T0 + timedelta(hours=3))

        # when: the hotline calls back and the resident is not satisfied
        service_request = request_transition(
            service_request=service_request,
            action=Action.CALLBACK,
            by=org.operator,
            params=Params(solved=False, satisfaction="unsatisfied", comment="还是不热"),
        )

    # then: round 2, with the head of the department, and fresh clocks
    assert service_request.status == Status.DISPATCHED
    assert service_request.round == 2
    assert service_request.assignee == org.dept_head
    assert service_request.clocks.filter(round=2, name=ClockName.CONTACT).exists()
    assert service_request.clocks.get(round=1, name=ClockName.CALLBACK).met_at is not None


@pytest.mark.django_db
def test_satisfied_callback_closes_and_every_step_left_an_event(org: Org) -> None:
    service_request = reported_request(org)
    service_request = request_transition(
        service_request=service_request,
        action=Action.CALLBACK,
        by=org.operator,
        params=Params(solved=True, satisfaction="satisfied"),
    )
    assert service_request.status == Status.CLOSED
    actions = list(
        RequestEvent.objects.filter(service_request=service_request).values_list("action", flat=True)
    )
    assert actions == ["register", "dispatch", "contact", "arrive", "complete", "report", "callback"]
    assert not service_request.clocks.filter(met_at=None, cancelled_at=None).exists()


@pytest.mark.django_db
def test_out_of_order_forbidden_and_invalid_actions_are_refused(org: Org) -> None:
    service_request = registered_request(org)
    with pytest.raises(TransitionNotAllowed):
        request_transition(service_request=service_request, action=Action.REPORT, by=org.worker)
    with pytest.raises(ActionForbidden):
        request_transition(service_request=service_request, action=Action.CONTACT, by=org.other_responsible)
    service_request = request_transition(
        service_request=service_request, action=Action.CONTACT, by=org.worker
    )
    service_request = request_transition(service_request=service_request, action=Action.ARRIVE, by=org.worker)
    with pytest.raises(InvalidInput):
        request_transition(
            service_request=service_request,
            action=Action.COMPLETE,
            by=org.worker,
            params=Params(cause="nope", result="x"),
        )
    assert service_request.status == Status.ON_SITE


@pytest.mark.django_db
def test_a_stale_copy_loses_the_race_with_a_conflict(org: Org) -> None:
    service_request = registered_request(org)
    stale = type(service_request).objects.get(pk=service_request.pk)
    request_transition(service_request=service_request, action=Action.CONTACT, by=org.worker)
    with pytest.raises(TransitionNotAllowed):
        request_transition(service_request=stale, action=Action.CONTACT, by=org.responsible)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_recording_one_step_at_the_same_moment_record_it_once(org: Org) -> None:
    """Two staff press 联系预约 on one request at once, each from the page they loaded: one wins, the other is
    told (a conflict or 'not allowed now'); one event, one met clock, nothing half-saved."""
    import threading

    from django.db import transaction

    from heatline.core.errors import DomainError

    service_request = registered_request(org)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def press(by: Staff) -> None:
        copy = ServiceRequest.objects.get(pk=service_request.pk)  # the page each of them loaded
        try:
            barrier.wait()
            with transaction.atomic():
                request_transition(
                    service_request=copy, action=Action.CONTACT, by=by, params=Params(note="已联系")
                )
            outcome = "done"
        except DomainError as error:
            outcome = type(error).__name__
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=press, args=(by,)) for by in (org.worker, org.responsible)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes)[0] != "done" and sorted(outcomes).count("done") == 1, outcomes
    service_request.refresh_from_db()
    assert service_request.status == Status.CONTACTED
    assert service_request.events.filter(action=Action.CONTACT).count() == 1
    contact = service_request.clocks.get(name=ClockName.CONTACT)
    assert contact.met_at is not None
