"""`/live/stream/`: the server-sent events of the live feed for the signed-in user (see core/live.py).

Under `heatline serve` (gunicorn, gthread workers) each open browser holds one thread, blocked on its queue
and holding no database connection; the pages keep the plain WSGI path, 3.5× faster per request than
Django's ASGI path on this machine (intake 377 vs 130 requests/s). Under an ASGI server (`heatline.asgi`)
each stream is a coroutine instead. A browser whose stream ends reconnects by itself (EventSource).
"""

import asyncio
import json
import queue
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from heatline.core.live import CLOSED, FEED, Subscription, Viewer
from heatline.registry.models import Staff

KEEPALIVE = 15.0  # seconds between comments, so proxies keep the connection and a gone browser is noticed


def _frame(event_id: int | None, kind: str, data: dict[str, Any]) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _next(item: dict[str, Any], subscription: Subscription) -> tuple[str, bool]:
    """The frame to send for a queued item, and whether the stream ends after it."""
    if item is CLOSED:
        return "", True
    if subscription.overflowed:  # fallen too far behind: the page reloads its live parts
        return _frame(None, "resync", {}), True
    return _frame(item["id"], item["type"], item["data"]), False


async def _events(viewer: Viewer, *, resumed: bool) -> AsyncIterator[str]:
    # The stream needs no database connection while it lasts (the feed has its own): let go of the one the
    # sign-in check used, or every open browser would hold one.
    await sync_to_async(connections.close_all)()
    subscription = FEED.subscribe(viewer)
    events = subscription.queue
    assert isinstance(events, asyncio.Queue)
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
                item = await asyncio.wait_for(events.get(), timeout=min(KEEPALIVE, left))
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            frame, last = _next(item, subscription)
            if frame:
                yield frame
            if last:
                return
    finally:
        FEED.unsubscribe(subscription)


def _thread_events(viewer: Viewer, *, resumed: bool) -> Iterator[str]:
    """The same stream for a WSGI thread: blocked on a thread-safe queue between events."""
    connections.close_all()
    subscription = FEED.subscribe_thread(viewer)
    lifetime = float(getattr(settings, "HEATLINE_LIVE_MAX_SECONDS", 1800))
    deadline = time.monotonic() + lifetime
    events = subscription.queue
    assert isinstance(events, queue.Queue)
    try:
        yield "retry: 2000\n: heatline live\n\n"
        if resumed:
            yield _frame(None, "resync", {})
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                item = events.get(timeout=min(KEEPALIVE, left))
            except queue.Empty:
                yield ": keepalive\n\n"  # a gone browser makes this write fail: the thread is freed
                continue
            frame, last = _next(item, subscription)
            if frame:
                yield frame
            if last:
                return
    finally:
        FEED.unsubscribe(subscription)


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = await request.auser()
    if not user.is_authenticated or not isinstance(user, Staff) or not user.is_active:
        return HttpResponse("请先登录 / Sign in first", status=401, content_type="text/plain; charset=utf-8")
    viewer = await sync_to_async(Viewer.of)(user)
    resumed = bool(request.headers.get("Last-Event-ID"))
    content: Iterator[str] | AsyncIterator[str] = (
        _events(viewer, resumed=resumed)
        if isinstance(request, ASGIRequest)
        else _thread_events(viewer, resumed=resumed)
    )
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
