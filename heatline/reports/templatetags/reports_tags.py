from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def drill(params: dict[str, str], **extra: Any) -> str:
    """The drill-down list behind a figure: the report's filter plus the figure's own condition."""
    query = dict(params)
    query.update({key: str(value) for key, value in extra.items() if value is not None and value != ""})
    return f"{reverse('reports:requests')}?{urlencode(query)}"


@register.simple_tag
def export_url(table: str, params: dict[str, str], **extra: Any) -> str:
    query = dict(params)
    query.update({key: str(value) for key, value in extra.items() if value is not None and value != ""})
    return f"{reverse('reports:export', args=[table])}?{urlencode(query)}"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
