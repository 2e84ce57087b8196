"""Property tests (hypothesis) for classification, address matching and clock arithmetic (issue 9)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heatline.registry.selectors import household_search
from heatline.registry.tests.factories import Org
from heatline.requests.clocks import limit_of, warn_time
from heatline.requests.models import ClockName, Kind
from heatline.requests.routing import EMERGENCY_WORDS, categories_active, suggest
from heatline.requests.services import household_match

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
# Text that cannot contain a keyword by accident: Latin letters, digits, punctuation and spaces.
NOISE = st.text(alphabet="abcdefgxyz0123456789 ,.!?", max_size=40)


@pytest.mark.django_db
@SETTINGS
@given(before=NOISE, word=st.sampled_from(EMERGENCY_WORDS), after=NOISE)
def test_any_call_with_an_emergency_word_is_suggested_as_an_emergency(
    before: str, word: str, after: str
) -> None:
    suggestion = suggest(before + word + after, categories=categories_active())
    assert suggestion.kind == Kind.EMERGENCY
    assert suggestion.category is not None and suggestion.category.kind == Kind.EMERGENCY


@pytest.mark.django_db
@SETTINGS
@given(text=NOISE)
def test_a_call_without_any_keyword_is_routine_and_unclassified(text: str) -> None:
    suggestion = suggest(text, categories=categories_active())
    assert suggestion.kind == Kind.ROUTINE
    assert suggestion.category is None


@pytest.mark.django_db
@SETTINGS
@given(data=st.data())
def test_any_fragment_of_an_address_finds_the_household(org: Org, data: st.DataObject) -> None:
    # given: a fragment (2+ characters) cut anywhere out of a registered address
    address = org.household.address
    start = data.draw(st.integers(min_value=0, max_value=len(address) - 2))
    end = data.draw(st.integers(min_value=start + 2, max_value=len(address)))
    fragment = address[start:end]
    if fragment.strip().isdigit():  # digits search account numbers and phones instead
        return
    # then: the search finds it, and the exact address (with stray spaces) matches it
    assert org.household in list(household_search(q=fragment, viewer=org.operator, limit=50))
    assert household_match(account_number=None, address=f" {address[:3]} {address[3:]} ") == org.household


@SETTINGS
@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive; zone below)
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 30),
    ratio=st.floats(min_value=0.05, max_value=0.95),
)
def test_the_warning_lies_inside_the_limit_at_its_share(start: datetime, minutes: int, ratio: float) -> None:
    due = start + timedelta(minutes=minutes)
    warn = warn_time(start, due, ratio)
    assert start < warn < due
    assert abs((warn - start) / (due - start) - ratio) < 1e-6


@pytest.mark.django_db
def test_each_clock_uses_the_rule_books_number() -> None:
    assert limit_of(ClockName.INTAKE, kind=Kind.ROUTINE) == timedelta(minutes=5)
    assert limit_of(ClockName.CONTACT, kind=Kind.ROUTINE) == timedelta(minutes=30)
    assert limit_of(ClockName.REPAIR, kind=Kind.ROUTINE) == timedelta(hours=48)
    assert limit_of(ClockName.ARRIVAL, kind=Kind.EMERGENCY) == timedelta(hours=1)
    assert limit_of(ClockName.REPORT, kind=Kind.EMERGENCY) == timedelta(hours=2)
    assert limit_of(ClockName.CALLBACK, kind=Kind.ROUTINE) == timedelta(hours=24)
