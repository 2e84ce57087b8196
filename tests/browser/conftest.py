"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against a live server.

They run when Chromium is present; with HEATLINE_REQUIRE_BROWSER=1 (CI) a missing Chromium is a failure,
not a skip. Screenshots of each main page land in test-artifacts/screenshots/.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    if os.environ.get("HEATLINE_REQUIRE_BROWSER"):
        raise pytest.UsageError(
            "HEATLINE_REQUIRE_BROWSER is set but Chromium is not installed (apt-get install chromium)"
        )
    skip = pytest.mark.skip(reason="Chromium is not installed")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def _pages(browser: Any, base_url: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(
        username: str, *, password: str = "heatline-test", viewport: dict[str, int] | None = None
    ) -> Any:
        context = browser.new_context(
            viewport=viewport or {"width": 1366, "height": 900}, locale="zh-CN", base_url=base_url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()
    from heatline.core.live import FEED

    FEED.close_all()  # the live streams' threads end; the feed lets go of its database connection
    FEED.wait_idle(timeout=5)


@pytest.fixture
def page_for(browser: Any, live_server: Any) -> Iterator[Any]:
    """page_for(username, viewport=…) → a signed-in page (Chinese UI) of a fresh browser context."""
    yield from _pages(browser, live_server.url)


@pytest.fixture
def live_page_for(page_for: Any) -> Any:
    """page_for, named for the tests of the live feed (the live server's threads hold the streams, as
    gunicorn's gthread workers do under `heatline serve`)."""
    return page_for


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
