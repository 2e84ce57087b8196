"""Open311 responses in JSON or XML (UTF-8). XML is built with xml.etree, never parsed from input."""

import json
import xml.etree.ElementTree as ElementTree
from typing import Any

from django.http import HttpResponse

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "keywords": "keyword",
}


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ElementTree.SubElement(element, item), child)
    else:
        element.text = _scalar(value)


def xml_bytes(root: str, data: Any) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, data)
    body: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def respond(data: Any, *, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """`root` names the XML root (services, service_requests, service_definition, discovery, errors)."""
    if fmt == "xml":
        return HttpResponse(xml_bytes(root, data), status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def error(status: int, description: str, *, fmt: str) -> HttpResponse:
    """The standard's error format: a list of {code, description}."""
    return respond([{"code": status, "description": description}], fmt=fmt, root="errors", status=status)
