"""Writes of the 12345/12319 exchange (第二条, SPEC §6 forwarded orders): receive, verify, import, return."""

import csv
import dataclasses
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput
from heatline.integrations.exchange import mapping, signing
from heatline.integrations.models import Channel, ExchangeOrder, Outcome, PlatformLimit, PushNonce
from heatline.integrations.services import exchange_approver, exchange_staff
from heatline.registry.models import Staff
from heatline.requests.models import Action, Category, ServiceRequest, Status
from heatline.requests.services import Intake, request_register
from heatline.requests.transitions import Params, request_transition

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000


class PushRefused(Exception):
    """A push the endpoint refuses; nothing has been stored. `status` is the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def platform_due_at(*, order: mapping.Order, received_at: datetime) -> datetime | None:
    """The platform's due time, or Heatline's own limit for that source where it is stricter."""
    limit = PlatformLimit.objects.filter(source=order.source, is_active=True).first()
    own = received_at + timedelta(hours=float(limit.hours)) if limit is not None else None
    candidates = [when for when in (order.due_at, own) if when is not None]
    return min(candidates) if candidates else None


def _known_category(code: str | None) -> str | None:
    if code and Category.objects.filter(code=code, is_active=True).exists():
        return code
    return None


@transaction.atomic
def exchange_receive(
    *, order: mapping.Order, channel: str, payload: dict[str, Any], by: Staff | None = None
) -> ExchangeOrder:
    """Register a platform order once (its order number makes it idempotent) and log it.

    12319 forwards everything: an order that is plainly not a heating matter is registered (so the
    platform's number is on record) and sent back at once (退单) with the reason, approved by the
    exchange's system approver (see `exchange_approver`).
    """
    now = timezone.now()
    order = dataclasses.replace(order, category=_known_category(order.category))
    # The platform's receipt time sets its due time; Heatline's own clocks start when it signs for the
    # order (签收, now), so a platform's forwarding delay never counts as a late registration here.
    platform_received_at = min(order.received_at or now, now)
    staff = by or exchange_staff(order.source)
    service_request, created = request_register(
        intake=Intake(
            source=order.source,
            external_id=order.order_no,
            phone=order.phone,
            content=order.content,
            caller_name=order.caller_name,
            address=order.address,
            category=order.category,
            platform_due_at=platform_due_at(order=order, received_at=platform_received_at),
        ),
        by=staff,
    )
    outcome = Outcome.CREATED if created else Outcome.DUPLICATE
    if created and order.source == "12319" and not mapping.is_heating_matter(order):
        service_request = exchange_return(
            service_request=service_request,
            reason=_("非供热业务,不属于本公司办理范围,予以退回"),
            rule="12319_not_heating",
        )
        outcome = Outcome.RETURNED
    return ExchangeOrder.objects.create(
        source=order.source,
        order_no=order.order_no,
        channel=channel,
        received_at=now,
        outcome=outcome,
        service_request=service_request,
        received_by=staff,
        payload=payload,
    )


def exchange_return(*, service_request: ServiceRequest, reason: str, rule: str) -> ServiceRequest:
    """退单 through the one transition function; the event records the rule and the system approver."""
    if service_request.status not in (Status.REGISTERED, Status.DISPATCHED):
        return service_request
    return request_transition(
        service_request=service_request,
        action=Action.RETURN,
        by=exchange_approver(),
        params=Params(
            note=reason,
            extra={"auto": True, "rule": rule, "evidence": service_request.content[:200]},
        ),
    )


def push_verify(*, headers: dict[str, str], body: bytes, now: datetime) -> str:
    """Check size, timestamp window and signature; returns the nonce (stored with the order)."""
    if len(body) > mapping.MAX_BODY_BYTES:
        raise PushRefused(413, "too_large", _("请求体过大"))
    timestamp = headers.get(signing.TIMESTAMP_HEADER, "").strip()
    nonce = headers.get(signing.NONCE_HEADER, "").strip()
    signature = headers.get(signing.SIGNATURE_HEADER, "").strip()
    if not (timestamp and nonce and signature):
        raise PushRefused(401, "unsigned", _("缺少签名信息"))
    if not timestamp.isdigit() or len(nonce) > 64 or len(signature) > 128:
        raise PushRefused(401, "bad_signature", _("签名无效"))
    if not signing.signature_matches(timestamp=timestamp, nonce=nonce, body=body, signature=signature):
        raise PushRefused(401, "bad_signature", _("签名无效"))
    if abs(now.timestamp() - int(timestamp)) > signing.WINDOW_SECONDS:
        raise PushRefused(401, "stale", _("时间戳超出允许范围"))
    if PushNonce.objects.filter(nonce=nonce).exists():
        raise PushRefused(409, "replayed", _("重复的推送(随机数已使用)"))
    return nonce


def push_parse(*, body: bytes, content_type: str) -> tuple[mapping.Order, dict[str, Any]]:
    try:
        if "xml" in content_type:
            order = mapping.order_from_xml(body)
            return order, {"xml": body.decode("utf-8", "replace")[:8000]}
        if "json" not in content_type:
            raise PushRefused(415, "unsupported", _("仅支持JSON或XML"))
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PushRefused(400, "malformed", _("JSON格式错误")) from None
        return mapping.order_from_mapping(data), data
    except mapping.MappingError as error:
        raise PushRefused(400, "malformed", str(error)) from None


def exchange_push(*, headers: dict[str, str], body: bytes, content_type: str) -> ExchangeOrder:
    """The platform's push: verified, parsed, then received with its nonce in one transaction."""
    now = timezone.now()
    nonce = push_verify(headers=headers, body=body, now=now)
    order, payload = push_parse(body=body, content_type=content_type)
    try:
        with transaction.atomic():
            PushNonce.objects.create(nonce=nonce, at=now)
            return exchange_receive(order=order, channel=Channel.PUSH, payload=payload)
    except IntegrityError:
        raise PushRefused(409, "replayed", _("重复的推送(随机数已使用)")) from None
    except InvalidInput as error:
        raise PushRefused(422, "invalid", error.message) from None


def nonces_purge(*, now: datetime) -> int:
    """Nonces older than twice the window can no longer be replayed (the timestamp check refuses them)."""
    cutoff = now - timedelta(seconds=2 * signing.WINDOW_SECONDS)
    deleted, _detail = PushNonce.objects.filter(at__lt=cutoff).delete()
    return deleted


@dataclass
class ImportResult:
    created: int = 0
    duplicate: int = 0
    returned: int = 0
    errors: list[str] = field(default_factory=list)


def _rows_of(*, name: str, content: bytes) -> list[dict[str, Any]]:
    if name.lower().endswith(".csv"):
        text = content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a broken file
            raise InvalidInput(_("无法读取该Excel文件"), field="file") from None
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell or "").strip() for cell in next(rows, ())]
        return [
            dict(zip(header, row, strict=False))
            for row in rows
            if any(cell not in (None, "") for cell in row)
        ]
    raise InvalidInput(_("仅支持 .xlsx 或 .csv 文件"), field="file")


