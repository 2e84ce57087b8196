from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """12,345 — digits grouped by thousands, whatever the language."""
    try:
        return f"{int(str(value)):,}"
    except (TypeError, ValueError):
        return str(value)
