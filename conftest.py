"""Test set-up shared by every app: the database comes from DATABASE_URL (SQLite or PostgreSQL)."""

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from heatline.registry.tests.factories import Org


@pytest.fixture(autouse=True)
def _plain_settings(settings: pytest.FixtureRequest) -> Iterator[None]:
    # Fast hashing and no lock-out in unit tests; the access-control tests switch axes back on.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.AXES_ENABLED = False  # type: ignore[attr-defined]
    settings.LANGUAGE_CODE = "zh-hans"  # type: ignore[attr-defined]
    from heatline.core.caches import ProcessCache

    ProcessCache.forget_all()  # each test's rolled-back rows never linger in the process's caches
    yield
    ProcessCache.forget_all()


def pytest_report_header() -> str:
    return f"heatline database: {settings.DATABASES['default']['ENGINE']} {settings.DATABASES['default'].get('NAME')}"


@pytest.fixture
def org(db: None) -> "Org":
    """A small utility (see heatline/registry/tests/factories.py): every role, two districts, a crew."""
    from heatline.registry.tests.factories import org as build

    return build()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Causes and categories come from a data migration; a transactional test (live server, threads)
    flushes every table when it ends, so the tests after it would start without them. Put them back."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from heatline.requests.models import Category, Cause

    if Cause.objects.exists() and Category.objects.exists():
        return
    migration = importlib.import_module("heatline.requests.migrations.0002_reference_causes_categories")
    migration.forwards(apps, None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many browser tests ran (not skipped); `make test` collects the counts into its last line."""
    ran = sum(
        1
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call" and "tests/browser/" in getattr(report, "nodeid", "")
    )
    terminalreporter.write_line(f"{ran} browser tests ran")
    count_file = os.environ.get("HEATLINE_BROWSER_COUNT_FILE")
    if count_file:
        Path(count_file).write_text(str(ran))
