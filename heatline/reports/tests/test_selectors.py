"""Figures of the fixed day (see dataset.py) against hand-computed values."""

import datetime as dt
from decimal import Decimal

import pytest

from heatline.core.errors import NotVisible
from heatline.core.models import RuleSetting
from heatline.registry.tests.factories import Org
from heatline.reports.selectors import (
    ReportFilter,
    category_breakdown,
    community_grid,
    daily_volume,
    district_ranking,
    drilldown_requests,
    repeat_figures,
    report_filter_parse,
    summary,
    top_households,
)
from heatline.reports.tests.dataset import NOW, build_day

DAY = dt.date(2025, 11, 20)
FLT = ReportFilter(date_from=DAY, date_to=DAY)


@pytest.mark.django_db
def test_summary_for_management_matches_the_hand_computed_figures(org: Org) -> None:
    # given
    build_day(org)

    # when
    figures = summary(flt=FLT, viewer=org.manager, now=NOW)

    # then: 6 requests, E excluded, B registered late
    assert figures["total"] == 6
    assert figures["excluded"] == 1
    assert figures["counted"] == 5
    assert figures["classified_in_time"] == 5
    assert figures["classified_share"] == round(5 / 6, 4)
    rates = figures["rates"]
    # response: A and F contacted in time, D answered at intake; B late, C never arrived → 3/5
    assert (rates["response"]["numerator"], rates["response"]["denominator"]) == (3, 5)
    assert rates["response"]["value"] == 0.6
    # resolution: solved A, D ÷ (closed A, D + due C, F) → 2/4
    assert (rates["resolution"]["numerator"], rates["resolution"]["denominator"]) == (2, 4)
    # satisfaction: A satisfied, F unsatisfied → 1/2
    assert (rates["satisfaction"]["numerator"], rates["satisfaction"]["denominator"]) == (1, 2)
    # score: (0.6×0.2 + 0.5×0.4 + 0.5×0.4) ÷ 1.0 × 100
    assert rates["score"] == 52.0
    assert rates["response"]["is_small_sample"] is True
    clocks = figures["clocks"]
    assert clocks["intake"] == {"total": 6, "met": 5, "breached": 1, "open": 0, "share": round(5 / 6, 4)}
    # contact: A, F(r1) met; B (late), E, F(r2) breached
    assert clocks["contact"] == {"total": 5, "met": 2, "breached": 3, "open": 0, "share": 0.4}
    assert clocks["arrival"] == {"total": 1, "met": 0, "breached": 1, "open": 0, "share": 0.0}
    # repair: A, F(r1) met; B, C, E, F(r2) still running
    assert clocks["repair"] == {"total": 6, "met": 2, "breached": 0, "open": 4, "share": round(2 / 6, 4)}
    assert clocks["report"]["met"] == clocks["report"]["total"] == 2
    assert clocks["callback"]["met"] == clocks["callback"]["total"] == 2


@pytest.mark.django_db
def test_district_staff_see_their_district_only(org: Org) -> None:
    # given
    build_day(org)

    # when
    figures = summary(flt=FLT, viewer=org.responsible, now=NOW)

    # then: A–E; response A + D of A–D; resolution A, D ÷ A, D, C; satisfaction A only
    assert figures["total"] == 5
    assert figures["rates"]["response"]["value"] == 0.5
    assert figures["rates"]["resolution"]["value"] == round(2 / 3, 4)
    assert figures["rates"]["satisfaction"]["value"] == 1.0
    with pytest.raises(NotVisible):
        report_filter_parse(params={"district": str(org.other_district.pk)}, viewer=org.responsible)


