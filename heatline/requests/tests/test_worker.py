"""`heatline worker`: warnings and breaches once, several workers never double-send, a killed worker
loses nothing (issue 3, ARCHITECTURE.md "a breach is recorded once … never double-send")."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from heatline.core.worker import discover, run_once
from heatline.outbox.models import Notification, Outbox
from heatline.outbox.services import LEASE, SENDERS, deliver_notification, notify, outbox_deliver
from heatline.registry.tests.factories import Org
from heatline.requests.jobs import clocks_sweep, clocks_warn
from heatline.requests.models import Clock, ClockName
from heatline.requests.tests.factories import emergency_request, registered_request

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
REQUEST_JOBS = {"clocks_sweep", "clocks_warn", "outbox_deliver"}


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, the transaction never commits."""


@pytest.fixture
def restore_senders() -> Iterator[None]:
    saved = dict(SENDERS)
    yield
    SENDERS.clear()
    SENDERS.update(saved)


def test_the_worker_knows_the_request_and_outbox_jobs() -> None:
    assert set(discover()) >= REQUEST_JOBS


@pytest.mark.django_db
def test_warning_and_breach_are_recorded_once_however_often_the_worker_runs(org: Org) -> None:
    # given: a routine request dispatched at 08:00 (contact due 08:30, warning at 80% = 08:24)
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = registered_request(org)

        # when: the worker runs again and again, before and after the warning and the due time
        for minutes in (10, 23, 25, 25, 26, 29, 31, 31, 45, 90, 90):
            traveller.move_to(T0 + timedelta(minutes=minutes))
            run_once(now=timezone.now(), only=REQUEST_JOBS)

    # then: the contact clock was warned once (at the first run past 08:24) and breached once, at 08:30
    contact = service_request.clocks.get(name=ClockName.CONTACT)
    assert contact.warned_at == T0 + timedelta(minutes=25)
    assert contact.breached_at == contact.due_at == T0 + timedelta(minutes=30)
    messages = Counter(Outbox.objects.filter(key=service_request.number).values_list("topic", flat=True))
    assert messages["clock.warning"] == 1
    assert messages["clock.breached"] == 1
    # the assignee got one warning, each supervisor one breach notice, all delivered to the inbox
    assert Notification.objects.filter(recipient=org.responsible, title__startswith="即将超时").count() == 1
    assert Notification.objects.filter(recipient=org.dept_head, title__startswith="超时").count() == 1
    assert Notification.objects.filter(recipient=org.branch_manager, title__startswith="超时").count() == 1
    assert not Outbox.objects.filter(delivered_at=None).exists()
    # the repair clock (48 h) is untouched
    repair = service_request.clocks.get(name=ClockName.REPAIR)
    assert repair.warned_at is None and repair.breached_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("microseconds", [0, 123456])
def test_the_breach_message_carries_the_clock_and_its_due_time_in_iso_8601(
    org: Org, microseconds: int
) -> None:
    # given: a request whose contact clock falls due (with or without a fraction of a second)
    with time_machine.travel(T0 + timedelta(microseconds=microseconds), tick=False):
        service_request = registered_request(org)
    contact = service_request.clocks.get(name=ClockName.CONTACT)

    # when: the sweep runs after the due time, twice
    assert clocks_sweep(now=contact.due_at + timedelta(minutes=1)) >= 1
    assert clocks_sweep(now=contact.due_at + timedelta(minutes=2)) == 0

    # then: one message, whose payload the database built as Python would have
    message = Outbox.objects.get(topic="clock.breached", dedupe_key=f"breach:{contact.pk}")
    assert message.key == service_request.number
    assert message.payload == {
        "number": service_request.number,
        "clock": "contact",
        "round": 1,
        "due_at": contact.due_at.astimezone(ZoneInfo("UTC")).isoformat(),
    }
    assert datetime.fromisoformat(message.payload["due_at"]) == contact.due_at
    assert message.delivered_at is None and message.attempts == 0 and message.available_at is not None


@pytest.mark.django_db
def test_a_met_clock_is_never_breached(org: Org) -> None:
    # given: an emergency whose crew arrived after 40 minutes
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = emergency_request(org)
        traveller.move_to(T0 + timedelta(minutes=40))
        from heatline.requests.transitions import request_transition

        request_transition(service_request=service_request, action="arrive", by=org.crew_leader)

        # when: the sweep runs long after the 1-hour limit
        traveller.move_to(T0 + timedelta(hours=3))
        clocks_sweep(now=timezone.now())
        clocks_warn(now=timezone.now())

    # then: the arrival clock is met in time, with no breach and no message
    arrival = service_request.clocks.get(name=ClockName.ARRIVAL)
    assert arrival.met_at == T0 + timedelta(minutes=40)
    assert arrival.breached_at is None
    assert not Outbox.objects.filter(topic="clock.breached").exists()


