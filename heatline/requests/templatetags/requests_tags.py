"""Small template helpers of the request pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """{{ watch|get_item:household.pk }}: a dict lookup by a variable key."""
    if not mapping:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def status_label(value: str) -> str:
    """The Chinese label of a status code (events keep the code)."""
    from heatline.requests.models import Status

    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter
def satisfaction_label(value: str) -> str:
    from django.utils.translation import gettext as _

    from heatline.requests.models import Satisfaction

    if value in Satisfaction.values:
        return str(Satisfaction(value).label)
    return {"unreached": _("多次未接通"), "refused": _("拒绝回访")}.get(value, value)
