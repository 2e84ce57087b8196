"""The daily roll-up: its figures equal the live computation, refreshing is idempotent, today is live."""

import datetime as dt
from dataclasses import replace
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from heatline.registry.tests.factories import Org
from heatline.reports import selectors as s
from heatline.reports.jobs import rollup_recent
from heatline.reports.models import Cut, DailyFigure, RollupDay
from heatline.reports.rollup import period_refresh, rollup_refresh
from heatline.reports.tests.dataset import T0, build_day
from heatline.requests.jobs import clocks_sweep
from heatline.requests.models import Action, Source
from heatline.requests.tests.factories import advance, emergency_request, registered_request

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 11, 22)
NOW = dt.datetime(2025, 11, 22, 12, 0, tzinfo=TZ)
FIRST = dt.date(2025, 11, 18)


def build_season(org: Org) -> None:
    """The hand-computed day (2025-11-20) plus other days, sources, kinds and districts, some contacts in
    time and some breached, and two requests today (read live)."""
    build_day(org)
    numbers = iter(range(1000, 2000))

    def platform(source: str) -> dict[str, Any]:
        if source in (Source.GOV_12345, Source.GOV_12319):
            return {"source": source, "external_id": f"GOV{next(numbers)}"}
        return {"source": source} if source else {}

    for offset, source in ((-2, Source.GOV_12345), (-1, Source.HOTLINE), (1, Source.SERVICE_POINT), (2, "")):
        start = T0 + dt.timedelta(days=offset)
        with time_machine.travel(start, tick=False) as traveller:
            a = registered_request(org, **platform(source))
            b = registered_request(org, household=org.other_household, **platform(source))
            c = emergency_request(org, **platform(Source.GOV_12319))
            registered_request(org, category="no_heat" if offset % 2 else "low_temperature")
            traveller.move_to(start + dt.timedelta(minutes=10))
            advance(a, (Action.CONTACT, org.responsible, None))
            if offset < 2:
                traveller.move_to(start + dt.timedelta(hours=2))
                clocks_sweep(now=timezone.now())
                advance(b, (Action.CONTACT, org.other_responsible, None))
                advance(c, (Action.ARRIVE, org.responsible, None))


FILTERS: list[tuple[str, dict[str, str]]] = [
    ("manager", {}),
    ("responsible", {}),  # district staff: their district only
    ("other_responsible", {}),
    ("branch_manager", {}),
    ("manager", {"source": Source.GOV_12345}),
    ("manager", {"source": Source.HOTLINE}),
    ("manager", {"kind": "emergency"}),
    ("manager", {"kind": "routine", "category": "CAT"}),
    ("manager", {"district": "OTHER"}),
    ("manager", {"branch": "BRANCH"}),
    ("manager", {"source": Source.GOV_12319, "kind": "emergency"}),  # not a cut: all live
    ("manager", {"team": "CREW"}),
    ("manager", {"team": "CREW", "category": "CAT"}),
    ("responsible", {"team": "CREW"}),
    ("manager", {"team": "CREW", "source": Source.GOV_12319}),  # not a cut: all live
    ("manager", {"from": "2025-11-19", "to": "2025-11-20"}),
]


def _params(org: Org, raw: dict[str, str]) -> dict[str, str]:
    from heatline.requests.models import Category

    params = {"from": FIRST.isoformat(), "to": TODAY.isoformat(), **raw}
    if params.get("category") == "CAT":
        params["category"] = str(Category.objects.get(code="low_temperature").pk)
    if params.get("district") == "OTHER":
        params["district"] = str(org.other_district.pk)
    if params.get("branch") == "BRANCH":
        params["branch"] = str(org.other_district.branch_id)
    if params.get("team") == "CREW":
        params["team"] = str(org.crew.pk)
    return params


def _figures(org: Org) -> list[dict[str, Any]]:
    result = []
    for role, raw in FILTERS:
        viewer = org[role]
        flt = s.report_filter_parse(params=_params(org, raw), viewer=viewer)
        board = s.dashboard(flt=flt, viewer=viewer, now=NOW, use_cache=False)
        result.append({key: value for key, value in board.items() if key not in ("sections", "as_of")})
    return result


