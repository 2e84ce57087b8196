"""Registration's write path (issue 3, intake throughput): a request registered and dispatched in one go
must leave exactly what registering and then dispatching through the transition function leaves, in a
bounded number of queries; the day's numbers, the rules snapshot and the category cache stay correct."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from heatline.core.errors import InvalidInput
from heatline.core.models import RuleSetting
from heatline.core.rules import RULES_CACHE_SECONDS, rule
from heatline.outbox.models import Outbox
from heatline.registry.models import District
from heatline.registry.selectors import DISTRICT_CACHE_SECONDS, districts_by_id
from heatline.registry.tests.factories import Org
from heatline.requests.models import (
    Action,
    Category,
    Clock,
    Kind,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)
from heatline.requests.routing import CATEGORY_CACHE_SECONDS, categories_active
from heatline.requests.services import Intake, household_match, request_register
from heatline.requests.transitions import request_transition

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _intake(org: Org, **fields: Any) -> Intake:
    values: dict[str, Any] = {
        "source": Source.HOTLINE,
        "phone": "13800000001",
        "caller_name": "李四",
        "household": org.household.account_number,
        "content": "家里暖气不热,客厅只有16度",
        "category": "low_temperature",
    }
    values.update(fields)
    return Intake(**values)


def _written(service_request: ServiceRequest) -> dict[str, Any]:
    """What a registration left in the database, with times relative to registration."""
    service_request.refresh_from_db()
    base = service_request.registered_at

    def rel(value: datetime | None) -> timedelta | None:
        return None if value is None else value - base

    return {
        "status": service_request.status,
        "version": service_request.version,
        "assignee": service_request.assignee_id,
        "team": service_request.team_id,
        "department": service_request.department_id,
        "district": service_request.district_id,
        "dispatched": rel(service_request.dispatched_at),
        "next_due": rel(service_request.next_due_at),
        "clocks": sorted(
            (c.name, c.round, rel(c.started_at), rel(c.due_at), rel(c.warn_at), rel(c.met_at), c.breached_at)
            for c in Clock.objects.filter(service_request=service_request)
        ),
        "events": [
            (e.action, e.from_status, e.to_status, e.actor_id)
            for e in RequestEvent.objects.filter(service_request=service_request).order_by("at", "id")
        ],
        "outbox": sorted(
            (m.topic, m.payload.get("action", ""), m.payload.get("from", ""), m.payload.get("to", ""))
            for m in Outbox.objects.filter(key__in=[service_request.number, str(service_request.assignee_id)])
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, category",
    [("家里暖气不热,客厅只有16度", "low_temperature"), ("卫生间暖气片跑水了", "indoor_leak")],
)
def test_registration_leaves_what_register_then_dispatch_leaves(
    org: Org, content: str, category: str
) -> None:
    # given: the same call registered twice, once dispatched at registration, once registered only and then
    # dispatched through the transition function (frozen clock: the same instants)
    with time_machine.travel(T0, tick=False):
        at_once, _ = request_register(
            intake=_intake(org, content=content, category=category, phone="13800000001"), by=org.operator
        )
        later, _ = request_register(
            intake=_intake(org, content=content, category=category, phone="13800000002", dispatch=False),
            by=org.operator,
        )
        assert later.status == Status.REGISTERED
        later = request_transition(service_request=later, action=Action.DISPATCH, by=org.admin)

    # then: status, version, assignee, clocks, audit events and outbox messages are the same
    one, two = _written(at_once), _written(later)
    two["events"] = [(a, f, t, org.operator.pk) for a, f, t, _actor in two["events"]]  # the admin dispatched
    assert one == two
    assert one["status"] == Status.DISPATCHED
    assert [e[0] for e in one["events"]] == [Action.REGISTER, Action.DISPATCH]
    first = "arrival" if category == "indoor_leak" else "contact"
    assert [c[0] for c in one["clocks"]] == sorted(["intake", first, "repair"])
    assert one["next_due"] == (timedelta(hours=1) if first == "arrival" else timedelta(minutes=30))


@pytest.mark.django_db
def test_the_answer_to_an_intake_is_what_was_stored(org: Org) -> None:
    service_request, created = request_register(intake=_intake(org), by=org.operator)
    assert created
    stored = ServiceRequest.objects.get(pk=service_request.pk)
    assert service_request.number == stored.number
    assert service_request.next_due_at == stored.next_due_at
    assert sorted(c.name for c in service_request.clocks.all()) == sorted(c.name for c in stored.clocks.all())
    assert service_request.assignee == org.responsible


@pytest.mark.django_db
def test_registration_runs_a_bounded_number_of_queries(org: Org, django_assert_max_num_queries: Any) -> None:
    request_register(intake=_intake(org, phone="13800000003"), by=org.operator)  # warm the category cache
    # number unless the order is registered, household, then (in the test's transaction: in a savepoint) the
    # request with its clocks, events and outbox rows: one statement on PostgreSQL, four INSERTs on SQLite
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 8):
        service_request, created = request_register(
            intake=_intake(org, source=Source.GOV_12345, external_id="GOV-1"), by=org.operator
        )
    assert created and service_request.status == Status.DISPATCHED


@pytest.mark.django_db
def test_numbers_count_up_within_a_day_and_start_again_the_next_day(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        first, _ = request_register(intake=_intake(org, phone="13800000004"), by=org.operator)
        second, _ = request_register(intake=_intake(org, phone="13800000005"), by=org.operator)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        third, _ = request_register(intake=_intake(org, phone="13800000006"), by=org.operator)
    assert first.number == "RX2026112000001"
    assert second.number == "RX2026112000002"
    assert third.number == "RX2026112100001"


@pytest.mark.django_db
def test_a_repeated_platform_push_takes_no_number_and_answers_with_the_registered_request(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        first, created = request_register(
            intake=_intake(org, source=Source.GOV_12345, external_id=" GOV-7 "), by=org.operator
        )
        again, created_again = request_register(
            intake=_intake(org, source=Source.GOV_12345, external_id="GOV-7", phone="13800000099"),
            by=org.operator,
        )
        # the same order number from the other platform is another order
        other, created_other = request_register(
            intake=_intake(org, source=Source.GOV_12319, external_id="GOV-7"), by=org.operator
        )
        hotline, _ = request_register(intake=_intake(org), by=org.operator)
    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk and again.phone == first.phone and first.external_id == "GOV-7"
    # no gap in the day's numbers for the repeated push
    assert [first.number, other.number, hotline.number] == [
        "RX2026112000001",
        "RX2026112000002",
        "RX2026112000003",
    ]
    assert ServiceRequest.objects.filter(external_id="GOV-7").count() == 2


@pytest.mark.django_db
def test_the_household_is_read_with_its_district_and_the_rest_on_access(
    org: Org, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        found = household_match(account_number=f" {org.household.account_number} ", address="")
        assert found is not None
        assert (found.pk, found.account_number, found.address) == (
            org.household.pk,
            org.household.account_number,
            org.household.address,
        )
        assert found.building.district_id == org.district.pk
    assert found.room == org.household.room  # a field not read loads on access
    by_address = household_match(
        account_number=None, address=org.household.address[:4] + " " + org.household.address[4:]
    )
    assert by_address is not None and by_address.pk == org.household.pk
    assert household_match(account_number=None, address="没有这个地址") is None
    with pytest.raises(InvalidInput):
        household_match(account_number="0000000", address="")


@pytest.mark.django_db
def test_rules_are_read_once_and_a_saved_rule_is_seen_at_once(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert rule("contact_minutes") == Decimal(30)
        assert rule("repair_hours") == Decimal(48)
        assert rule("warn_ratio") == Decimal("0.8")
    RuleSetting.objects.create(key="contact_minutes", value=Decimal(20))
    assert rule("contact_minutes") == Decimal(20)


@pytest.mark.django_db
def test_a_rule_changed_in_another_process_applies_when_the_cache_time_is_over() -> None:
    with time_machine.travel(T0, tick=False):
        assert rule("contact_minutes") == Decimal(30)
        RuleSetting.objects.create(key="contact_minutes", value=Decimal(20))
        assert rule("contact_minutes") == Decimal(20)
        RuleSetting.objects.filter(key="contact_minutes").update(value=Decimal(25))  # no signal here
        assert rule("contact_minutes") == Decimal(20)
    with time_machine.travel(T0 + timedelta(seconds=RULES_CACHE_SECONDS + 1), tick=False):
        assert rule("contact_minutes") == Decimal(25)


@pytest.mark.django_db
def test_a_rule_changed_by_the_administrator_applies_to_the_next_intake(org: Org) -> None:
    RuleSetting.objects.create(key="contact_minutes", value=Decimal(15))
    with time_machine.travel(T0, tick=False):
        service_request, _ = request_register(intake=_intake(org), by=org.operator)
    contact = Clock.objects.get(service_request=service_request, name="contact")
    assert contact.due_at - contact.started_at == timedelta(minutes=15)


@pytest.mark.django_db
def test_a_new_category_is_used_by_the_next_intake_at_once(org: Org) -> None:
    # given: the categories are cached in the process
    assert not any(c.code == "meter_noise" for c in categories_active())

    # when: a category is added (admin) and a call matches only its keywords
    Category.objects.create(
        code="meter_noise", name="热表异响", kind=Kind.ROUTINE, keywords="热表异响,热表嗡嗡响", priority=1
    )
    service_request, _ = request_register(
        intake=_intake(org, category=None, content="楼道热表嗡嗡响"), by=org.operator
    )

    # then: the cache was dropped and the new category was suggested
    assert service_request.category is not None
    assert service_request.category.code == "meter_noise"


@pytest.mark.django_db
def test_a_category_changed_in_another_process_is_seen_when_the_cache_time_is_over() -> None:
    with time_machine.travel(T0, tick=False):
        assert any(c.code == "low_temperature" for c in categories_active())
        Category.objects.filter(code="low_temperature").update(is_active=False)  # no signal in this process
        assert any(c.code == "low_temperature" for c in categories_active())
    with time_machine.travel(T0 + timedelta(seconds=CATEGORY_CACHE_SECONDS + 1), tick=False):
        assert not any(c.code == "low_temperature" for c in categories_active())


@pytest.mark.django_db
def test_a_new_district_responsible_gets_the_next_job_at_once(org: Org) -> None:
    # given: the districts are cached in the process, with their responsible persons
    first, _ = request_register(intake=_intake(org, phone="13800000007"), by=org.operator)
    assert first.assignee == org.responsible

    # when: the district's responsible person changes (saved here)
    org.district.responsible = org.worker
    org.district.save()
    second, _ = request_register(intake=_intake(org, phone="13800000008"), by=org.operator)

    # then: the next call goes to the new responsible person
    assert second.assignee == org.worker
    assert second.district_id == org.district.pk


@pytest.mark.django_db
def test_a_district_changed_in_another_process_is_seen_when_the_cache_time_is_over(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        assert districts_by_id()[org.district.pk].responsible_id == org.responsible.pk
        District.objects.filter(pk=org.district.pk).update(responsible=org.worker)  # no signal here
        assert districts_by_id()[org.district.pk].responsible_id == org.responsible.pk
    with time_machine.travel(T0 + timedelta(seconds=DISTRICT_CACHE_SECONDS + 1), tick=False):
        assert districts_by_id()[org.district.pk].responsible_id == org.worker.pk


@pytest.mark.django_db
def test_the_intake_statement_is_parsed_once_per_process(org: Org) -> None:
    """psycopg parses a statement of more than 50 parameters anew on every run unless its limits are
    raised (heatline.core.apps): the intake's one statement is read from its cache the second time."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's driver")
    from psycopg import _queries

    request_register(intake=_intake(org, phone="13800000021"), by=org.operator)
    hits = _queries._query2pg.cache_info().hits
    request_register(intake=_intake(org, phone="13800000022"), by=org.operator)
    assert _queries._query2pg.cache_info().hits >= hits + 3  # number, household and the request's family


