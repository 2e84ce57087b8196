"""`{% load maps %}`: the "navigate to" link of the field screens."""

from urllib.parse import quote

from django import template

register = template.Library()


@register.filter
def geo_url(place: object, label: str = "") -> str:
    """A `geo:` URI (RFC 5870) of a building (or anything with lat/lon), with the label for the phone's
    map app (`?q=lat,lon(label)`, which Android and most navigation apps read); "" when not geocoded."""
    lat, lon = getattr(place, "lat", None), getattr(place, "lon", None)
    if lat is None or lon is None:
        return ""
    point = f"{lat:.6f},{lon:.6f}"
    query = f"{point}({label})" if label else point
    return f"geo:{point}?q={quote(query, safe=',()')}"
