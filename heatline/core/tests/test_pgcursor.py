"""Prepared statements on PostgreSQL: the intake's marked statements only (heatline/core/pgcursor.py)."""

import pytest
from django.conf import settings
from django.db import connection

from heatline.core.inserts import PREPARED
from heatline.registry.tests.factories import Org
from heatline.requests.services import Intake, request_register

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="PostgreSQL's prepared statements",
)


@pytest.mark.django_db
def test_marked_statements_are_prepared_and_no_other_however_often_it_runs() -> None:
    with connection.cursor() as cursor:
        for _ in range(20):  # a search by account-number prefix: planned for its value every time
            cursor.execute("SELECT count(*) FROM registry_household WHERE account_number LIKE %s", ["2001%"])
        cursor.execute(PREPARED + "SELECT 1 + %s", [41])
        assert cursor.fetchone() == (42,)
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(statement.startswith(PREPARED.strip()) for statement in prepared), prepared
    assert not any("LIKE" in statement for statement in prepared), prepared


@pytest.mark.django_db
def test_a_registration_prepares_its_statements(org: Org) -> None:
    intake = Intake(
        source="963000", phone="13800000001", content="暖气不热", household=org.household.account_number
    )
    request_register(intake=intake, by=org.operator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = " ".join(statement for (statement,) in cursor.fetchall())
    assert "requests_numbersequence" in prepared and "registry_household" in prepared
    assert "WITH p(k) AS (INSERT INTO" in prepared
