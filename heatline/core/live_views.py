"""`/live/stream/`: the server-sent events of the live feed for the signed-in user (see core/live.py).

Served by the ASGI server (`heatline serve`, gunicorn with uvicorn workers in production): each open browser
is one coroutine waiting on its queue, so hundreds cost little. Under a WSGI server the stream would hold a
whole worker, so there it answers at once and asks the browser to come back in a minute (pages still work;
the countdowns still tick, being computed in the browser).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from heatline.core.live import FEED, Viewer
from heatline.registry.models import Staff

KEEPALIVE = 15.0  # seconds between comments, so proxies keep the connection and a gone browser is noticed


def _frame(event_id: int | None, kind: str, data: dict[str, Any]) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _events(viewer: Viewer, *, resumed: bool) -> AsyncIterator[str]:
    # The stream needs no database connection while it lasts (the feed has its own): let go of the one the
    # sign-in check used, or every open browser would hold one.
    await sync_to_async(connections.close_all)()
    subscription = FEED.subscribe(viewer)
    lifetime = float(getattr(settings, "HEATLINE_LIVE_MAX_SECONDS", 1800))
    deadline = asyncio.get_running_loop().time() + lifetime
    try:
        yield "retry: 2000\n: heatline live\n\n"
        if resumed:  # the browser was away: what changed meanwhile is read by reloading the live parts
            yield _frame(None, "resync", {})
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return  # the browser reconnects at once, signed in again (or not, if the session ended)
            try:
                item = await asyncio.wait_for(subscription.queue.get(), timeout=min(KEEPALIVE, left))
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if subscription.overflowed:
                yield _frame(None, "resync", {})
                return
            yield _frame(item["id"], item["type"], item["data"])
    finally:
        FEED.unsubscribe(subscription)


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = await request.auser()
    if not user.is_authenticated or not isinstance(user, Staff) or not user.is_active:
        return HttpResponse("请先登录 / Sign in first", status=401, content_type="text/plain; charset=utf-8")
    if not isinstance(request, ASGIRequest):
        return HttpResponse(
            "retry: 60000\n: live updates need the ASGI server (heatline serve)\n\n",
            content_type="text/event-stream",
        )
    viewer = await sync_to_async(Viewer.of)(user)
    response = StreamingHttpResponse(
        _events(viewer, resumed=bool(request.headers.get("Last-Event-ID"))),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
