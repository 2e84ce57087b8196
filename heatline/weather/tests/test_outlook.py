"""The cold-snap outlook: the fit recovers a known line, a sparse district falls back to the company's fit,
the backtest's error figures, the states without forecast or history."""

import datetime as dt

import pytest

from heatline.registry.tests.factories import Org
from heatline.weather.outlook import Fit, backtest, fit_line, outlook_compute
from heatline.weather.tests.factories import forecast, heating_requests, observed

TODAY = dt.date(2026, 12, 7)


def test_fit_line_recovers_an_exact_line_and_survives_no_spread() -> None:
    # given
    xs = [0.0, 1.0, 2.0, 5.0, 10.0]

    # when
    fit = fit_line(xs, [3 + 2 * x for x in xs])

    # then
    assert fit.a == pytest.approx(3) and fit.b == pytest.approx(2) and fit.days == 5
    assert fit_line([0.0, 0.0], [4.0, 6.0]) == Fit(5.0, 0.0, 2)


def _history(org: Org, *, days: int = 20, sparse_days: int = 3) -> None:
    """`days` past days at −5 − x ℃ (x = 0 … 19 degrees below the base), with exactly 3 + 2x heating
    requests in the main district; the other district only a few requests on a few days."""
    for i in range(days):
        day = TODAY - dt.timedelta(days=days - i)
        x = float(i)
        observed(day, -5.0 - x)
        heating_requests(district=org.district, day=day, n=int(3 + 2 * x))
    for i in range(sparse_days):
        heating_requests(district=org.other_district, day=TODAY - dt.timedelta(days=i + 1), n=2)


@pytest.mark.django_db
def test_the_fit_recovers_the_slope_and_predicts_from_the_forecast(org: Org) -> None:
    # given: 3 + 2x exactly; tomorrow −15 ℃ (x = 10), the day after −3 ℃ (x = 0), the third day no forecast
    _history(org, sparse_days=0)
    forecast(TODAY + dt.timedelta(days=1), -15.0)
    forecast(TODAY + dt.timedelta(days=2), -3.0)
    heating_requests(district=org.district, day=TODAY, n=4)
    heating_requests(district=org.district, day=TODAY, n=1, code="no_heat")
    heating_requests(district=org.district, day=TODAY, n=5, code="billing")  # not a heating call

    # when
    outlook = outlook_compute(today=TODAY)

    # then
    assert outlook["state"] == "ok" and outlook["fitted_days"] == 20
    row = next(r for r in outlook["rows"] if r["district_id"] == org.district.pk)
    assert not row["is_fallback"]
    assert (row["a"], row["b"]) == (pytest.approx(3), pytest.approx(2))
    assert row["expected"] == [23.0, 3.0, None]
    assert row["today_count"] == 5
    assert row["error"]["mae"] == 0 and row["error"]["days"] == 14
    assert [d["has_forecast"] for d in outlook["days"]] == [True, True, False]
    total = outlook["total"]
    assert total is not None and total["expected"][:2] == [23.0, 3.0]
    staffing = outlook["staffing"][0]
    assert staffing["operators"] is not None and staffing["operators"] >= 1


@pytest.mark.django_db
def test_a_sparse_district_gets_the_company_fit_scaled_by_its_share(org: Org) -> None:
    # given: the other district has requests on 3 days only
    _history(org, sparse_days=3)
    forecast(TODAY + dt.timedelta(days=1), -15.0)

    # when
    outlook = outlook_compute(today=TODAY)

    # then
    main = next(r for r in outlook["rows"] if r["district_id"] == org.district.pk)
    sparse = next(r for r in outlook["rows"] if r["district_id"] == org.other_district.pk)
    total = outlook["total"]
    assert total is not None
    share = 6 / (sum(3 + 2 * i for i in range(20)) + 6)
    assert sparse["is_fallback"] and not main["is_fallback"]
    assert sparse["b"] == pytest.approx(total["b"] * share, abs=1e-3)
    assert sparse["expected"][0] == pytest.approx(total["expected"][0] * share, abs=0.1)


def test_backtest_error_figures_on_a_constructed_case() -> None:
    # given: y = 3 + 2x; three days at x = 0, 5, 10 (predicted 3, 13, 23) with actual 5, 13, 17
    fit = Fit(3.0, 2.0, 30)
    days = [
        (dt.date(2026, 12, 1), -5.0, 5),
        (dt.date(2026, 12, 2), -10.0, 13),
        (dt.date(2026, 12, 3), -15.0, 17),
    ]

    # when
    series, error = backtest(fit, days, base=-5.0)

    # then: |5−3| + |13−13| + |17−23| = 8 over 3 days; mean actual 35/3
    assert [d["predicted"] for d in series] == [3.0, 13.0, 23.0]
    assert error["mae"] == pytest.approx(2.67, abs=0.01)
    assert error["pct"] == pytest.approx(round(8 / 35 * 100, 1))


@pytest.mark.django_db
def test_without_forecast_or_history_the_outlook_says_so(org: Org) -> None:
    # when: nothing at all
    empty = outlook_compute(today=TODAY)

    # then
    assert empty["state"] == "no_history"
    assert empty["total"] is not None and empty["total"]["expected"] == [None, None, None]
    assert empty["staffing"] == []

    # when: history but no forecast
    _history(org)
    assert outlook_compute(today=TODAY)["state"] == "no_forecast"
