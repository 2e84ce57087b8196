"""The outbox: enqueue in the caller's transaction, deliver with retries, once."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from heatline.outbox.models import Notification, Outbox
from heatline.outbox.services import (
    MAX_ATTEMPTS,
    SENDERS,
    PermanentFailure,
    backoff,
    deliver_notification,
    notify,
    outbox_deliver,
    outbox_enqueue,
    outbox_retry,
)
from heatline.registry.tests.factories import Org

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def restore_senders() -> Iterator[None]:
    saved = dict(SENDERS)
    yield
    SENDERS.clear()
    SENDERS.update(saved)


@pytest.mark.django_db
def test_a_dedupe_key_makes_a_second_enqueue_a_no_op() -> None:
    first = outbox_enqueue(topic="t", key="k", payload={"a": 1}, dedupe_key="once", at=T0)
    second = outbox_enqueue(topic="t", key="k", payload={"a": 2}, dedupe_key="once", at=T0)
    assert first is not None and second is None
    assert Outbox.objects.count() == 1


@pytest.mark.django_db
def test_a_message_of_a_rolled_back_change_is_never_sent() -> None:
    # given: a change that fails after queueing its message
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(topic="t", key="k", payload={})
        raise RuntimeError("the change failed")

    # then: nothing to deliver
    assert outbox_deliver(now=T0 + timedelta(hours=1)) == 0
    assert not Outbox.objects.exists()


@pytest.mark.django_db
def test_a_message_is_not_delivered_before_it_is_due() -> None:
    outbox_enqueue(topic="t", key="k", payload={}, at=T0)
    assert outbox_deliver(now=T0 - timedelta(seconds=1)) == 0
    assert outbox_deliver(now=T0) == 1
    assert Outbox.objects.get().delivered_at == T0


@pytest.mark.django_db
def test_a_permanent_failure_stops_retrying(restore_senders: None) -> None:
    def rejects(message: Outbox) -> None:
        raise PermanentFailure("bad phone number")

    SENDERS["t.bad"] = rejects
    outbox_enqueue(topic="t.bad", key="k", payload={}, at=T0)
    assert outbox_deliver(now=T0) == 1
    message = Outbox.objects.get()
    assert message.failed_at == T0 and message.delivered_at is None
    assert "bad phone number" in message.last_error
    assert outbox_deliver(now=T0 + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_transient_failures_back_off_and_give_up_after_max_attempts(restore_senders: None) -> None:
    def down(message: Outbox) -> None:
        raise TimeoutError("gateway timeout")

    SENDERS["t.down"] = down
    outbox_enqueue(topic="t.down", key="k", payload={}, at=T0)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert outbox_deliver(now=now) == 1
        now += backoff(attempt)
    message = Outbox.objects.get()
    assert message.attempts == MAX_ATTEMPTS and message.failed_at is not None
    assert backoff(1) == timedelta(seconds=10) and backoff(30) == timedelta(minutes=30)

    # when: staff re-send it after the gateway is back
    SENDERS["t.down"] = lambda message: None
    outbox_retry(message=message, now=now)
    assert outbox_deliver(now=now) == 1
    message.refresh_from_db()
    assert message.delivered_at == now and message.attempts == 1


@pytest.mark.django_db
def test_a_failure_does_not_stop_the_rest_of_the_batch(restore_senders: None) -> None:
    def picky(message: Outbox) -> None:
        if message.key == "bad":
            raise ValueError("no")

    SENDERS["t.picky"] = picky
    for key in ("a", "bad", "c"):
        outbox_enqueue(topic="t.picky", key=key, payload={}, at=T0)
    assert outbox_deliver(now=T0) == 3
    assert set(Outbox.objects.exclude(delivered_at=None).values_list("key", flat=True)) == {"a", "c"}


@pytest.mark.django_db
def test_notifications_land_in_the_inbox_once(org: Org) -> None:
    message = notify(recipient_id=org.responsible.pk, title="新工单", body="暖气不热", link="/requests/RX1/")
    assert message is not None
    assert outbox_deliver(now=message.available_at) == 1
    deliver_notification(message)  # a repeated hand-over (e.g. after a crash) adds nothing
    inbox = Notification.objects.get(recipient=org.responsible)
    assert (inbox.title, inbox.body, inbox.link) == ("新工单", "暖气不热", "/requests/RX1/")
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_unknown_topics_go_to_the_log_sender(caplog: pytest.LogCaptureFixture) -> None:
    outbox_enqueue(topic="t.unknown", key="RX1", payload={"to": "closed"}, at=T0)
    with caplog.at_level("INFO", logger="heatline.outbox.services"):
        assert outbox_deliver(now=T0) == 1
    assert "t.unknown RX1" in caplog.text
