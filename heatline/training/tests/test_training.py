"""第十条 培训: sessions, attendance, who missed a quarter, the reminder when a quarter had none."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from heatline.core.errors import ActionForbidden, InvalidInput
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import Org
from heatline.training.jobs import training_quarter_reminder
from heatline.training.selectors import coverage, quarter_bounds, quarter_of
from heatline.training.services import attendance_add, session_record

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 11, 5)


def _session(org: Org, *attendees, held_on: dt.date = DAY):  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 11, 20, 9, 0, tzinfo=TZ), tick=False):
        return session_record(
            held_on=held_on,
            title="冬季诉求分类与沟通培训",
            topics=["classification", "communication"],
            attendee_ids=[person.pk for person in attendees],
            trainer_id=org.dept_head.pk,
            by=org.dept_head,
        )


def test_quarters() -> None:
    assert quarter_of(dt.date(2025, 11, 5)) == (2025, 4)
    assert quarter_of(dt.date(2025, 3, 31)) == (2025, 1)
    assert quarter_bounds(2025, 4) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert quarter_bounds(2024, 1) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))


@pytest.mark.django_db
def test_coverage_lists_who_missed_the_quarter(org: Org) -> None:
    # given: operator and worker trained; responsible, other responsible, crew leader and member not
    session = _session(org, org.operator, org.worker)

    # when
    figures = coverage(year=2025, quarter=4, viewer=org.manager)

    # then
    assert (session.year, session.quarter) == (2025, 4)
    assert figures.sessions == 1
    assert figures.topics == ["诉求分类", "沟通技巧"]
    assert figures.required == 6
    assert figures.trained == 2
    assert {p.username for p in figures.missed} == {"t_district", "t_district2", "t_crew", "t_crew2"}
    # a district responsible sees only the staff of the own district
    own = coverage(year=2025, quarter=4, viewer=org.responsible)
    assert (own.required, own.trained) == (2, 1)
    # and the next quarter nobody is trained yet
    assert coverage(year=2026, quarter=1, viewer=org.manager).trained == 0


@pytest.mark.django_db
def test_attendance_is_counted_once(org: Org) -> None:
    # given
    session = _session(org, org.operator)

    # when
    added = attendance_add(
        session=session, attendee_ids=[org.operator.pk, org.crew_member.pk], by=org.dept_head
    )

    # then
    assert added == 1
    assert session.attendances.count() == 2


@pytest.mark.django_db
def test_rules_of_recording(org: Org) -> None:
    with pytest.raises(ActionForbidden):
        session_record(
            held_on=DAY, title="x", topics=["process"], attendee_ids=[], trainer_name="王", by=org.manager
        )
    with pytest.raises(InvalidInput):
        session_record(held_on=DAY, title="x", topics=[], attendee_ids=[], trainer_name="王", by=org.admin)
    with pytest.raises(InvalidInput):
        session_record(
            held_on=DAY, title="x", topics=["cooking"], attendee_ids=[], trainer_name="王", by=org.admin
        )
    with pytest.raises(InvalidInput):  # management is not a trainee
        session_record(
            held_on=DAY,
            title="x",
            topics=["process"],
            attendee_ids=[org.manager.pk],
            trainer_name="王",
            by=org.admin,
        )
    with pytest.raises(InvalidInput), time_machine.travel(dt.datetime(2025, 11, 1, 9, tzinfo=TZ), tick=False):
        session_record(
            held_on=DAY, title="x", topics=["process"], attendee_ids=[], trainer_name="王", by=org.admin
        )


@pytest.mark.django_db
def test_reminder_when_a_quarter_ends_without_training(org: Org) -> None:
    # given: no training in 2025 Q4; the job runs on 2 and 3 January 2026
    first = dt.datetime(2026, 1, 2, 8, 0, tzinfo=TZ)

    # when
    with time_machine.travel(first, tick=False):
        sent = training_quarter_reminder(first)
        again = training_quarter_reminder(first + dt.timedelta(days=1))

    # then: management (manager + admin) told once
    assert sent == 2
    assert again == 0
    messages = Outbox.objects.filter(topic="notify", dedupe_key__startswith="training-missing:2025Q4")
    assert sorted(int(m.key) for m in messages) == sorted([org.manager.pk, org.admin.pk])
    assert "第4季度" in messages[0].payload["title"]


@pytest.mark.django_db
def test_no_reminder_when_the_quarter_had_training(org: Org) -> None:
    # given
    _session(org, org.operator)

    # when
    sent = training_quarter_reminder(dt.datetime(2026, 1, 2, 8, 0, tzinfo=TZ))
    during = training_quarter_reminder(dt.datetime(2025, 12, 2, 8, 0, tzinfo=TZ))  # Q3 2025 had none

    # then
    assert sent == 0
    assert during == 2


@pytest.mark.django_db
def test_pages_and_api(org: Org, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    # given
    session = _session(org, org.operator)
    manager = Client()
    manager.force_login(org.manager)
    head = Client()
    head.force_login(org.dept_head)

    # when
    with django_assert_max_num_queries(25):
        page = manager.get("/training/?year=2025&quarter=4")
    detail = manager.get(f"/training/sessions/{session.pk}/")
    form_for_manager = manager.get("/training/sessions/new/")
    with time_machine.travel(dt.datetime(2025, 11, 20, 9, 0, tzinfo=TZ), tick=False):
        posted = head.post(
            "/api/v1/training/sessions",
            data={
                "held_on": "2025-11-18",
                "title": "办理流程",
                "topics": ["process"],
                "attendee_ids": [org.crew_leader.pk],
                "trainer_name": "外请讲师",
            },
            content_type="application/json",
        )
        refused = manager.post(
            "/api/v1/training/sessions",
            data={"held_on": "2025-11-18", "title": "x", "topics": ["process"], "trainer_name": "王"},
            content_type="application/json",
        )
    covered = manager.get("/api/v1/training/coverage?year=2025&quarter=4").json()

    # then
    assert page.status_code == 200
    assert "片区长甲" in page.content.decode()  # missed the quarter
    assert detail.status_code == 200
    assert form_for_manager.status_code == 404
    assert posted.status_code == 201
    assert posted.json()["quarter"] == 4
    assert refused.status_code == 403
    assert covered["trained"] == 2
    assert Client().get("/training/").status_code == 302
    assert Client().get("/api/v1/training/coverage?year=2025&quarter=4").status_code == 401


@pytest.mark.django_db
def test_recording_through_the_form(org: Org) -> None:
    # given
    head = Client()
    head.force_login(org.dept_head)

    # when
    with time_machine.travel(dt.datetime(2025, 11, 20, 9, 0, tzinfo=TZ), tick=False):
        response = head.post(
            "/training/sessions/new/",
            {
                "held_on": "2025-11-19",
                "title": "沟通技巧",
                "topics": ["communication"],
                "trainer": org.dept_head.pk,
                "attendees": [org.operator.pk, org.worker.pk],
            },
        )

    # then
    assert response.status_code == 302
    assert coverage(year=2025, quarter=4, viewer=org.manager).trained == 2


@pytest.mark.django_db
def test_demo_is_idempotent(org: Org) -> None:
    import random

    from heatline.training.demo import populate
    from heatline.training.models import TrainingSession

    # when
    populate(rng=random.Random(1), progress=lambda message: None)
    populate(rng=random.Random(1), progress=lambda message: None)

    # then
    assert TrainingSession.objects.count() == 3
