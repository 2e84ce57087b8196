"""API tokens (issue 3's intake throughput keeps them briefly in the process): a revoked token, a
deactivated account and an expired cache entry are each seen, and nothing leaks between requests."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from heatline.registry.models import ApiToken
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import Org
from heatline.registry.tokens import TOKEN_CACHE_SECONDS, staff_for_token

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _get(token: str) -> int:
    return Client().get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


@pytest.mark.django_db
def test_a_token_is_read_once_then_served_from_the_process(org: Org, django_assert_num_queries: Any) -> None:
    token = api_token_create(staff=org.operator)
    first = staff_for_token(token)
    with django_assert_num_queries(0):
        second = staff_for_token(token)
    assert first is not None and second is not None
    assert first.pk == second.pk == org.operator.pk
    assert first is not second  # each caller gets its own instance


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once(org: Org) -> None:
    token = api_token_create(staff=org.operator)
    assert _get(token) == 200
    row = ApiToken.objects.get(digest=ApiToken.digest_of(token))
    row.is_active = False
    row.save()
    assert _get(token) == 401


@pytest.mark.django_db
def test_a_deactivated_account_loses_its_tokens_at_once(org: Org) -> None:
    token = api_token_create(staff=org.operator)
    assert _get(token) == 200
    org.operator.is_active = False
    org.operator.save()
    assert _get(token) == 401


@pytest.mark.django_db
def test_a_change_made_elsewhere_is_seen_when_the_cache_time_is_over(org: Org) -> None:
    token = api_token_create(staff=org.operator)
    with time_machine.travel(T0, tick=False):
        assert staff_for_token(token) is not None
        # another process revokes the token (no signal here: a queryset update)
        ApiToken.objects.filter(digest=ApiToken.digest_of(token)).update(is_active=False)
    with time_machine.travel(T0 + timedelta(seconds=TOKEN_CACHE_SECONDS + 1), tick=False):
        assert staff_for_token(token) is None


@pytest.mark.django_db
def test_last_used_is_recorded_at_most_every_five_minutes(org: Org) -> None:
    token = api_token_create(staff=org.operator)
    digest = ApiToken.digest_of(token)
    with time_machine.travel(T0, tick=False):
        staff_for_token(token)
    assert ApiToken.objects.get(digest=digest).last_used_at == T0
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        staff_for_token(token)
    assert ApiToken.objects.get(digest=digest).last_used_at == T0
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        staff_for_token(token)
    assert ApiToken.objects.get(digest=digest).last_used_at == T0 + timedelta(minutes=6)
