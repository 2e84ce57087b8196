"""`heatline pbx-bridge`: Asterisk's AMI events (as Asterisk documents them, recorded in
fixtures/ami_calls.txt) become Heatline calls; a fake AMI server on 127.0.0.1 stands in for Asterisk."""

import datetime as dt
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from heatline.integrations.cti.ami import AmiTranslator, MessageReader, event_time, parse_message
from heatline.integrations.models import Call, CallStatus
from heatline.integrations.tests.helpers import fixture_bytes
from heatline.registry.models import Role, Staff
from heatline.registry.tests.factories import Org

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)  # 1796605200: the answered call's DialBegin
BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def transcript() -> list[dict[str, str]]:
    reader = MessageReader()
    reader.feed(fixture_bytes("ami_calls.txt"))
    return list(reader.messages())


def as_wire(text: str) -> bytes:
    """LF-ended lines as stored → CRLF as Asterisk sends them."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


# --- the translation, without sockets ---------------------------------------------------------------


def test_the_recorded_transcript_becomes_an_answered_and_a_missed_call() -> None:
    # given
    translator = AmiTranslator()

    # when
    events = [translator.translate(message, now=T0) for message in transcript()]

    # then: FullyBooted, Newchannel, VarSet, the BridgeEnter after DialEnd, the agents' hang-ups,
    # the missed call's DialEnd CANCEL and the caller who hung up in the menu say nothing
    found = [e for e in events if e is not None]
    assert [(e.call_id, e.event) for e in found] == [
        ("1796605199.101", "ringing"),
        ("1796605199.101", "answered"),
        ("1796605199.101", "hangup"),
        ("1796605499.201", "ringing"),
        ("1796605499.201", "hangup"),
    ]
    ringing, answered, hangup, missed_ringing, missed_hangup = found
    assert ringing.caller == "13800000001" and ringing.agent == "8001" and ringing.at == T0
    assert answered.at == T0 + dt.timedelta(seconds=6) and answered.agent == "8001"
    assert hangup.at == T0 + dt.timedelta(seconds=126, milliseconds=10)
    assert hangup.recording_url == "https://pbx.example.cn/monitor/1796605199.101.wav"
    assert ringing.recording_url == "" and missed_hangup.recording_url == ""
    # DestCallerIDNum is the caller's own number here: the extension comes from `PJSIP/8001-00000004`
    assert missed_ringing.caller == "13900000002" and missed_ringing.agent == "8001"
    assert len(translator) == 0  # every call hung up: nothing kept


def test_bridge_enter_of_the_dialled_channel_is_the_answer_when_no_dial_end_came() -> None:
    # given: a DialBegin then only the BridgeEnter events (a DialEnd lost, or an older module)
    translator = AmiTranslator()
    messages = {m["Event"] + m.get("Uniqueid", ""): m for m in transcript()}
    translator.translate(messages["DialBegin1796605199.101"], now=T0)

    # when
    caller_enters = translator.translate(messages["BridgeEnter1796605199.101"], now=T0)
    agent_enters = translator.translate(messages["BridgeEnter1796605199.102"], now=T0)

    # then
    assert caller_enters is None
    assert agent_enters is not None and agent_enters.event == "answered" and agent_enters.agent == "8001"
    assert agent_enters.at == T0 + dt.timedelta(seconds=6, milliseconds=10)


def test_recordings_only_as_http_links_and_times_without_timestamp_are_now() -> None:
    # given
    translator = AmiTranslator()
    base = {"Uniqueid": "1.1", "Linkedid": "1.1", "Channel": "SIP/trunk-00000001"}
    translator.translate(
        base | {"Event": "DialBegin", "CallerIDNum": "138", "DestChannel": "SIP/8002-00000002"}, now=T0
    )

    # when
    translator.translate(
        base | {"Event": "VarSet", "Variable": "MIXMONITOR_FILENAME", "Value": "/var/x.wav"}, now=T0
    )
    translator.translate(base | {"Event": "VarSet", "Variable": "OTHER", "Value": "https://x/y.wav"}, now=T0)
    hangup = translator.translate(base | {"Event": "Hangup"}, now=T0 + dt.timedelta(minutes=1))
    no_dial = translator.translate(base | {"Event": "Hangup"}, now=T0)  # the call is over: forgotten

    # then
    assert hangup is not None and hangup.recording_url == "" and hangup.agent == "8002"
    assert hangup.at == T0 + dt.timedelta(minutes=1)
    assert no_dial is None
    assert event_time({"Timestamp": "not a number"}, now=T0) == T0


def test_messages_are_cut_whatever_the_chunks() -> None:
    # given
    wire = BANNER + as_wire("Response: Success\nActionID: a\nMessage: Authentication accepted\n\n")
    reader = MessageReader()

    # when: the bytes arrive one at a time
    banner, messages = None, []
    for index in range(len(wire)):
        reader.feed(wire[index : index + 1])
        banner = banner or reader.banner()
        if banner:
            messages.extend(reader.messages())

    # then
    assert banner == "Asterisk Call Manager/9.0.0"
    assert messages == [{"Response": "Success", "ActionID": "a", "Message": "Authentication accepted"}]
    assert parse_message("Event: VarSet\r\nValue: a: b\r\n") == {"Event": "VarSet", "Value": "a: b"}


# --- the command, against a fake AMI server -----------------------------------------------------------


@dataclass
class FakeAmi:
    port: int
    logins: list[dict[str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@contextmanager
def fake_ami(*, events: bytes, username: str = "heatline", secret: str = "s3cret") -> Iterator[FakeAmi]:
    """Asterisk for one connection: banner, checks the Login, answers it, sends `events`, closes.
    The thread does sockets only; the database work stays in the test's thread."""
    server = socket.create_server(("127.0.0.1", 0))
    state = FakeAmi(port=server.getsockname()[1])

    def serve() -> None:
        try:
            connection, _address = server.accept()
            with connection:
                connection.sendall(BANNER)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                login = parse_message(data.decode())
                state.logins.append(login)
                action_id = login.get("ActionID", "")
                if login.get("Username") == username and login.get("Secret") == secret:
                    connection.sendall(
                        as_wire(
                            f"Response: Success\nActionID: {action_id}\nMessage: Authentication accepted\n\n"
                        )
                    )
                    connection.sendall(events)
                else:
                    connection.sendall(
                        as_wire(f"Response: Error\nActionID: {action_id}\nMessage: Authentication failed\n\n")
                    )
        except OSError as error:  # pragma: no cover - shown by the test's assertion
            state.errors.append(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close()
        thread.join(timeout=5)


def bridge(port: int, *extra: str, secret: str = "s3cret") -> None:
    call_command(
        "pbx_bridge", "--host", "127.0.0.1", "--port", str(port), "--username", "heatline", "--secret", secret,
        "--once", *extra,
    )  # fmt: skip


BAD_CALL = as_wire(
    "Event: DialBegin\nTimestamp: 1893456000.000000\nChannel: PJSIP/trunk-00000009\nCallerIDNum: 13700000009\n"
    "Uniqueid: 1893455999.901\nLinkedid: 1893455999.901\nDestChannel: PJSIP/8001-0000000a\n\n"
)  # dated 2030: refused by the service (InvalidInput), and the bridge goes on


@pytest.mark.django_db
def test_the_bridge_records_an_answered_and_a_missed_call(org: Org, caplog: pytest.LogCaptureFixture) -> None:
    # given: the operator's extension is 8001; Asterisk will send a bad event, then the transcript
    org.operator.phone = "8001"
    org.operator.save(update_fields=["phone"])
    events = BAD_CALL + as_wire(fixture_bytes("ami_calls.txt").decode())

    # when
    with (
        time_machine.travel(T0 + dt.timedelta(hours=1), tick=False),
        fake_ami(events=events) as server,
        caplog.at_level(logging.INFO, logger="heatline.pbx_bridge"),
    ):
        bridge(server.port)

    # then: logged in with the configured account
    assert not server.errors
    assert server.logins[0]["Action"] == "Login" and server.logins[0]["Username"] == "heatline"
    answered = Call.objects.get(call_id="1796605199.101")
    assert answered.status == CallStatus.ENDED and answered.caller == "13800000001"
    assert answered.ringing_at == T0 and answered.answered_at == T0 + dt.timedelta(seconds=6)
    assert answered.ended_at == T0 + dt.timedelta(seconds=126, milliseconds=10)
    assert answered.duration_seconds == 120
    assert answered.agent == org.operator and answered.agent_extension == "8001"
    assert answered.recording_url == "https://pbx.example.cn/monitor/1796605199.101.wav"
    missed = Call.objects.get(call_id="1796605499.201")
    assert missed.status == CallStatus.MISSED and missed.answered_at is None
    assert missed.ringing_at == T0 + dt.timedelta(minutes=5)
    assert missed.ended_at == T0 + dt.timedelta(minutes=5, seconds=25, milliseconds=20)
    # the bad event was skipped and logged; the caller who hung up in the menu is no call
    assert Call.objects.count() == 2
    assert "1893455999.901: ringing event skipped" in caplog.text
    assert Staff.objects.get(username="pbx").role == Role.PBX  # created as the recording account


@pytest.mark.django_db
def test_a_refused_login_stops_with_a_clear_message_and_exit_code_1(
    org: Org, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: the console command as run from a shell (its exit code), keeping the test's database connection
    from django.db import connections

    from heatline.cli import main

    monkeypatch.setattr(connections, "close_all", lambda: None)
    with fake_ami(events=b"") as server:
        monkeypatch.setattr(
            sys,
            "argv",
            [
                "heatline",
                "pbx-bridge",
                "--port",
                str(server.port),
                "--username",
                "heatline",
                "--secret",
                "wrong",
            ],
        )

        # when
        with pytest.raises(SystemExit) as exit_info:
            main()

    # then: no retry with a wrong secret
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert "AMI 登录被拒绝" in error and "AMI login refused" in error and "Authentication failed" in error
    assert server.logins[0]["Secret"] == "wrong" and len(server.logins) == 1
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_account_and_the_server_must_exist(org: Org) -> None:
    # given: a port nobody listens on
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()

    # when / then
    with pytest.raises(CommandError, match="no active staff member named 'nobody'"):
        bridge(port, "--system-user", "nobody")
    with pytest.raises(CommandError, match="cannot reach AMI"):
        bridge(port, "--system-user", org.admin.username)
    with pytest.raises(CommandError, match="username and secret are required"):
        call_command("pbx_bridge", "--once", "--port", str(port), "--username", "", "--secret", "")


@pytest.mark.django_db
def test_without_once_it_reconnects_with_a_growing_pause(
    org: Org, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given: nobody listens; the pauses are recorded instead of slept, the 7th stops the bridge (Ctrl-C)
    from heatline.integrations.management.commands import pbx_bridge

    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 7:
            raise KeyboardInterrupt

    monkeypatch.setattr(pbx_bridge.time, "sleep", sleep)
    monkeypatch.setattr(pbx_bridge, "close_old_connections", lambda: None)  # keep the test's transaction

    # when
    with caplog.at_level(logging.INFO, logger="heatline.pbx_bridge"):
        call_command(
            "pbx_bridge", "--host", "127.0.0.1", "--port", str(port), "--username", "u", "--secret", "s"
        )

    # then
    assert pauses == [1, 2, 4, 8, 16, 30, 30]
    assert caplog.text.count("reconnecting in") == 7 and "pbx-bridge stopped" in caplog.text
