"""`heatline telemetry-mqtt` against a real broker: Debian's mosquitto, started here on a free port."""

import datetime as dt
import json
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from heatline.telemetry.models import Sensor, SensorReading
from heatline.telemetry.mqtt import Subscriber, broker_from_url, readings_from_message

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)
needs_mosquitto = pytest.mark.skipif(
    MOSQUITTO is None,
    reason="mosquitto not installed (apt-get install mosquitto): the MQTT tests need a real broker",
)


class Broker:
    def __init__(self, directory: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.config = directory / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert MOSQUITTO is not None
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait for the port, not for a clock
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("mosquitto exited at start") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


def publish(broker: Broker, messages: list[tuple[str, object]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-gateway")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        for topic, payload in messages:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            info = client.publish(topic, data, qos=1)
            wait(info.is_published)  # polled: a timed lock wait hangs under libfaketime
    finally:
        client.disconnect()
        client.loop_stop()


def wait(predicate: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_payload_names_its_sensor_or_takes_the_topics() -> None:
    assert readings_from_message("heatline/readings/S-1", b'{"at": "x", "celsius": 1}') == [
        {"at": "x", "celsius": 1, "sensor": "S-1"}
    ]
    assert readings_from_message("heatline/readings/S-1", b'{"readings": [{"sensor": "S-2"}, {}]}') == [
        {"sensor": "S-2"},
        {"sensor": "S-1"},
    ]
    assert readings_from_message("heatline/readings/S-1", b"[1]") == [1]
    assert readings_from_message("heatline/readings/S-1", b"garbage") is None
    assert readings_from_message("heatline/readings/S-1", b'{"readings": 3}') is None
    assert broker_from_url("mqtts://gw:p%40ss@broker.example.cn").port == 8883
    assert broker_from_url("mqtts://gw:p%40ss@broker.example.cn").password == "p@ss"
    with pytest.raises(ValueError, match="mqtt://"):
        broker_from_url("http://broker:1883")


def test_the_command_refuses_to_start_without_a_broker(settings: object) -> None:
    settings.HEATLINE_MQTT_URL = ""  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="HEATLINE_MQTT_URL"):
        call_command("telemetry_mqtt")


@needs_mosquitto
def test_published_readings_are_stored_once_and_rejections_logged(
    broker: Broker, sensors: dict[str, Sensor], caplog: pytest.LogCaptureFixture
) -> None:
    # given: a subscriber connected to the broker
    caplog.set_level(logging.INFO, logger="heatline.telemetry.mqtt")
    now = timezone.now().replace(microsecond=0)
    t1, t2 = (now - dt.timedelta(minutes=20)).isoformat(), (now - dt.timedelta(minutes=10)).isoformat()
    subscriber = Subscriber(broker.url, topic="heatline/readings/+", client_id="heatline-test")
    subscriber.start()
    wait(subscriber.connected.is_set)

    # when: a good reading, the same again, one of an unknown sensor, a batch, and garbage
    publish(
        broker,
        [
            ("heatline/readings/S-0001", {"at": t1, "celsius": 18.5}),
            ("heatline/readings/S-0001", {"at": t1, "celsius": 18.5}),
            ("heatline/readings/S-9999", {"at": t1, "celsius": 18.5}),
            (
                "heatline/readings/S-0002",
                {"readings": [{"at": t1, "celsius": 19}, {"at": t2, "celsius": 19.5}]},
            ),
            ("heatline/readings/S-0002", b"\xff not json"),
        ],
    )
    subscriber.run(until=lambda: subscriber.stored >= 5, timeout=15)

    # then
    assert subscriber.stored == 5
    assert SensorReading.objects.filter(sensor=sensors["room"]).count() == 1
    assert SensorReading.objects.filter(sensor=sensors["room2"]).count() == 2
    logged = caplog.text
    assert "reading rejected on heatline/readings/S-9999: unknown_sensor S-9999" in logged
    assert "not readings JSON" in logged


@needs_mosquitto
def test_the_subscriber_reconnects_when_the_broker_comes_back(
    broker: Broker, sensors: dict[str, Sensor]
) -> None:
    # given: connected, then the broker goes away and comes back on the same port
    now = timezone.now().replace(microsecond=0)
    subscriber = Subscriber(broker.url, topic="heatline/readings/+", client_id="heatline-test-reconnect")
    subscriber.start()
    wait(subscriber.connected.is_set)
    broker.stop()
    wait(lambda: not subscriber.connected.is_set())
    broker.start()

    # when: the subscriber is back (paho retries after 1 s) and a gateway publishes
    wait(subscriber.connected.is_set, seconds=20)
    publish(
        broker,
        [("heatline/readings/S-0001", {"at": (now - dt.timedelta(minutes=5)).isoformat(), "celsius": 20})],
    )
    subscriber.run(until=lambda: subscriber.stored >= 1, timeout=15)

    # then
    assert SensorReading.objects.filter(sensor=sensors["room"]).count() == 1
