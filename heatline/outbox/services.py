"""The outbox: enqueue in the caller's transaction; senders registered by topic deliver later."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from heatline.core.inserts import insert_rows
from heatline.outbox.models import Notification, Outbox

log = logging.getLogger(__name__)

Sender = Callable[[Outbox], None]
SENDERS: dict[str, Sender] = {}
MAX_ATTEMPTS = 12


class PermanentFailure(Exception):
    """A sender's word that retrying cannot help (bad address, rejected payload)."""


def sender(topic: str) -> Callable[[Sender], Sender]:
    """Register a sender for a topic (`"*"` is the fallback). Integrations register theirs; domain apps never import them."""

    def register(function: Sender) -> Sender:
        SENDERS[topic] = function
        return function

    return register


def outbox_enqueue(
    *,
    topic: str,
    key: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    at: datetime | None = None,
) -> Outbox | None:
    """Queue a message in the current transaction. With `dedupe_key`, a second enqueue is a no-op (returns None)."""
    now = at or timezone.now()
    if dedupe_key is not None:
        try:
            with transaction.atomic():
                return Outbox.objects.create(
                    topic=topic,
                    key=key,
                    payload=payload,
                    dedupe_key=dedupe_key,
                    created_at=now,
                    available_at=now,
                )
        except IntegrityError:
            return None
    return Outbox.objects.create(topic=topic, key=key, payload=payload, created_at=now, available_at=now)


def outbox_rows(*, messages: list[dict[str, Any]], at: datetime | None = None) -> list[Outbox]:
    """The unsaved outbox rows of `messages` (each a dict of topic, key, payload, dedupe_key), for a caller
    that writes them with its own rows (`insert_family`)."""
    now = at or timezone.now()
    return [
        Outbox(
            topic=message["topic"],
            key=message["key"],
            payload=message["payload"],
            dedupe_key=message.get("dedupe_key"),
            created_at=now,
            available_at=now,
        )
        for message in messages
    ]


def outbox_enqueue_many(*, messages: list[dict[str, Any]], at: datetime | None = None) -> int:
    """Queue many messages in one INSERT (each a dict of topic, key, payload, dedupe_key). Messages whose
    `dedupe_key` is already queued are skipped (ON CONFLICT DO NOTHING): a batch job may repeat safely."""
    rows = outbox_rows(messages=messages, at=at)
    if len(rows) <= 20 and all(row.dedupe_key is None for row in rows):  # nothing to skip: the lean INSERT
        insert_rows(rows)
        return len(rows)
    return len(Outbox.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500))


def notification_message(
    *, recipient_id: int, title: str, body: str = "", link: str = "", dedupe_key: str | None = None
) -> dict[str, Any]:
    """The outbox message `notify` would queue, for `outbox_enqueue_many`."""
    return {
        "topic": "notify",
        "key": str(recipient_id),
        "payload": {"recipient": recipient_id, "title": title, "body": body, "link": link},
        "dedupe_key": dedupe_key,
    }


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at 30 minutes."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 1800))


LEASE = timedelta(minutes=2)


def outbox_claim(*, now: datetime, batch: int = 100) -> list[Outbox]:
    """Claim a bounded batch of due messages for this worker: lock them (SKIP LOCKED on PostgreSQL), push
    their `available_at` a lease ahead so no other worker takes them, and commit at once."""
    with transaction.atomic():
        due = Outbox.objects.filter(delivered_at=None, failed_at=None, available_at__lte=now)
        claimed = list(due.order_by("available_at", "id").select_for_update(skip_locked=True)[:batch])
        if claimed:
            Outbox.objects.filter(pk__in=[message.pk for message in claimed]).update(available_at=now + LEASE)
    return claimed