@pytest.mark.django_db
def test_rolled_up_figures_equal_the_live_computation(org: Org) -> None:
    # given: several days, all read live (nothing rolled up yet)
    build_season(org)
    with time_machine.travel(NOW, tick=False):
        live = _figures(org)
        assert live[0]["summary"]["total"] == 6 + 4 * 4
        assert s.plan_for(s.ReportFilter(date_from=FIRST, date_to=TODAY), NOW).rolled is None

        # when: the past days are rolled up
        rows = rollup_refresh(FIRST, TODAY)
        households = period_refresh(FIRST, TODAY)

        # then: they are read from the roll-up, today live, and every figure is the same
        assert rows > 0
        assert households == 2
        assert s._household_plan(s.ReportFilter(date_from=FIRST, date_to=TODAY), org.manager, NOW) is not None
        plan = s.plan_for(s.ReportFilter(date_from=FIRST, date_to=TODAY), NOW)
        assert plan.rolled == (FIRST, TODAY - dt.timedelta(days=1))
        assert plan.live == ((TODAY, TODAY),)
        rolled = _figures(org)
        team = s.ReportFilter(date_from=FIRST, date_to=TODAY, team_id=org.crew.pk)
        assert s.plan_for(team, NOW).cut == Cut.TEAM
        assert s.plan_for(replace(team, source=Source.GOV_12319), NOW).cut is None
    for (role, raw), before, after in zip(FILTERS, live, rolled, strict=True):
        assert after == before, (role, raw)
    # the crew's figures are some of the requests, not none and not all (the emergencies went to the crew)
    crew = FILTERS.index(("manager", {"team": "CREW"}))
    assert 0 < rolled[crew]["summary"]["total"] < rolled[0]["summary"]["total"]


@pytest.mark.django_db
def test_district_staff_never_see_other_districts_through_the_roll_up(org: Org) -> None:
    # given
    build_season(org)
    with time_machine.travel(NOW, tick=False):
        rollup_refresh(FIRST, TODAY)
        period_refresh(FIRST, TODAY)
        flt = s.ReportFilter(date_from=FIRST, date_to=TODAY)

        # when
        mine = s.summary(flt=flt, viewer=org.responsible, now=NOW)
        everyone = s.summary(flt=flt, viewer=org.manager, now=NOW)
        ranking = s.district_ranking(flt=flt, viewer=org.responsible, now=NOW)

    # then: only org.district's requests (the other household's are in the other district)
    assert 0 < mine["total"] < everyone["total"]
    assert [row["district_id"] for row in ranking] == [org.district.pk]


@pytest.mark.django_db
def test_refresh_is_idempotent(org: Org) -> None:
    # given
    build_season(org)
    with time_machine.travel(NOW, tick=False):
        rollup_refresh(FIRST, TODAY)
        first = sorted(DailyFigure.objects.values_list())
        days = set(RollupDay.objects.values_list("day", flat=True))

        # when
        rollup_refresh(FIRST, TODAY)

    # then: the same rows (new ids aside), every past day marked, today never rolled up
    second = sorted(DailyFigure.objects.values_list())
    assert [row[1:] for row in sorted(first, key=lambda r: r[1:])] == [
        row[1:] for row in sorted(second, key=lambda r: r[1:])
    ]
    assert days == {FIRST + dt.timedelta(days=n) for n in range(4)}
    assert TODAY not in days
    cuts = set(DailyFigure.objects.values_list("cut", flat=True))
    assert cuts == {Cut.ALL, Cut.DISTRICT, Cut.SOURCE, Cut.KIND, Cut.TEAM}
    assert sum(DailyFigure.objects.filter(cut=Cut.ALL).values_list("total", flat=True)) == 6 + 4 * 3


