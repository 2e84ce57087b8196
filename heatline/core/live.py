"""The live feed: changes pushed to the open browsers as server-sent events (issue 20, live screens).

The outbox is already the transactional change log: every step of a request writes a `request.moved`
row, every notification a `notify` row, a ringing call a `live.call` row — in the same transaction as the
change, so an event is seen exactly when the change is committed. One thread per web process (the
`Feed`) reads the new outbox rows every `HEATLINE_LIVE_POLL` seconds (0.25 by default; one indexed query
however many browsers are connected), turns each into an `Event` with its audience (a district, the people
it is "for", or one user), and hands it to every connected stream — the queue of a WSGI thread (gunicorn's
gthread workers, what `heatline serve` runs) or of an ASGI coroutine — which keeps the events its viewer may
see. No broker is needed and several web processes each run their own feed.

Events carry no personal data: a request's number, kind, status and action; a call's id. The browser reads
anything more through the ordinary pages, which check and mask as always.

Outbox ids may commit out of order on PostgreSQL (a sequence value is taken at insert, visible at commit):
the feed keeps a floor below which every id has been seen, and gives a missing id `GAP_WAIT` to appear
before it stops waiting for it (a rolled-back transaction leaves a permanent gap).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from heatline.registry.models import DISTRICT_ROLES, Role, Staff
from heatline.registry.scoping import visible_district_ids

log = logging.getLogger(__name__)

GAP_WAIT = 5.0  # seconds a missing outbox id is waited for
BATCH = 1000
QUEUE_SIZE = 200  # events a slow browser may fall behind by before it is told to reload


@dataclass(frozen=True)
class Viewer:
    """What the fan-out needs to know of a connected user, read once when the stream opens."""

    user_id: int
    districts: frozenset[int] | None  # None: all districts
    team_id: int | None
    department_id: int | None
    own_district_id: int | None  # district staff: the district whose requests are theirs

    @classmethod
    def of(cls, staff: Staff) -> Viewer:
        return cls(
            user_id=staff.pk,
            districts=visible_district_ids(staff),
            team_id=staff.team_id,
            department_id=staff.department_id if staff.role == Role.DEPT_HEAD else None,
            own_district_id=staff.district_id if staff.role in DISTRICT_ROLES else None,
        )


@dataclass(frozen=True)
class Event:
    id: int
    type: str  # "request", "notify", "call", "hotspot"
    data: dict[str, Any]
    district_id: int | None = None
    user_id: int | None = None  # only this user (a notification, a ringing call)
    assignee_id: int | None = None
    team_id: int | None = None
    department_id: int | None = None  # (a request without a district reaches company-wide viewers only)

    def for_viewer(self, viewer: Viewer) -> dict[str, Any] | None:
        """The event's data as this viewer receives it, or None when it is not theirs to see."""
        if self.user_id is not None:
            return self.data if self.user_id == viewer.user_id else None
        if viewer.districts is not None and (
            self.district_id is None or self.district_id not in viewer.districts
        ):
            return None
        mine = (
            (self.assignee_id is not None and self.assignee_id == viewer.user_id)
            or (self.team_id is not None and self.team_id == viewer.team_id)
            or (self.department_id is not None and self.department_id == viewer.department_id)
            or (self.district_id is not None and self.district_id == viewer.own_district_id)
        )
        return {**self.data, "mine": mine}


def _request_events(rows: list[tuple[int, str, str, dict[str, Any]]]) -> list[Event]:
    from heatline.requests.models import ServiceRequest

    numbers = {key for _id, _topic, key, _payload in rows}
    facts: dict[str, tuple[int | None, int | None, int | None, int | None, str, str]] = {
        number: (district_id, assignee_id, team_id, department_id, kind, status)
        for number, district_id, assignee_id, team_id, department_id, kind, status in (
            ServiceRequest.objects.filter(number__in=numbers).values_list(
                "number", "district_id", "assignee_id", "team_id", "department_id", "kind", "status"
            )
        )
    }
    events = []
    for outbox_id, _topic, key, payload in rows:
        if key not in facts:
            continue
        district_id, assignee_id, team_id, department_id, kind, status = facts[key]
        events.append(
            Event(
                id=outbox_id,
                type="request",
                data={
                    "number": key,
                    "action": payload.get("action", ""),
                    "to": payload.get("to", ""),
                    "status": status,
                    "kind": kind,
                },
                district_id=district_id,
                assignee_id=assignee_id,
                team_id=team_id,
                department_id=department_id,
            )
        )
    return events


def events_of(rows: Iterable[tuple[int, str, str, dict[str, Any]]]) -> list[Event]:
    """The live events of outbox rows (id, topic, key, payload); other topics are not for the screens."""
    moved: list[tuple[int, str, str, dict[str, Any]]] = []
    events: list[Event] = []
    for outbox_id, topic, key, payload in rows:
        if topic == "request.moved":
            moved.append((outbox_id, topic, key, payload))
        elif topic == "notify" and payload.get("recipient"):
            events.append(
                Event(
                    id=outbox_id,
                    type="notify",
                    data={"title": payload.get("title", ""), "link": payload.get("link", "")},
                    user_id=int(payload["recipient"]),
                )
            )
        elif topic == "live.call" and payload.get("agent_id"):
            events.append(
                Event(
                    id=outbox_id,
                    type="call",
                    data={"call": payload.get("call"), "event": payload.get("event", "")},
                    user_id=int(payload["agent_id"]),
                )
            )
        elif topic == "live.hotspot":
            events.append(
                Event(
                    id=outbox_id,
                    type="hotspot",
                    data={"alert": payload.get("alert"), "rule": payload.get("rule", "")},
                    district_id=payload.get("district_id"),
                )
            )
    if moved:
        events += _request_events(moved)
    return sorted(events, key=lambda event: event.id)