@pytest.mark.django_db
def test_rate_definitions_and_weights_follow_the_rule_keys(org: Org) -> None:
    # given: 直办 no longer counts as responded, only 满意 is satisfied, response weighs everything
    build_day(org)
    RuleSetting.objects.create(key="rate_response_counts_intake", value=Decimal(0))
    RuleSetting.objects.create(key="rate_resolution_counts_due", value=Decimal(0))
    RuleSetting.objects.create(key="score_weight_response", value=Decimal(1))
    RuleSetting.objects.create(key="score_weight_resolution", value=Decimal(0))
    RuleSetting.objects.create(key="score_weight_satisfaction", value=Decimal(0))

    # when
    rates = summary(flt=FLT, viewer=org.manager, now=NOW)["rates"]

    # then
    assert rates["response"]["value"] == 0.4
    assert (rates["resolution"]["numerator"], rates["resolution"]["denominator"]) == (2, 2)
    assert rates["score"] == 40.0


@pytest.mark.django_db
def test_filters_by_source_and_district(org: Org) -> None:
    # given
    build_day(org)

    # when
    by_district = summary(
        flt=ReportFilter(date_from=DAY, date_to=DAY, district_id=org.other_district.pk),
        viewer=org.manager,
        now=NOW,
    )
    by_source = summary(flt=ReportFilter(date_from=DAY, date_to=DAY, source="12345"), viewer=org.manager)
    next_day = summary(
        flt=ReportFilter(date_from=DAY + dt.timedelta(days=1), date_to=DAY + dt.timedelta(days=1)),
        viewer=org.manager,
    )

    # then
    assert by_district["total"] == 1
    assert by_source["total"] == 0
    assert by_source["rates"]["response"]["value"] is None
    assert by_source["rates"]["score"] is None
    assert next_day["total"] == 0


@pytest.mark.django_db
def test_breakdowns(org: Org) -> None:
    # given
    day = build_day(org)
    flt = ReportFilter(date_from=DAY - dt.timedelta(days=1), date_to=DAY + dt.timedelta(days=1))

    # when
    volume = daily_volume(flt=flt, viewer=org.manager)
    categories = category_breakdown(flt=flt, viewer=org.manager)
    ranking = district_ranking(flt=flt, viewer=org.manager)
    grid = community_grid(flt=flt, viewer=org.manager)
    repeats = repeat_figures(flt=flt, viewer=org.manager)
    top = top_households(flt=flt, viewer=org.manager)

    # then
    assert [(d["total"], d["emergency"]) for d in volume] == [(0, 0), (6, 1), (0, 0)]
    assert sum(c["total"] for c in categories) == 6
    # on time: org.district: intake 5/5 met... every clock of A–E; other district: F's clocks
    assert [r["district_id"] for r in ranking] == [org.other_district.pk, org.district.pk]
    assert ranking[0]["requests"] == 1
    assert grid[0]["community_id"] == org.community.pk
    assert grid[0]["total"] == 5
    assert grid[0]["per_10k_m2"] == round(grid[0]["complaints"] / 20000 * 10000, 2)
    # A, B, C, D, E are the same household: 1 household with 4 repeat requests
    assert repeats == {"households": 1, "repeat_requests": 4, "linked_calls": 0}
    assert top[0] == {"id": org.household.pk, "label": org.household.address, "total": 5}
    assert day.a.pk


@pytest.mark.django_db
def test_drilldown_lists_the_requests_behind_a_figure(org: Org) -> None:
    # given
    day = build_day(org)

    def numbers(**params: str) -> set[str]:
        return {r.number for r in drilldown_requests(flt=FLT, viewer=org.manager, params=params, now=NOW)}

    # then
    assert numbers(clock="contact", clock_state="breached") == {day.b.number, day.e.number, day.f.number}
    assert numbers(clock="contact", clock_state="met") == {day.a.number, day.f.number}
    assert numbers(intake="late") == {day.b.number}
    assert numbers(solved="1") == {day.a.number, day.d.number}
    assert numbers(excluded="1") == {day.e.number}
    assert numbers(status="due", excluded="0") == {day.c.number, day.f.number}
    assert len(numbers(repeat="1")) == 5