def outbox_deliver(*, now: datetime, batch: int = 100) -> int:
    """Deliver a bounded batch of due messages. Safe to run in several workers at once.

    1. Claim due rows under a lease (see `outbox_claim`), committed before anything is sent.
    2. Hand each to its topic's sender and mark it delivered in one short transaction, so a local side
       effect (an inbox row) and the mark commit together.
    3. On failure count the attempt and push `available_at` back (or give up on a permanent failure).
    A worker killed mid-batch leaves its unsent rows claimed until the lease ends; then another worker
    sends them. At most the one message in flight at the kill can reach a remote twice, carrying the
    same `message_id` for the receiver to recognise.
    """
    claimed = outbox_claim(now=now, batch=batch)
    for message in claimed:
        _deliver_one(message, now=now)
    return len(claimed)


def _deliver_one(message: Outbox, *, now: datetime) -> None:
    send = SENDERS.get(message.topic) or SENDERS.get("*")
    attempts = message.attempts + 1
    row = Outbox.objects.filter(pk=message.pk, delivered_at=None)
    try:
        with transaction.atomic():
            if send is not None:
                send(message)
            row.update(delivered_at=now, attempts=attempts, last_error="")
    except PermanentFailure as error:
        row.update(failed_at=now, attempts=attempts, last_error=str(error)[:2000])
    except Exception as error:  # a sender's failure must not stop the batch
        log.warning("outbox %s (%s) failed, attempt %s: %s", message.pk, message.topic, attempts, error)
        text = f"{type(error).__name__}: {error}"[:2000]
        if attempts >= MAX_ATTEMPTS:
            row.update(failed_at=now, attempts=attempts, last_error=text)
        else:
            row.update(available_at=now + backoff(attempts), attempts=attempts, last_error=text)


def outbox_retry(*, message: Outbox, now: datetime) -> Outbox:
    """Staff re-send a failed message: it becomes due again with a fresh attempt count."""
    Outbox.objects.filter(pk=message.pk).update(
        failed_at=None, delivered_at=None, available_at=now, attempts=0
    )
    message.refresh_from_db()
    return message


def notify(
    *, recipient_id: int, title: str, body: str = "", link: str = "", dedupe_key: str | None = None
) -> Outbox | None:
    """Queue an in-app notification (delivered by the worker into the recipient's inbox)."""
    return outbox_enqueue(
        topic="notify",
        key=str(recipient_id),
        payload={"recipient": recipient_id, "title": title, "body": body, "link": link},
        dedupe_key=dedupe_key,
    )


@sender("live.call")
@sender("live.hotspot")
def deliver_to_screens(message: Outbox) -> None:
    """`live.*` messages are for the open browsers only: the live feed (core/live.py) reads them off the
    outbox as it is written; delivering is marking them done."""


@sender("notify")
def deliver_notification(message: Outbox) -> None:
    """Inbox sender: one Notification per message (idempotent through the one-to-one `source`)."""
    payload = message.payload
    Notification.objects.get_or_create(
        source=message,
        defaults={
            "recipient_id": payload["recipient"],
            "created_at": message.created_at,
            "title": payload.get("title", "")[:200],
            "body": payload.get("body", ""),
            "link": payload.get("link", "")[:200],
        },
    )


@sender("*")
def deliver_to_log(message: Outbox) -> None:
    """The default sender: write the message to the log (SMS and webhooks are adapters behind settings)."""
    log.info("outbox %s %s %s", message.topic, message.key, message.payload)


def outbox_anonymise(*, before: datetime) -> int:
    """Delivered messages created before `before` lose the phone number and text they carried (the row,
    its topic and times stay). Returns how many were blanked."""
    blanked = 0
    rows = (
        Outbox.objects.filter(created_at__lt=before, delivered_at__isnull=False)
        .filter(models.Q(payload__has_key="phone") | models.Q(payload__has_key="text"))
        .values_list("id", "payload")
    )
    while chunk := list(rows[:5000]):  # a blanked row has neither key: the next query moves on
        for pk, payload in chunk:
            kept = {key: value for key, value in payload.items() if key not in ("phone", "text", "name")}
            Outbox.objects.filter(pk=pk).update(payload=kept | {"anonymised": True})
        blanked += len(chunk)
    return blanked
