"""Asterisk Manager Interface (AMI) → call events: the pure part of `heatline pbx-bridge`.

AMI speaks plain text over TCP: a banner line (`Asterisk Call Manager/x.y.z`), then messages of
`Key: Value` lines, each message ended by a blank line. `MessageReader` cuts bytes into messages;
`AmiTranslator` turns the Asterisk 13+ call events into `CallEvent`s, keeping a little state per call
(its caller, the agent rung, the recording) keyed by the caller channel's `Linkedid`:

- `DialBegin` (the caller's channel dials an agent's channel) → `ringing`, the agent's extension from
  `DestCallerIDNum`, the dialled channel's name or `DestExten`;
- `DialEnd` with `DialStatus: ANSWER`, or `BridgeEnter` of the dialled channel → `answered`;
- `Hangup` of the caller's channel (`Uniqueid` == `Linkedid`) → `hangup`, with the recording;
- `VarSet` of `HEATLINE_RECORDING` or `MIXMONITOR_FILENAME` (MixMonitor sets the latter) to an http(s)
  link → the call's recording.

No sockets and no database here, so every rule is tested with the event texts Asterisk documents.
"""

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from heatline.integrations.cti.services import CallEvent

BANNER_PREFIX = "Asterisk Call Manager/"
RECORDING_VARIABLES = frozenset({"HEATLINE_RECORDING", "MIXMONITOR_FILENAME"})
# Asterisk writes these where a party's number is not known.
UNKNOWN = frozenset({"", "<unknown>", "unknown", "<none>"})
# `PJSIP/8001-0000002a`, `SIP/8001-00000001`, `Local/8001@from-queue-00000003;1` → 8001
CHANNEL_EXTENSION = re.compile(r"^[A-Za-z0-9_]+/([^-@/;]+)")
# Calls whose hang-up never arrived (a lost connection) are forgotten past this many.
MAX_CALLS = 5000

Headers = Mapping[str, str]


def parse_message(text: str) -> dict[str, str]:
    """`Key: Value` lines → a dict (keys as sent; a repeated key keeps its first value)."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            headers.setdefault(key.strip(), value.strip())
    return headers


def format_action(action: str, **fields: str) -> bytes:
    """One action as AMI expects it: `Action: …` first, CRLF line ends, a blank line at the end."""
    lines = [f"Action: {action}", *(f"{key}: {value}" for key, value in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class MessageReader:
    """Feed the bytes as they arrive; take out the banner line, then whole messages."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def banner(self) -> str | None:
        """The first line, once it has arrived."""
        line, newline, rest = self._buffer.partition(b"\n")
        if not newline:
            return None
        self._buffer = rest
        return line.decode("utf-8", errors="replace").strip()

    def messages(self) -> Iterator[dict[str, str]]:
        """Every complete message received so far (blank lines between messages are skipped)."""
        while True:
            normalised = self._buffer.replace(b"\r\n", b"\n")
            text, blank, rest = normalised.partition(b"\n\n")
            if not blank:
                self._buffer = normalised
                return
            self._buffer = rest
            if text.strip():
                yield parse_message(text.decode("utf-8", errors="replace"))


def event_time(headers: Headers, *, now: dt.datetime) -> dt.datetime:
    """`Timestamp: 1733533200.123456` (manager.conf `timestampevents = yes`), else when it was read."""
    stamp = _get(headers, "Timestamp")
    if stamp:
        try:
            return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            pass
    return now


def channel_extension(channel: str) -> str:
    match = CHANNEL_EXTENSION.match(channel)
    return match.group(1) if match else ""


@dataclass
class _Call:
    caller: str = ""
    agent: str = ""
    recording_url: str = ""
    is_dialled: bool = False  # a DialBegin was seen: the call was offered to an agent
    is_answered: bool = False
    dialled: set[str] = field(default_factory=set)  # Uniqueid of each agent channel rung


def _get(headers: Headers, key: str) -> str:
    """AMI keys are matched without regard to case (Asterisk itself is not consistent)."""
    value = headers.get(key)
    if value is None:
        lowered = key.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value.strip()


def _known(value: str) -> str:
    return "" if value.lower() in UNKNOWN else value


def _call_id(headers: Headers) -> str:
    return _get(headers, "Linkedid") or _get(headers, "Uniqueid")


