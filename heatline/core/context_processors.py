from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from heatline.core.navigation import nav_for
from heatline.registry.models import Staff


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, Staff) or not user.is_authenticated:
        return {"nav": []}
    items = []
    for item in nav_for(user):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": item.label,
                "active": request.path == url or (url != "/" and request.path.startswith(url)),
            }
        )
    unread = user.notifications.filter(read_at=None).count()
    return {"nav": items, "unread_count": unread}
