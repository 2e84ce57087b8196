"""Outbox senders of the exchange: `request.moved` to the platform's webhook, `resident.sms` to the log.

Registered by topic (STYLE: integrations register senders; domain apps never import them) and imported
from IntegrationsConfig.ready() so that the worker has them.
"""

import json
import logging
import secrets
import urllib.error
import urllib.request

from django.conf import settings
from django.utils import timezone

from heatline.integrations.exchange import mapping, signing
from heatline.outbox.models import Outbox
from heatline.outbox.services import PermanentFailure, sender
from heatline.requests.models import Action, RequestEvent

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def _return_reason(number: str) -> str:
    event = (
        RequestEvent.objects.filter(service_request__number=number, action=Action.RETURN)
        .order_by("-at", "-id")
        .only("note")
        .first()
    )
    return event.note if event is not None else ""


def webhook_post(*, url: str, body: bytes, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST signed JSON; returns the status. 5xx, timeouts and refused connections raise (retried with
    back-off by the outbox); a 4xx other than 408/425/429 is a PermanentFailure (retrying cannot help)."""
    headers = signing.headers_for(
        body=body, timestamp=int(timezone.now().timestamp()), nonce=secrets.token_hex(16)
    )
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code not in RETRYABLE_STATUSES:
            raise PermanentFailure(f"HTTP {error.code}") from None
        raise


@sender("request.moved")
def deliver_request_moved(message: Outbox) -> None:
    """Tell 12345/12319 of each step it must hear of; requests from other sources go nowhere."""
    payload = message.payload
    if payload.get("source") not in mapping.SOURCES:
        return
    note = _return_reason(str(payload.get("number"))) if payload.get("action") == Action.RETURN else ""
    body = mapping.outbound_body(payload, note=note, at=message.created_at)
    if body is None:
        return
    url = settings.HEATLINE_EXCHANGE_WEBHOOK_URL
    if not url:
        # Kept as failed (visible on the deliveries page, re-sendable once the address is set): nothing lost.
        raise PermanentFailure("HEATLINE_EXCHANGE_WEBHOOK_URL 未配置")
    body["message_id"] = message.pk
    webhook_post(url=url, body=json.dumps(body, ensure_ascii=False).encode())


@sender("resident.sms")
def deliver_resident_sms(message: Outbox) -> None:
    """SMS to a resident or staff member: through Aliyun or Tencent Cloud when HEATLINE_SMS_PROVIDER names
    one (integrations/sms/), else the log adapter."""
    from heatline.integrations.sms.senders import sms_send

    payload = message.payload
    phone = str(payload.get("phone", ""))
    gateway_id = sms_send(message)
    log.info("sms to %s%s: %s", phone[:3] + "****" + phone[-4:], f" ({gateway_id})" if gateway_id else "",
             payload.get("text", ""))  # fmt: skip