@pytest.mark.django_db
def test_today_is_read_live_and_past_days_as_of_the_last_refresh(org: Org) -> None:
    # given: rolled up at NOW
    build_season(org)
    flt = s.ReportFilter(date_from=FIRST, date_to=TODAY)
    with time_machine.travel(NOW, tick=False):
        rollup_refresh(FIRST, TODAY)
        before = s.summary(flt=flt, viewer=org.manager, now=NOW)["total"]

        # when: a request arrives today
        registered_request(org)
        after = s.summary(flt=flt, viewer=org.manager, now=timezone.now())["total"]
        board = s.dashboard(flt=flt, viewer=org.manager, now=NOW, use_cache=False)

    # then: counted at once; the dashboard says when the roll-up was computed
    assert after == before + 1
    assert board["as_of"] == NOW
    assert board["daily"][-1]["total"] == 4 + 1


@pytest.mark.django_db
def test_worker_refreshes_the_recent_days_every_five_minutes(org: Org) -> None:
    # given
    build_season(org)
    with time_machine.travel(NOW, tick=False) as traveller:
        # when / then: stale at first, fresh right after, stale again 5 minutes later
        assert rollup_recent(timezone.now()) > 0
        assert rollup_recent(timezone.now()) == 0
        traveller.move_to(NOW + dt.timedelta(minutes=4))
        assert rollup_recent(timezone.now()) == 0
        traveller.move_to(NOW + dt.timedelta(minutes=5, seconds=1))
        assert rollup_recent(timezone.now()) > 0
    assert RollupDay.objects.filter(day=TODAY - dt.timedelta(days=1)).get().refreshed_at > NOW


@pytest.mark.django_db
def test_command_rolls_up_with_progress(org: Org) -> None:
    # given
    build_season(org)
    out = StringIO()

    # when
    with time_machine.travel(NOW, tick=False):
        call_command("reports_rollup", "--all", stdout=out)

    # then: from the first request's day to yesterday
    text = out.getvalue()
    assert "2025-11-18 – 2025-11-21" in text
    assert "rolled up 4 days" in text
    assert RollupDay.objects.count() == 4


@pytest.mark.django_db
def test_dashboard_and_api_read_the_roll_up_and_say_as_of_when(org: Org) -> None:
    # given: the hand-computed day rolled up, read the next day
    build_day(org)
    client = Client()
    client.force_login(org.manager)
    period = "from=2025-11-20&to=2025-11-21"
    with time_machine.travel(NOW, tick=False):
        live = client.get(f"/api/v1/reports/summary?{period}").json()
        before = client.get(f"/reports/?{period}").content.decode()
        rollup_refresh(dt.date(2025, 11, 20), dt.date(2025, 11, 21))

        # when
        cache.clear()
        rolled = client.get(f"/api/v1/reports/summary?{period}").json()
        page = client.get(f"/reports/?{period}").content.decode()

    # then: the same figures as computed live (6 requests, response 3/5), and the page dates them
    assert rolled == live
    assert rolled["total"] == 6
    assert (rolled["rates"]["response"]["numerator"], rolled["rates"]["response"]["denominator"]) == (3, 5)
    assert "数据截至" not in before
    assert "数据截至 2025-11-22 12:00" in page


@pytest.mark.django_db
def test_nightly_job_builds_the_season_and_its_household_counts_once_a_night(org: Org) -> None:
    # given: a season that began on the first day of the data
    from heatline.core.models import HeatingSeason
    from heatline.reports.jobs import rollup_season
    from heatline.reports.models import PeriodSpan

    HeatingSeason.objects.filter(year=2025).delete()
    HeatingSeason.objects.create(year=2025, first_heating_day=FIRST, last_day=dt.date(2026, 3, 31))
    build_season(org)
    with time_machine.travel(NOW, tick=False) as traveller:
        # when / then: built once, not again the same night, again the next night
        assert rollup_season(timezone.now()) > 0
        span = PeriodSpan.objects.get()
        assert (span.first_day, span.last_day) == (FIRST, TODAY - dt.timedelta(days=1))
        assert rollup_season(timezone.now()) == 0
        traveller.move_to(NOW + dt.timedelta(days=1))
        assert rollup_season(timezone.now()) > 0
        assert PeriodSpan.objects.get().last_day == TODAY
