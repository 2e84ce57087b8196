"""`insert_rows`, the lean INSERT of the intake path: what it stores equals what the ORM stores."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from heatline.core.inserts import insert_family, insert_rows
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import Org
from heatline.requests.models import Clock, RequestEvent, ServiceRequest, Source, Status

T0 = datetime(2026, 11, 20, 8, 0, 30, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


def _dispatched(org: Org, number: str, **fields: Any) -> ServiceRequest:
    """An unsaved request of the org's household, dispatched to its district's responsible person."""
    return ServiceRequest(
        number=number,
        phone="13800000001",
        content="暖气不热",
        household=org.household,
        district=org.district,
        assignee=org.responsible,
        received_at=T0,
        registered_at=T0,
        status=Status.DISPATCHED,
        **fields,
    )


@pytest.mark.django_db
def test_rows_get_their_keys_and_are_stored_as_the_orm_stores_them(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        request = _dispatched(org, "RX2026112099999", source=Source.HOTLINE)
        insert_rows([request])
        # the related object's key is taken as the ORM would, after the parent got its own
        clocks = [
            Clock(service_request=request, name=name, round=1, started_at=T0, due_at=T0, warn_at=T0)
            for name in ("intake", "contact", "repair")
        ]
        insert_rows(clocks)
        insert_rows(
            [
                RequestEvent(
                    service_request=request,
                    actor=org.operator,
                    at=T0,
                    action="register",
                    extra={"a": [1, "二"]},
                )
            ]
        )
        insert_rows([Outbox(topic="t", key="k", payload={"x": "热"}, created_at=T0, available_at=T0)])
        insert_rows([])  # nothing to do

    assert request.pk is not None and not request._state.adding
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.number, stored.household_id, stored.assignee_id, stored.status) == (
        "RX2026112099999",
        org.household.pk,
        org.responsible.pk,
        Status.DISPATCHED,
    )
    assert stored.received_at == T0  # microseconds and time zone kept
    assert stored.updated_at == T0  # auto_now applied
    assert stored.version == 1 and stored.repeat_count == 0  # defaults
    assert [c.pk for c in clocks] == sorted(c.pk for c in clocks)  # keys in the order of the rows
    assert sorted(Clock.objects.filter(service_request=request).values_list("pk", "name")) == sorted(
        (c.pk, c.name) for c in clocks
    )
    assert RequestEvent.objects.get(service_request=request).extra == {"a": [1, "二"]}
    assert Outbox.objects.get(topic="t").payload == {"x": "热"}


@pytest.mark.django_db
def test_a_row_whose_parent_is_unsaved_is_refused(org: Org) -> None:
    unsaved = ServiceRequest(number="RX0", source=Source.HOTLINE, received_at=T0, registered_at=T0)
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_rows(
            [Clock(service_request=unsaved, name="intake", round=1, started_at=T0, due_at=T0, warn_at=T0)]
        )


@pytest.mark.django_db
def test_values_of_another_type_are_prepared_as_the_orm_prepares_them(org: Org) -> None:
    """Plain values pass as they are; any other goes through the field (an int for a text column, a bool
    for a number, a choice member, a lazy translation)."""
    from django.utils.translation import gettext_lazy

    request = ServiceRequest(
        number="RX2026112099998",
        source=Source.HOTLINE,
        phone=13800000002,  # type: ignore[misc]
        caller_name=gettext_lazy("匿名"),
        content="暖气不热",
        repeat_count=True,  # type: ignore[misc]
        received_at=T0,
        registered_at=T0,
        status=Status.REGISTERED,
    )
    insert_rows([request])
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.phone, stored.caller_name, stored.repeat_count, stored.status) == (
        "13800000002",
        "匿名",
        1,
        "registered",
    )
    assert type(stored.repeat_count) is int


def _family(org: Org, number: str) -> tuple[ServiceRequest, list[Clock], list[RequestEvent], list[Outbox]]:
    request = _dispatched(org, number, source=Source.GOV_12345, external_id=f"EXT-{number}")
    clocks = [
        Clock(service_request=request, name=name, round=1, started_at=T0, due_at=T0, warn_at=T0)
        for name in ("intake", "contact", "repair")
    ]
    events = [
        RequestEvent(service_request=request, actor=org.operator, at=T0, action=action, extra={"n": i})
        for i, action in enumerate(("register", "dispatch"))
    ]
    outbox = [
        Outbox(topic="request.moved", key=number, payload={"to": to}, created_at=T0, available_at=T0)
        for to in ("registered", "dispatched")
    ]
    return request, clocks, events, outbox


@pytest.mark.django_db
def test_a_family_is_written_at_once_with_every_key(org: Org, django_assert_num_queries: Any) -> None:
    request, clocks, events, outbox = _family(org, "RX2026112099997")
    # within the test's transaction: a savepoint, one statement (PostgreSQL) or four INSERTs, its release
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 6):
        insert_family(request, clocks, events, [], outbox)

    assert request.pk is not None and not request._state.adding
    for row in (*clocks, *events, *outbox):
        assert row.pk is not None and not row._state.adding and row._state.db == "default"
    for row in (*clocks, *events):
        assert row.service_request_id == request.pk
        assert row.service_request is request  # still the same object, no read
    assert [row.pk for row in clocks] == sorted(row.pk for row in clocks)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.number, stored.household_id, stored.assignee_id, stored.external_id) == (
        "RX2026112099997",
        org.household.pk,
        org.responsible.pk,
        "EXT-RX2026112099997",
    )
    assert stored.received_at == T0
    assert sorted(Clock.objects.filter(service_request=request).values_list("pk", "name")) == sorted(
        (row.pk, row.name) for row in clocks
    )
    assert sorted(
        RequestEvent.objects.filter(service_request=request).values_list("pk", "action", "extra")
    ) == [
        (events[0].pk, "register", {"n": 0}),
        (events[1].pk, "dispatch", {"n": 1}),
    ]
    assert list(Outbox.objects.filter(key="RX2026112099997").order_by("pk").values_list("pk", "payload")) == [
        (outbox[0].pk, {"to": "registered"}),
        (outbox[1].pk, {"to": "dispatched"}),
    ]


@pytest.mark.django_db
def test_a_family_that_fails_anywhere_leaves_nothing(org: Org) -> None:
    request, clocks, events, outbox = _family(org, "RX2026112099996")
    clocks.append(
        Clock(service_request=request, name="intake", round=1, started_at=T0, due_at=T0, warn_at=T0)
    )
    with pytest.raises(IntegrityError):
        insert_family(request, clocks, events, outbox)  # the second intake clock breaks the unique rule
    # the caller's transaction (here the test's) is still usable, and holds nothing of the family
    assert not ServiceRequest.objects.filter(number="RX2026112099996").exists()
    assert not Outbox.objects.filter(key="RX2026112099996").exists()
    assert not RequestEvent.objects.filter(extra__n=0).exists()


@pytest.mark.django_db
def test_a_family_row_must_point_at_its_parent(org: Org) -> None:
    request, clocks, _events, _outbox = _family(org, "RX2026112099995")
    other, *_rest = _family(org, "RX2026112099994")
    clocks[1].service_request = other
    with pytest.raises(ValueError, match="does not point at the parent"):
        insert_family(request, clocks)
    assert not ServiceRequest.objects.filter(number="RX2026112099995").exists()


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_a_family_is_one_statement_on_postgresql(org: Org) -> None:
    request, clocks, events, outbox = _family(org, "RX2026112099993")
    with CaptureQueriesContext(connection) as queries:
        insert_family(request, clocks, events, outbox)
    assert [query["sql"][:20] for query in queries.captured_queries] == ["/* prepared */ WITH "]
    assert Clock.objects.filter(service_request=request).count() == 3  # committed by itself
