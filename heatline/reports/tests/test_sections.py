"""Optional sections from the other areas: present when they answer, absent (not an error) when not."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from heatline.integrations.cti.services import CallEvent, call_called_back, call_event_record
from heatline.integrations.models import Call
from heatline.integrations.services import system_staff
from heatline.registry.models import Role
from heatline.registry.tests.factories import Org
from heatline.reports import sections
from heatline.reports.selectors import ReportFilter

FLT = ReportFilter(date_from=dt.date(2025, 11, 1), date_to=dt.date(2025, 11, 30))
TZ = ZoneInfo("Asia/Shanghai")
AFTER_PERIOD = dt.datetime(2025, 12, 1, 1, 0, tzinfo=TZ)


def phone_call(call_id: str, *, rang: dt.datetime, answered_after: int | None, hung_up_after: int) -> Call:
    """One call as the phone system reports it (the pbx account, through call_event_record)."""
    pbx = system_staff(username="pbx", name="电话系统接口", role=Role.PBX)
    call_event_record(event=CallEvent(call_id, "ringing", "13800000001", "t_operator", rang), by=pbx)
    if answered_after is not None:
        at = rang + dt.timedelta(seconds=answered_after)
        call_event_record(event=CallEvent(call_id, "answered", "13800000001", "t_operator", at), by=pbx)
    at = rang + dt.timedelta(seconds=hung_up_after)
    return call_event_record(event=CallEvent(call_id, "hangup", "13800000001", "t_operator", at), by=pbx)


def november_calls(org: Org) -> None:
    """Five calls in November (two answered, one within 15 s; three abandoned, one called back) and one
    in the first minutes of December (local time), all recorded under a frozen clock."""
    with time_machine.travel(AFTER_PERIOD, tick=False):
        day = dt.datetime(2025, 11, 20, 8, 0, tzinfo=TZ)
        phone_call("a", rang=day, answered_after=5, hung_up_after=120)
        phone_call("b", rang=day + dt.timedelta(minutes=10), answered_after=40, hung_up_after=300)
        missed = phone_call("c", rang=day + dt.timedelta(minutes=20), answered_after=None, hung_up_after=30)
        call_called_back(call=missed, by=org.operator)
        phone_call("d", rang=day.replace(hour=19, minute=30), answered_after=None, hung_up_after=20)
        last = dt.datetime(2025, 11, 30, 23, 59, tzinfo=TZ)  # 15:59 UTC: still November here
        phone_call("e", rang=last, answered_after=None, hung_up_after=10)
        phone_call("f", rang=dt.datetime(2025, 12, 1, 0, 5, tzinfo=TZ), answered_after=2, hung_up_after=60)


@pytest.mark.django_db
def test_sections_answer_for_an_empty_utility(org: Org) -> None:
    # when
    result = sections.sections_for(flt=FLT, viewer=org.manager, now=timezone.now())

    # then
    assert result["joint"] is not None and result["joint"]["opened"] == 0
    assert result["inspections"] is not None and result["inspections"]["total"] == 0
    assert result["training"] is not None and result["training"]["quarters"][0]["label"] == "2025Q4"
    assert result["watch_list"] is None  # no heating season configured


@pytest.mark.django_db
def test_a_failing_section_is_left_out_not_fatal(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    def broken(flt: object, viewer: object, now: object) -> None:
        raise LookupError("app not there yet")

    monkeypatch.setitem(sections.SECTIONS, "joint", broken)

    # when
    result = sections.sections_for(flt=FLT, viewer=org.manager, now=timezone.now())

    # then
    assert result["joint"] is None
    assert result["training"] is not None


@pytest.mark.django_db
def test_call_figures_of_the_period_for_a_viewer_of_the_whole_utility(org: Org) -> None:
    # given
    november_calls(org)

    # when
    with time_machine.travel(AFTER_PERIOD, tick=False):
        result = sections.sections_for(flt=FLT, viewer=org.manager, now=timezone.now())

    # then: the December call is not counted; hours are local
    calls = result["calls"]
    assert (calls["offered"], calls["answered"], calls["answered_in_15s"]) == (5, 2, 1)
    assert (calls["abandoned"], calls["called_back"]) == (3, 1)
    assert calls["answer_rate"] == 0.4 and calls["answer_rate_15s"] == 0.2
    per_hour = {row["hour"]: row["abandoned"] for row in calls["abandoned_per_hour"]}
    assert list(per_hour) == list(range(24))
    assert {hour: n for hour, n in per_hour.items() if n} == {8: 1, 19: 1, 23: 1}


@pytest.mark.django_db
def test_calls_are_left_out_for_anyone_who_sees_less_than_the_whole_utility(org: Org) -> None:
    # given
    november_calls(org)

    # when
    with time_machine.travel(AFTER_PERIOD, tick=False):
        seen = {
            role: sections.sections_for(flt=FLT, viewer=org[role], now=timezone.now())
            for role in ("manager", "operator", "admin", "branch_manager", "responsible", "worker")
        }

    # then
    assert all(seen[role]["calls"]["offered"] == 5 for role in ("manager", "operator", "admin"))
    assert all("calls" not in seen[role] for role in ("branch_manager", "responsible", "worker"))
    assert seen["responsible"]["training"] is not None  # the other sections stay
    assert sections.SECTIONS["calls"](FLT, org.responsible, timezone.now()) is None
