"""Pure mapping between the platform's order format and Heatline's (no database, no I/O).

Inbound order (JSON object, XML <order>, or one spreadsheet row), field names as the platform sends them:
order_no, source (12345|12319), received_at, due_at, caller_name, phone, address, content, category.
"""

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

SOURCES = ("12345", "12319")
MAX_BODY_BYTES = 64 * 1024
FIELDS = (
    "order_no",
    "source",
    "received_at",
    "due_at",
    "caller_name",
    "phone",
    "address",
    "content",
    "category",
)
REQUIRED = ("order_no", "source", "phone", "content")
# Words that make an order a heating matter; 12319 forwards everything, the rest goes back (退单).
HEATING_WORDS = (
    "暖",
    "供热",
    "采暖",
    "热力",
    "热费",
    "室温",
    "温度",
    "不热",
    "散热",
    "管网",
    "换热",
    "跑水",
    "漏水",
    "阀门",
    "报停",
)
_XML_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class MappingError(ValueError):
    """The order cannot be read; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Order:
    order_no: str
    source: str
    phone: str
    content: str
    caller_name: str = ""
    address: str = ""
    category: str | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise MappingError("字段类型无效")
    if "\x00" in value:
        raise MappingError("字段含非法字符")
    return value.strip()


def _when(value: Any, field: str) -> datetime | None:
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        text = _text(value)
        if not text:
            return None
        try:
            parsed = parse_datetime(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise MappingError(f"时间格式无效:{field}", field=field)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def order_from_mapping(data: Any) -> Order:
    if not isinstance(data, dict):
        raise MappingError("工单须为对象")
    values: dict[str, str] = {
        name: _text(data.get(name)) for name in FIELDS if name not in ("received_at", "due_at")
    }
    for name in REQUIRED:
        if not values[name]:
            raise MappingError(f"缺少字段:{name}", field=name)
    if values["source"] not in SOURCES:
        raise MappingError("来源须为12345或12319", field="source")
    if len(values["order_no"]) > 64:
        raise MappingError("平台工单号过长", field="order_no")
    return Order(
        order_no=values["order_no"],
        source=values["source"],
        phone=values["phone"],
        content=values["content"],
        caller_name=values["caller_name"],
        address=values["address"],
        category=values["category"] or None,
        received_at=_when(data.get("received_at"), "received_at"),
        due_at=_when(data.get("due_at"), "due_at"),
    )


def xml_is_safe(body: bytes) -> bool:
    """UTF-8 only, no DTD, no entities: refused before any parser sees it (billion laughs, XXE, and
    a UTF-16 body that would hide its DOCTYPE from a byte search)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in body and _XML_FORBIDDEN.search(body) is None


def order_from_xml(body: bytes) -> Order:
    if not xml_is_safe(body):
        raise MappingError("仅接受UTF-8编码、不含DOCTYPE或实体声明的XML")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise MappingError(f"XML格式错误:{error}") from None
    if root.tag != "order":
        raise MappingError("XML根元素须为<order>")
    return order_from_mapping({child.tag: (child.text or "") for child in root if child.tag in FIELDS})


def is_heating_matter(order: Order) -> bool:
    return bool(order.category) or any(word in order.content for word in HEATING_WORDS)


# Outbound: which life-cycle steps the platform hears of, under the platform's step names.
STEPS: dict[str, str] = {
    "register": "accepted",  # 签收
    "dispatch": "dispatched",  # 派单
    "report": "result",  # 办理结果
    "callback": "callback",  # 回访结果
    "return": "returned",  # 退单
    "close_at_intake": "result",
    "extend": "extended",
}


def outbound_body(payload: dict[str, Any], *, note: str = "", at: datetime) -> dict[str, Any] | None:
    """The message to the platform for one `request.moved` payload, or None when it hears nothing of it."""
    step = STEPS.get(str(payload.get("action", "")))
    if step is None or payload.get("source") not in SOURCES:
        return None
    return {
        "order_no": payload.get("external_id"),
        "source": payload.get("source"),
        "number": payload.get("number"),
        "step": step,
        "status": payload.get("to"),
        "round": payload.get("round"),
        "result": payload.get("result") or "",
        "satisfaction": payload.get("satisfaction") or "",
        "reason": note,
        "at": timezone.localtime(at).isoformat(timespec="seconds"),
    }
