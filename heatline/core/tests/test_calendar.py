import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heatline.core.calendar import (
    add_working_days,
    is_working_day,
    workday_override_set,
    working_days_between,
)
from heatline.core.models import WorkdayOverride

D = dt.date


@pytest.mark.django_db
def test_national_day_holiday_is_skipped_and_the_make_up_saturday_counts() -> None:
    # given: 2026-09-30 (Wed), the last working day before the National Day holiday (Oct 1–7)
    # when: three working days are added
    # then: Oct 8 (Thu), Oct 9 (Fri), Oct 10 (the make-up Saturday 调休)
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert is_working_day(D(2026, 10, 10)) is True
    assert is_working_day(D(2026, 10, 5)) is False


@pytest.mark.django_db
def test_spring_festival_with_make_up_saturdays() -> None:
    # given: Friday 2026-02-13; Saturday Feb 14 is a make-up working day, Feb 15–23 the holiday
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    # when: counting on from the make-up Saturday across the whole holiday
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # then: Feb 28 (Saturday) is the second make-up day of the festival
    assert add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2


@pytest.mark.django_db
def test_a_year_the_package_does_not_know_uses_weekdays_and_the_overrides() -> None:
    # given: 2031 is not in chinese-calendar; the administrator enters its National Day
    workday_override_set(entries=[(D(2031, 10, day), False, "国庆节") for day in range(1, 8)])
    workday_override_set(entries=[(D(2031, 10, 11), True, "国庆调休")])
    # when / then: Tuesday Sep 30 + 1 working day skips Oct 1–7 and the weekend, lands on Wed Oct 8
    assert add_working_days(D(2031, 9, 30), 1) == D(2031, 10, 8)
    # the make-up Saturday Oct 11 counts: Oct 8, 9, 10, 11
    assert add_working_days(D(2031, 9, 30), 4) == D(2031, 10, 11)
    # a plain weekend in that year is a rest day
    assert is_working_day(D(2031, 11, 8)) is False


@pytest.mark.django_db
def test_an_override_wins_over_the_package() -> None:
    # given: a local decision that 2026-11-30 (Monday) is a rest day (e.g. extreme cold)
    WorkdayOverride.objects.create(date=D(2026, 11, 30), is_working_day=False, note="极寒停工")
    # then
    assert is_working_day(D(2026, 11, 30)) is False
    assert add_working_days(D(2026, 11, 27), 1) == D(2026, 12, 1)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=25),
)
def test_add_working_days_lands_on_a_working_day_exactly_n_working_days_later(start: dt.date, n: int) -> None:
    end = add_working_days(start, n)
    assert end >= start
    assert working_days_between(start, end) == n
    if n > 0:
        assert is_working_day(end)
