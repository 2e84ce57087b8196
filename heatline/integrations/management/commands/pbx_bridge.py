"""`heatline pbx-bridge`: read an Asterisk PBX's call events over AMI and record them as Heatline calls.

The socket side of the bridge; the AMI events are turned into call events by the pure
`heatline.integrations.cti.ami`, and each is applied in-process with `call_event_record` (as the
`POST /api/v1/calls/events` endpoint does), by the phone system's account. A lost connection is
retried with a growing pause (1 s, 2 s, … 30 s); a refused login stops the bridge (exit code 1).
"""

import logging
import socket
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from heatline.core.errors import DomainError
from heatline.integrations.cti.ami import BANNER_PREFIX, AmiTranslator, MessageReader, format_action
from heatline.integrations.cti.services import CallEvent, call_event_record
from heatline.registry.models import Role, Staff

log = logging.getLogger("heatline.pbx_bridge")

CONNECT_TIMEOUT_SECONDS = 10.0
# No byte from Asterisk for this long: send a Ping; still nothing after as long again: reconnect.
IDLE_SECONDS = 30.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
PBX_USERNAME = "pbx"  # the account `heatline apitoken pbx --system-role pbx` creates


class LoginRefused(Exception):
    """Asterisk answered the Login action with an error: retrying with the same secret will not help."""


class ConnectionLost(Exception):
    """The server closed the connection, stopped answering, or is not an AMI server."""