@dataclass
class Cursor:
    """The outbox ids already read: everything at or below `floor`, and `seen` above it."""

    floor: int
    seen: set[int] = field(default_factory=set)
    missing_since: dict[int, float] = field(default_factory=dict)

    def take(self, ids: Iterable[int], now: float) -> list[int]:
        """The ids not read before (in order); then move the floor over every id read or given up on."""
        fresh = sorted(i for i in ids if i > self.floor and i not in self.seen)
        self.seen.update(fresh)
        top = max(self.seen, default=self.floor)
        while self.floor < top:
            following = self.floor + 1
            if following in self.seen:
                self.seen.discard(following)
                self.missing_since.pop(following, None)
            else:
                since = self.missing_since.setdefault(following, now)
                if now - since < GAP_WAIT:
                    break
                del self.missing_since[following]
            self.floor = following
        return fresh


CLOSED: dict[str, Any] = {"type": "closed"}  # put on a stream's queue to end it (shutdown, tests)


@dataclass(eq=False)
class Subscription:
    """One open stream. `loop` set: an ASGI coroutine's asyncio queue (filled in its event loop); None: a
    WSGI thread's queue.Queue (filled from the feed's thread)."""

    viewer: Viewer
    queue: asyncio.Queue[dict[str, Any]] | queue.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop | None = None
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        """Keep the event if it is this viewer's."""
        data = event.for_viewer(self.viewer)
        if data is None or self.overflowed:
            return
        try:
            self.queue.put_nowait({"id": event.id, "type": event.type, "data": data})
        except (asyncio.QueueFull, queue.Full):
            self.overflowed = True  # the stream tells the browser to reload and closes

    def close(self) -> None:
        try:
            self.queue.put_nowait(CLOSED)
        except (asyncio.QueueFull, queue.Full):
            self.overflowed = True


class Feed:
    """One per process: polls the outbox while anybody listens and fans the events out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while nobody listens and the database connection is closed
        self.cursor: Cursor | None = None

    @property
    def interval(self) -> float:
        return float(getattr(settings, "HEATLINE_LIVE_POLL", 0.25))

    def subscribe(self, viewer: Viewer) -> Subscription:
        """An ASGI stream's subscription (call it in the stream's event loop)."""
        return self._add(Subscription(viewer, asyncio.Queue(QUEUE_SIZE), asyncio.get_running_loop()))

    def subscribe_thread(self, viewer: Viewer) -> Subscription:
        """A WSGI stream's subscription (gunicorn's gthread workers: one thread per open browser)."""
        return self._add(Subscription(viewer, queue.Queue(QUEUE_SIZE)))

    def close_all(self) -> None:
        """End every open stream of this process (the browsers reconnect); tests call it between tests."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            if subscription.loop is None:
                subscription.close()
            else:
                try:
                    subscription.loop.call_soon_threadsafe(subscription.close)
                except RuntimeError:
                    self.unsubscribe(subscription)

    def _add(self, subscription: Subscription) -> Subscription:
        with self._lock:
            self._subscriptions.add(subscription)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="heatline-live-feed", daemon=True)
                self._thread.start()
            self._idle.clear()
            self._wake.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def listeners(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nobody listens and the feed has let go of its database connection (tests, shutdown)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return True
        return self._idle.wait(timeout)

    def _run(self) -> None:
        try:
            while True:
                if not self.listeners():
                    # Nobody listens: forget the cursor (a new listener starts from now) and sleep.
                    self.cursor = None
                    connection.close()
                    self._wake.clear()
                    with self._lock:
                        if not self._subscriptions:
                            self._idle.set()
                    self._wake.wait(timeout=60)
                    continue
                try:
                    self.poll()
                except Exception:  # a database hiccup must not end the feed
                    log.exception("live feed poll failed")
                    connection.close()
                    time.sleep(1)
                time.sleep(self.interval)
        finally:
            connection.close()

    def poll(self) -> list[Event]:
        from heatline.outbox.models import Outbox

        if self.cursor is None:
            top = Outbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
            self.cursor = Cursor(floor=top)
            return []
        rows = list(
            Outbox.objects.filter(id__gt=self.cursor.floor)
            .order_by("id")
            .values_list("id", "topic", "key", "payload")[:BATCH]
        )
        fresh = set(self.cursor.take((row[0] for row in rows), time.monotonic()))
        events = events_of(row for row in rows if row[0] in fresh)
        if events:
            self._fan_out(events)
        return events

    def _fan_out(self, events: list[Event]) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for subscription in subscriptions:
            if subscription.loop is None:
                for event in events:
                    subscription.offer(event)
            else:
                by_loop.setdefault(subscription.loop, []).append(subscription)
        for loop, group in by_loop.items():

            def deliver(group: list[Subscription] = group) -> None:
                for event in events:
                    for subscription in group:
                        subscription.offer(event)

            try:
                loop.call_soon_threadsafe(deliver)
            except RuntimeError:  # that loop has closed
                for subscription in group:
                    self.unsubscribe(subscription)


FEED = Feed()
