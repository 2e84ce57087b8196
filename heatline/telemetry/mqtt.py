"""Readings from an MQTT broker (`heatline telemetry-mqtt`), for gateways that publish instead of posting.

Topic `heatline/readings/<sensor>` (QoS 1); the payload is the API's JSON: one reading (its `sensor` may be
left out: the topic's last segment names it), a list of readings, or `{"readings": [...]}`. Messages are
buffered and written through `readings_ingest` every 0.5 s or 1,000 readings, and acknowledged to the
broker only once stored (paho's manual acks, a persistent session under a fixed client id): a subscriber
killed mid-batch gets the unacknowledged messages again, and duplicates are stored once. A lost broker is
reconnected with a growing pause (1 s … 30 s); SIGTERM stores what is buffered and disconnects.
"""

import json
import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connection
from paho.mqtt.enums import CallbackAPIVersion

from heatline.telemetry.ingest import Rejection, readings_ingest

log = logging.getLogger("heatline.telemetry.mqtt")

FLUSH_SECONDS: Final = 0.5
FLUSH_READINGS: Final = 1000
LOGGED_REJECTIONS: Final = 20  # per flush; the rest are counted
RETRY_SECONDS: Final = 2.0  # the database refused a batch: try the same messages again after this
POLL_SECONDS: Final = 0.02


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker_from_url(url: str) -> Broker:
    """mqtt://[user:pass@]host[:1883] or mqtts://…[:8883]."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"HEATLINE_MQTT_URL must be mqtt://host:port or mqtts://host:port, not {url!r}")
    tls = parts.scheme == "mqtts"
    return Broker(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def readings_from_message(topic: str, payload: bytes) -> list[Any] | None:
    """The readings in one message, each naming its sensor (the topic's last segment unless it says
    otherwise); None when the payload is not JSON of a known shape."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and "readings" in data:
        items = data["readings"]
    elif isinstance(data, dict):
        items = [data]
    else:
        items = data
    if not isinstance(items, list):
        return None
    sensor = topic.rsplit("/", 1)[-1]
    return [
        {**item, "sensor": sensor} if isinstance(item, dict) and "sensor" not in item else item
        for item in items
    ]


class Subscriber:
    """One broker connection (paho's network thread) feeding a queue; `run` stores from it in this thread."""

    def __init__(self, url: str, *, topic: str, client_id: str) -> None:
        self.broker = broker_from_url(url)
        self.topic = topic
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.pending: list[Message] = []
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.stored = 0  # messages handled (stored, duplicate or rejected) since start
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )
        if self.broker.username is not None:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused the connection: %s", self.broker.host, self.broker.port, reason)
            return
        client.subscribe(self.topic, qos=1)
        log.info("connected to %s:%s, subscribed to %s", self.broker.host, self.broker.port, self.topic)
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("broker connection lost (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(Message(message.topic, bytes(message.payload), message.mid, message.qos))

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()

    def run(self, *, until: Callable[[], bool] | None = None, timeout: float | None = None) -> None:
        """Store messages until stopped (or `until()` holds, or `timeout` seconds pass), then disconnect."""
        ends = time.monotonic() + timeout if timeout is not None else None
        try:
            while not self.stopping.is_set():
                if until is not None and until():
                    break
                if ends is not None and time.monotonic() >= ends:
                    break
                self.poll()
        finally:
            self.flush()
            self.client.disconnect()
            self.client.loop_stop()

    def poll(self) -> None:
        """Collect messages for up to FLUSH_SECONDS (or FLUSH_READINGS of them), then store them."""
        deadline = time.monotonic() + FLUSH_SECONDS
        while len(self.pending) < FLUSH_READINGS and not self.stopping.is_set():
            if time.monotonic() >= deadline:
                break
            try:
                self.pending.append(self.inbox.get_nowait())
            except queue.Empty:
                # A short sleep, not a timed wait on the queue's lock: timed lock waits hang under
                # libfaketime (the shifted-clock test run), sleeps do not.
                time.sleep(POLL_SECONDS)
        self.flush()

    def flush(self) -> None:
        while True:  # what arrived while stopping too
            try:
                self.pending.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        if not self.pending:
            return
        messages, self.pending = self.pending, []
        readings: list[Any] = []
        topics: list[str] = []
        for message in messages:
            items = readings_from_message(message.topic, message.payload)
            if items is None:
                log.warning(
                    "message on %s is not readings JSON; dropped: %r", message.topic, message.payload[:200]
                )
                continue
            readings.extend(items)
            topics.extend([message.topic] * len(items))
        try:
            if not connection.in_atomic_block:  # (a test's transaction) a command runs outside one
                close_old_connections()
            rejected: list[tuple[int, Rejection]] = []
            accepted = duplicates = 0
            for start in range(0, len(readings), FLUSH_READINGS):
                result = readings_ingest(readings[start : start + FLUSH_READINGS])
                accepted += result.accepted
                duplicates += result.duplicates
                rejected.extend((start + r.index, r) for r in result.rejected)
        except DatabaseError:
            log.exception("could not store %s readings; retrying in %s s", len(readings), RETRY_SECONDS)
            self.pending = messages + self.pending
            pause_until = time.monotonic() + RETRY_SECONDS
            while time.monotonic() < pause_until and not self.stopping.is_set():
                time.sleep(POLL_SECONDS)
            return
        for index, rejection in rejected[:LOGGED_REJECTIONS]:
            log.warning(
                "reading rejected on %s: %s %s (%s)",
                topics[index],
                rejection.code,
                rejection.sensor,
                rejection.reason,
            )
        if len(rejected) > LOGGED_REJECTIONS:
            log.warning("%s more readings rejected in this batch", len(rejected) - LOGGED_REJECTIONS)
        for message in messages:
            self.client.ack(message.mid, message.qos)
        self.stored += len(messages)
        log.debug("stored %s messages: %s accepted, %s duplicates", len(messages), accepted, duplicates)
