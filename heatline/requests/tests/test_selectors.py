"""Reads of requests, scoped by viewer: lists, work queues, callbacks due, the caller pop-up."""

from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from heatline.core.errors import NotVisible
from heatline.registry.tests.factories import Org
from heatline.requests import selectors
from heatline.requests.models import Action
from heatline.requests.selectors import (
    callbacks_due,
    caller_lookup,
    request_detail_visible,
    request_get_visible,
    request_list_visible,
    work_queue,
)
from heatline.requests.tests.factories import (
    advance,
    emergency_request,
    registered_request,
    reported_request,
)
from heatline.requests.transitions import Params

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_district_staff_see_their_district_and_company_wide_roles_see_all(org: Org) -> None:
    mine = registered_request(org)
    theirs = registered_request(org, household=org.other_household)

    assert list(request_list_visible(viewer=org.responsible)) == [mine]
    assert set(request_list_visible(viewer=org.operator)) == {mine, theirs}
    assert set(request_list_visible(viewer=org.branch_manager)) == {mine, theirs}
    assert request_get_visible(number=mine.number, viewer=org.worker) == mine
    with pytest.raises(NotVisible):
        request_get_visible(number=theirs.number, viewer=org.responsible)
    with pytest.raises(NotVisible):
        request_detail_visible(number="RX0", viewer=org.admin)


@pytest.mark.django_db
def test_overdue_list_is_sorted_by_due_time_and_today_counts_local_days(org: Org) -> None:
    # given: a routine request at 08:00 (contact due 08:30) and an emergency at 08:10 (arrival due 09:10)
    with time_machine.travel(T0, tick=False) as traveller:
        routine = registered_request(org)
        traveller.move_to(T0 + timedelta(minutes=10))
        emergency = emergency_request(org)

    # when / then: at 09:30 both are overdue, the earliest due first; at 08:45 only the routine one
    assert list(request_list_visible(viewer=org.operator, overdue=True, now=T0 + timedelta(minutes=90))) == [
        routine,
        emergency,
    ]
    assert list(request_list_visible(viewer=org.operator, overdue=True, now=T0 + timedelta(minutes=45))) == [
        routine
    ]
    assert request_list_visible(viewer=org.operator, today=True, now=T0 + timedelta(hours=15)).count() == 2
    assert request_list_visible(viewer=org.operator, today=True, now=T0 + timedelta(hours=17)).count() == 0


@pytest.mark.django_db
def test_work_queue_holds_mine_my_team_my_district_and_my_department_by_due_time(org: Org) -> None:
    # given: a routine request in the district (assigned to the responsible person) and an emergency (crew)
    with time_machine.travel(T0, tick=False):
        routine = registered_request(org)
        emergency = emergency_request(org, household=org.other_household)
        reported = reported_request(org)

    # then: the responsible person and the district's worker see the routine one (reported ones wait
    # on the hotline, not on them); the crew sees the emergency, and so does its district
    assert list(work_queue(viewer=org.responsible)) == [routine]
    assert list(work_queue(viewer=org.worker)) == [routine]
    assert list(work_queue(viewer=org.crew_member)) == [emergency]
    assert list(work_queue(viewer=org.other_responsible)) == [emergency]  # in their district
    # the department head's queue: requests of the department (the category's department)
    assert reported not in list(work_queue(viewer=org.dept_head))


@pytest.mark.django_db
def test_work_queue_after_an_unsatisfied_callback_lands_with_the_department_head(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = advance(
            reported_request(org),
            (Action.CALLBACK, org.operator, Params(solved=False, satisfaction="unsatisfied")),
        )
    assert list(work_queue(viewer=org.dept_head)) == [service_request]


@pytest.mark.django_db
def test_callbacks_due_are_the_reported_requests_by_callback_due_time(org: Org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        first = reported_request(org)
        traveller.move_to(T0 + timedelta(hours=1))
        second = reported_request(org)
        registered_request(org)

    assert list(callbacks_due(viewer=org.operator)) == [first, second]
    assert first.next_due_at == first.reported_at + timedelta(hours=24)  # type: ignore[operator]
    assert list(callbacks_due(viewer=org.other_responsible)) == []


@pytest.mark.django_db
def test_caller_lookup_brings_households_requests_watch_list_and_incidents(org: Org) -> None:
    # given: an open request of the household, and the watch list / incidents interfaces answering
    open_request = registered_request(org)
    with (
        mock.patch.object(
            selectors, "watchlist_status_for_households", return_value={org.household.pk: "重点关注·待上门"}
        ) as watchlist,
        mock.patch.object(
            selectors, "incidents_open_for_households", return_value={org.household.pk: ["3号站计划停热"]}
        ),
    ):
        found = caller_lookup(phone=org.household.phone, viewer=org.operator)

    assert found.households == [org.household]
    assert found.open_requests == [open_request]
    assert found.past_requests == []
    assert found.watchlist == {org.household.pk: "重点关注·待上门"}
    assert found.incidents == {org.household.pk: ["3号站计划停热"]}
    watchlist.assert_called_once_with([org.household.pk])
    assert caller_lookup(phone="  ", viewer=org.operator).households == []
    assert caller_lookup(phone=org.household.phone, viewer=org.other_responsible).households == []


@pytest.mark.django_db
def test_list_selectors_have_bounded_query_counts(org: Org, django_assert_max_num_queries: Any) -> None:
    for _index in range(5):
        registered_request(org)
        emergency_request(org)
        reported_request(org)
    for viewer in (org.operator, org.responsible, org.crew_leader, org.dept_head):
        with django_assert_max_num_queries(1):
            rows = list(work_queue(viewer=viewer))
            [(row.assignee, row.district, row.category, row.household) for row in rows]
    with django_assert_max_num_queries(1):
        rows = list(request_list_visible(viewer=org.operator))
        [(row.assignee, row.district, row.category, row.household) for row in rows]
    with django_assert_max_num_queries(1):
        list(callbacks_due(viewer=org.operator))
    with django_assert_max_num_queries(7):  # the register's extra numbers are read first (index-only)
        caller_lookup(phone=org.household.phone, viewer=org.operator)