@pytest.mark.django_db
def test_a_sender_failure_is_retried_with_back_off_and_delivered_once(
    org: Org, restore_senders: None
) -> None:
    # given: a sender that fails once
    calls: list[int] = []

    def flaky(message: Outbox) -> None:
        calls.append(message.pk)
        if len(calls) == 1:
            raise ConnectionError("sms gateway down")

    SENDERS["test.flaky"] = flaky
    from heatline.outbox.services import outbox_enqueue

    with time_machine.travel(T0, tick=False) as traveller:
        message = outbox_enqueue(topic="test.flaky", key="k", payload={})
        assert message is not None

        # when: the worker runs at once, again too early, and after the back-off
        assert outbox_deliver(now=timezone.now()) == 1
        assert outbox_deliver(now=timezone.now() + timedelta(seconds=5)) == 0
        traveller.move_to(T0 + timedelta(seconds=11))
        assert outbox_deliver(now=timezone.now()) == 1
        assert outbox_deliver(now=timezone.now()) == 0

    # then: two attempts, delivered once
    message.refresh_from_db()
    assert calls == [message.pk, message.pk]
    assert message.attempts == 2 and message.delivered_at is not None and message.last_error == ""


@pytest.mark.django_db
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    org: Org, restore_senders: None
) -> None:
    # given: five inbox messages, and a worker that dies while handing over the third
    for index in range(5):
        notify(recipient_id=org.responsible.pk, title=f"消息{index}")
    handed: list[int] = []

    def dies_on_the_third(message: Outbox) -> None:
        handed.append(message.pk)
        deliver_notification(message)
        if len(handed) == 3:
            raise Killed()

    SENDERS["notify"] = dies_on_the_third

    # when: the worker is killed mid-batch
    with pytest.raises(Killed):
        outbox_deliver(now=timezone.now())

    # then: the two handed over before the kill are delivered (each with its inbox row, committed together);
    # the one in flight left nothing behind; the rest stay claimed under the dead worker's lease
    assert Outbox.objects.filter(delivered_at=None).count() == 3
    assert Notification.objects.count() == 2

    # when: another worker runs before the lease ends, and again after it
    SENDERS["notify"] = deliver_notification
    assert outbox_deliver(now=timezone.now()) == 0
    later = timezone.now() + LEASE + timedelta(seconds=1)
    assert outbox_deliver(now=later) == 3
    assert outbox_deliver(now=later) == 0

    # then: each message is delivered exactly once
    assert Outbox.objects.filter(delivered_at=None).count() == 0
    assert sorted(Notification.objects.values_list("title", flat=True)) == [f"消息{i}" for i in range(5)]


@pytest.mark.django_db
def test_a_sweep_killed_mid_batch_is_finished_by_the_next_one(org: Org) -> None:
    # given: ten requests whose contact clocks ran out
    with time_machine.travel(T0, tick=False) as traveller:
        for _index in range(10):
            registered_request(org)
        traveller.move_to(T0 + timedelta(hours=1))
        import heatline.requests.jobs as jobs

        original = jobs.outbox_enqueue_many
        calls: list[int] = []

        def dies_in_the_second_batch(**kwargs: Any) -> int:
            calls.append(1)
            if len(calls) == 2:
                raise Killed()
            return original(**kwargs)

        jobs.outbox_enqueue_many = dies_in_the_second_batch  # type: ignore[assignment]
        try:
            assert clocks_sweep(now=timezone.now(), batch=4) == 4
            with pytest.raises(Killed):
                clocks_sweep(now=timezone.now(), batch=4)
        finally:
            jobs.outbox_enqueue_many = original

        # then: the first batch stands, the killed one left nothing; the next sweeps record the rest once
        assert Clock.objects.exclude(breached_at=None).count() == 4
        assert Outbox.objects.filter(topic="clock.breached").count() == 4
        assert clocks_sweep(now=timezone.now()) == 6
        assert clocks_sweep(now=timezone.now()) == 0
    assert Outbox.objects.filter(topic="clock.breached").count() == 10


def _in_threads(count: int, work: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SKIP LOCKED and concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_workers_on_postgresql_never_double_send(org: Org, restore_senders: None) -> None:
    # given: 300 messages and a sender that counts what it is handed
    from heatline.outbox.services import outbox_enqueue

    for index in range(300):
        outbox_enqueue(topic="test.count", key=str(index), payload={})
    handed: Counter[int] = Counter()
    lock = threading.Lock()

    def counting(message: Outbox) -> None:
        with lock:
            handed[message.pk] += 1

    SENDERS["test.count"] = counting

    def worker() -> None:
        while outbox_deliver(now=timezone.now(), batch=7):
            pass

    # when: four workers deliver at once, each on its own connection
    errors = _in_threads(4, worker)

    # then: every message handed over exactly once and marked delivered
    assert errors == []
    assert len(handed) == 300 and set(handed.values()) == {1}
    assert not Outbox.objects.filter(delivered_at=None).exists()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SKIP LOCKED and concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_sweepers_on_postgresql_record_each_breach_once(org: Org) -> None:
    # given: 40 requests whose contact clocks ran out an hour ago
    with time_machine.travel(T0, tick=False):
        for _index in range(40):
            registered_request(org)
    later = T0 + timedelta(hours=1)
    claimed: list[int] = []
    lock = threading.Lock()

    def sweeper() -> None:
        while True:
            breached = clocks_sweep(now=later, batch=3)
            warned = clocks_warn(now=later, batch=3)
            with lock:
                claimed.append(breached)
            if not breached and not warned:
                return

    # when: four sweepers run at once
    errors = _in_threads(4, sweeper)

    # then: 40 breaches, each claimed once and announced once
    assert errors == []
    assert Clock.objects.filter(name=ClockName.CONTACT).exclude(breached_at=None).count() == 40
    assert Outbox.objects.filter(topic="clock.breached").count() == 40
    assert sum(claimed) == 40  # no clock was claimed by two sweepers