@pytest.mark.django_db
def test_a_push_that_loses_the_race_inside_a_callers_transaction_answers_with_the_winner(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pushes of one order at once both pass the duplicate check; the second write breaks the unique
    rule. Inside a caller's transaction (the platform exchange is one) that must cost a savepoint, not the
    caller's transaction: the loser answers with the winner's request and the caller goes on."""
    from django.db import transaction

    from heatline.requests import services

    winner, _ = request_register(
        intake=_intake(org, source=Source.GOV_12345, external_id="GOV-R"), by=org.operator
    )
    take_number = services.request_number_next
    monkeypatch.setattr(services, "request_number_next", lambda day, unless_order=None: take_number(day))
    with transaction.atomic():
        loser, created = request_register(
            intake=_intake(org, source=Source.GOV_12345, external_id="GOV-R", phone="13800000077"),
            by=org.operator,
        )
        assert ServiceRequest.objects.filter(external_id="GOV-R").count() == 1  # the transaction goes on
    assert (loser.pk, created) == (winner.pk, False)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_pushes_of_one_order_at_once_make_one_request(org: Org) -> None:
    """The platform pushes one order again and again, from several connections at the same moment (half of
    them inside a transaction, as the exchange runs): one request, one family of rows, the same answer."""
    import threading

    from django.db import transaction

    count = 8
    barrier = threading.Barrier(count)
    answers: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def push(index: int) -> None:
        try:
            barrier.wait()
            intake = _intake(
                org, source=Source.GOV_12345, external_id="GOV-AT-ONCE", phone=f"138000001{index:02d}"
            )
            if index % 2:
                with transaction.atomic():
                    answer = request_register(intake=intake, by=org.operator)
            else:
                answer = request_register(intake=intake, by=org.operator)
            with lock:
                answers.append((answer[0].pk, answer[1]))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=push, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    stored = ServiceRequest.objects.get(source=Source.GOV_12345, external_id="GOV-AT-ONCE")
    assert len(answers) == count and {pk for pk, _ in answers} == {stored.pk}
    assert [created for _, created in answers].count(True) == 1
    assert sorted(stored.events.values_list("action", flat=True)) == ["dispatch", "register"]
    assert stored.clocks.filter(name="intake").count() == 1
