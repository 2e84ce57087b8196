"""What the SMS gateways call back with: delivery receipts (onto the outbox row) and residents' replies to
the callback text (回复1满意 2基本满意 3不满意), recorded as the callback's answer (第八条, channel SMS)."""

import datetime as dt
import logging
from collections.abc import Iterable

from django.utils import timezone

from heatline.integrations.services import system_staff
from heatline.outbox.models import Outbox
from heatline.requests.models import CallbackChannel, CallbackOutcome, Satisfaction, ServiceRequest, Status
from heatline.requests.transitions import Params, request_transition

log = logging.getLogger(__name__)
REPLIES = {"1": Satisfaction.SATISFIED, "2": Satisfaction.BASIC, "3": Satisfaction.UNSATISFIED}
SMS_USERNAME = "sms-gateway"


def sms_receipts_record(receipts: Iterable[tuple[str, str, dt.datetime | None]]) -> int:
    """(gateway message id, status, when) each: the outbox row of that id keeps its receipt. Returns rows."""
    updated = 0
    for external_id, status, at in receipts:
        if not external_id:
            continue
        updated += Outbox.objects.filter(external_id=external_id[:64]).update(
            receipt_status=status[:32], receipt_at=at or timezone.now()
        )
    return updated


def _national(phone: str) -> str:
    phone = phone.strip().replace(" ", "")
    for prefix in ("+86", "0086", "86"):
        if phone.startswith(prefix) and len(phone) - len(prefix) == 11:
            return phone[len(prefix) :]
    return phone


def sms_reply_record(*, phone: str, text: str) -> ServiceRequest | None:
    """A reply "1", "2" or "3" answers the callback of the caller's request waiting for one (the latest
    reported). Anything else, or no request waiting, is logged and left to the hotline's phone callback."""
    answer = REPLIES.get(text.strip().rstrip("。.").strip())
    number = _national(phone)
    waiting = (
        ServiceRequest.objects.filter(status=Status.REPORTED, phone=number).order_by("-reported_at").first()
        if answer
        else None
    )
    if waiting is None:
        log.info("sms reply from %s not recorded: %r", number[:3] + "****" + number[-4:], text[:40])
        return None
    return request_transition(
        service_request=waiting,
        action="callback",
        by=system_staff(username=SMS_USERNAME, name="短信回复"),
        params=Params(
            outcome=CallbackOutcome.ANSWERED,
            channel=CallbackChannel.SMS,
            solved=answer != Satisfaction.UNSATISFIED,
            satisfaction=answer,
            comment=f"短信回复 {text.strip()[:20]}",
        ),
    )