class AmiSession:
    """One TCP connection: banner, Login, then messages until the server closes it."""

    def __init__(self, *, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS)
        self.reader = MessageReader()

    def close(self) -> None:
        self.sock.close()

    def _receive(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionLost("closed by the server")
        self.reader.feed(data)

    def login(self, *, username: str, secret: str) -> str:
        """Read the banner and log in; returns the banner (e.g. `Asterisk Call Manager/9.0.0`)."""
        banner = self.reader.banner()
        while banner is None:
            self._receive()
            banner = self.reader.banner()
        if not banner.startswith(BANNER_PREFIX):
            raise ConnectionLost(f"not an Asterisk manager interface: {banner[:80]!r}")
        self.sock.sendall(
            format_action("Login", ActionID="heatline-login", Username=username, Secret=secret, Events="on")
        )
        while True:
            for message in self.reader.messages():
                if "Response" not in message:
                    continue  # an event before the answer
                if message["Response"].lower() == "success":
                    return banner
                raise LoginRefused(message.get("Message", message["Response"]))
            self._receive()

    def events(self) -> Iterator[dict[str, str]]:
        """Every event message, until the connection ends (ConnectionLost); pings the server when idle."""
        self.sock.settimeout(IDLE_SECONDS)
        is_waiting_for_pong = False
        while True:
            for message in self.reader.messages():
                if "Event" in message:
                    yield message
            try:
                self._receive()
            except TimeoutError:
                if is_waiting_for_pong:
                    raise ConnectionLost(f"no answer to Ping for {IDLE_SECONDS:.0f} s") from None
                self.sock.sendall(format_action("Ping", ActionID="heatline-ping"))
                is_waiting_for_pong = True
                close_old_connections()  # a quiet night: let Django drop a database connection gone stale
                continue
            is_waiting_for_pong = False


def _system_user(username: str) -> Staff:
    """The account the calls are recorded by: --system-user, else the phone system's (created when missing)."""
    if username:
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise CommandError(
                f"没有名为 {username!r} 的在职账号 / no active staff member named {username!r}"
            )
        return staff
    staff = (
        Staff.objects.filter(username=PBX_USERNAME, is_active=True).first()
        or Staff.objects.filter(role=Role.PBX, is_active=True).order_by("id").first()
    )
    if staff is not None:
        return staff
    from heatline.integrations.services import system_staff

    log.info("creating the phone system's account %r", PBX_USERNAME)
    return system_staff(username=PBX_USERNAME, name="电话系统接口", role=Role.PBX)


class Command(BaseCommand):
    help = (
        "Bridge an Asterisk PBX into Heatline: log in to its manager interface (AMI), record each call's "
        "ringing, answer and hang-up (with its recording link) as a Heatline call."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=settings.HEATLINE_AMI_HOST, help="AMI host (HEATLINE_AMI_HOST)")
        parser.add_argument(
            "--port", type=int, default=settings.HEATLINE_AMI_PORT, help="AMI port (HEATLINE_AMI_PORT, 5038)"
        )
        parser.add_argument(
            "--username",
            default=settings.HEATLINE_AMI_USERNAME,
            help="manager.conf user (HEATLINE_AMI_USERNAME)",
        )
        parser.add_argument(
            "--secret", default=settings.HEATLINE_AMI_SECRET, help="its secret (HEATLINE_AMI_SECRET)"
        )
        parser.add_argument(
            "--system-user",
            default="",
            help=f"the Staff username the calls are recorded by (default: the phone system's, {PBX_USERNAME!r})",
        )
        parser.add_argument(
            "--once", action="store_true", help="stop when the server closes the connection (no reconnect)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["username"] or not options["secret"]:
            raise CommandError(
                "需要 AMI 用户名和密码(--username/--secret 或 HEATLINE_AMI_USERNAME/HEATLINE_AMI_SECRET)/ "
                "the AMI username and secret are required (--username/--secret or HEATLINE_AMI_USERNAME/SECRET)"
            )
        self.staff = _system_user(options["system_user"])
        self.translator = AmiTranslator()  # kept across reconnects: calls in progress go on
        host, port, once = options["host"], options["port"], options["once"]
        backoff = FIRST_BACKOFF_SECONDS
        try:
            while True:
                try:
                    if self._session(
                        host=host, port=port, username=options["username"], secret=options["secret"]
                    ):
                        backoff = FIRST_BACKOFF_SECONDS
                    reason = "connection closed"
                except LoginRefused as error:
                    raise CommandError(
                        f"AMI 登录被拒绝:{error}。请核对 manager.conf 中的用户名和密码(--username/--secret)。/ "
                        f"AMI login refused by {host}:{port}: {error}. Check the username and secret in manager.conf."
                    ) from None
                except (OSError, ConnectionLost) as error:
                    if once:
                        raise CommandError(
                            f"无法连接 AMI {host}:{port}:{error} / cannot reach AMI at {host}:{port}: {error}"
                        ) from None
                    reason = str(error) or type(error).__name__
                if once:
                    return
                log.warning("AMI %s:%s: %s; reconnecting in %.0f s", host, port, reason, backoff)
                close_old_connections()  # the database may have gone away too
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        except KeyboardInterrupt:
            log.info("pbx-bridge stopped")

    def _session(self, *, host: str, port: int, username: str, secret: str) -> bool:
        """One connection: log in and record its events. True once logged in (the pause starts over)."""
        session = AmiSession(host=host, port=port)
        try:
            banner = session.login(username=username, secret=secret)
            log.info(
                "AMI %s:%s logged in (%s), recording calls as %s", host, port, banner, self.staff.username
            )
            try:
                for message in session.events():
                    event = self.translator.translate(message, now=timezone.now())
                    if event is not None:
                        self._record(event)
            except (OSError, ConnectionLost) as error:
                log.info("AMI %s:%s: %s", host, port, error)
            return True
        finally:
            session.close()

    def _record(self, event: CallEvent) -> None:
        try:
            call = call_event_record(event=event, by=self.staff)
        except DomainError as error:
            log.warning("call %s: %s event skipped: %s", event.call_id, event.event, error.message)
        except Exception:
            # One bad event never stops the bridge: it is logged with its call and the next one is read.
            log.exception("call %s: %s event failed", event.call_id, event.event)
            close_old_connections()
        else:
            log.info("call %s: %s (%s)", event.call_id, event.event, call.status)