def exchange_import(*, name: str, content: bytes, by: Staff) -> ImportResult:
    """File import when the push is down: each row as a pushed order; bad rows are reported, not stored."""
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidInput(_("文件过大(最多5MB)"), field="file")
    try:
        rows = _rows_of(name=name, content=content)
    except UnicodeDecodeError:
        raise InvalidInput(_("CSV须为UTF-8编码"), field="file") from None
    except csv.Error:
        raise InvalidInput(_("CSV格式错误"), field="file") from None
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput(_("行数过多(最多%(n)s行)") % {"n": MAX_IMPORT_ROWS}, field="file")
    result = ImportResult()
    for line, row in enumerate(rows, start=2):
        try:
            order = mapping.order_from_mapping(row)
            logged = exchange_receive(
                order=order,
                channel=Channel.FILE,
                payload={key: str(value) if value is not None else "" for key, value in row.items() if key},
                by=by,
            )
        except (mapping.MappingError, InvalidInput) as error:
            message = error.message if isinstance(error, InvalidInput) else str(error)
            result.errors.append(_("第%(line)s行:%(error)s") % {"line": line, "error": message})
            continue
        if logged.outcome == Outcome.CREATED:
            result.created += 1
        elif logged.outcome == Outcome.RETURNED:
            result.returned += 1
        else:
            result.duplicate += 1
    return result