class AmiTranslator:
    """AMI events in, `CallEvent`s out (or None for the many events that say nothing about a call)."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def translate(self, headers: Headers, *, now: dt.datetime) -> CallEvent | None:
        name = _get(headers, "Event").lower()
        if name == "dialbegin":
            return self._dial_begin(headers, now=now)
        if name == "dialend":
            return self._dial_end(headers, now=now)
        if name == "bridgeenter":
            return self._bridge_enter(headers, now=now)
        if name == "varset":
            self._var_set(headers)
            return None
        if name == "hangup":
            return self._hangup(headers, now=now)
        return None

    def _state(self, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            while len(self._calls) >= MAX_CALLS:
                del self._calls[next(iter(self._calls))]  # the oldest
            call = self._calls[call_id] = _Call()
        return call

    def _event(self, call_id: str, call: _Call, event: str, headers: Headers, now: dt.datetime) -> CallEvent:
        return CallEvent(
            call_id=call_id,
            event=event,
            caller=call.caller,
            agent=call.agent,
            at=event_time(headers, now=now),
            recording_url=call.recording_url if event == "hangup" else "",
        )

    @staticmethod
    def _agent(headers: Headers, caller: str) -> str:
        """The agent's extension: the dialled channel's caller ID, else the endpoint in its name
        (`PJSIP/8001-0000002a`), else its `DestExten` (app_dial copies the caller's extension there, so it
        is the agent's only when the dialplan dials each agent from its own extension)."""
        number = _known(_get(headers, "DestCallerIDNum"))
        if number and number != caller:
            return number
        extension = channel_extension(_get(headers, "DestChannel"))
        if extension:
            return extension
        extension = _known(_get(headers, "DestExten"))
        return "" if extension == "s" else extension

    def _dial_begin(self, headers: Headers, *, now: dt.datetime) -> CallEvent | None:
        call_id = _call_id(headers)
        if not call_id or not _get(headers, "Channel"):
            return None  # an originated call (no caller channel): not a caller ringing the hotline
        call = self._state(call_id)
        call.caller = call.caller or _known(_get(headers, "CallerIDNum"))
        call.is_dialled = True
        agent = self._agent(headers, call.caller)
        if not call.is_answered:
            call.agent = agent or call.agent
        if _get(headers, "DestUniqueid"):
            call.dialled.add(_get(headers, "DestUniqueid"))
        return CallEvent(
            call_id=call_id, event="ringing", caller=call.caller, agent=agent, at=event_time(headers, now=now)
        )

    def _dial_end(self, headers: Headers, *, now: dt.datetime) -> CallEvent | None:
        call = self._calls.get(_call_id(headers))
        if call is None or _get(headers, "DialStatus").upper() != "ANSWER" or call.is_answered:
            return None
        call.is_answered = True
        call.agent = self._agent(headers, call.caller) or call.agent
        return self._event(_call_id(headers), call, "answered", headers, now)

    def _bridge_enter(self, headers: Headers, *, now: dt.datetime) -> CallEvent | None:
        call = self._calls.get(_call_id(headers))
        if call is None or call.is_answered or _get(headers, "Uniqueid") not in call.dialled:
            return None  # the caller's own channel entering, or an answer already reported
        call.is_answered = True
        number = _known(_get(headers, "CallerIDNum"))  # the dialled channel's own number: the agent's
        if number == call.caller:
            number = ""
        call.agent = number or channel_extension(_get(headers, "Channel")) or call.agent
        return self._event(_call_id(headers), call, "answered", headers, now)

    def _var_set(self, headers: Headers) -> None:
        if _get(headers, "Variable").upper() not in RECORDING_VARIABLES:
            return
        value = _get(headers, "Value")
        call_id = _call_id(headers)
        if call_id and value.startswith(("https://", "http://")):
            self._state(call_id).recording_url = value

    def _hangup(self, headers: Headers, *, now: dt.datetime) -> CallEvent | None:
        call_id = _call_id(headers)
        if not call_id or _get(headers, "Uniqueid") != call_id:
            return None  # an agent's channel hanging up (rejected, or the call goes on elsewhere)
        call = self._calls.pop(call_id, None)
        if call is None or not call.is_dialled:
            return None  # never offered to an agent (hung up in the menu, or an internal call)
        return self._event(call_id, call, "hangup", headers, now)
