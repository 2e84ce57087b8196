import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from heatline.core.errors import ActionForbidden, InvalidInput, NotVisible, TransitionNotAllowed
from heatline.core.models import RuleSetting
from heatline.outbox.models import Outbox
from heatline.proactive.jobs import remeasure_due
from heatline.proactive.models import BookingResult, EntryStatus, FollowupResult, Reading, VisitAction
from heatline.proactive.refunds import exposure_for
from heatline.proactive.services import (
    RoomReading,
    booking_record,
    fix_record,
    followup_record,
    remeasure_record,
    visit_record,
)
from heatline.proactive.tests.factories import TZ, entry_on_list
from heatline.registry.tests.factories import Org
from heatline.requests.models import Source

VISIT_AT = dt.datetime(2026, 10, 21, 9, 0, tzinfo=TZ)  # outside 10:00–14:00


def rooms(*pairs: tuple[str, str]) -> list[RoomReading]:
    return [RoomReading(room, Decimal(t)) for room, t in pairs]


def visit_cold_and_fix(org: Org, at: dt.datetime = VISIT_AT):  # type: ignore[no-untyped-def]
    entry = entry_on_list(org)
    with time_machine.travel(at, tick=False):
        visit_record(
            entry=entry,
            by=org.worker,
            readings=rooms(("客厅", "17.5"), ("主卧", "20.5")),
            instrument_id="TH-01",
            instrument_certificate="JD2026-001",
            is_calibrated=True,
            cause="radiator_air",
            action=VisitAction.FIXED,
        )
    entry.refresh_from_db()
    return entry


@pytest.mark.django_db
def test_booking_call_reached_rescheduled_and_not_reached(org: Org) -> None:
    # given
    entry = entry_on_list(org)
    with time_machine.travel(dt.datetime(2026, 10, 19, 15, 0, tzinfo=TZ), tick=False):
        # when: not reached, then rescheduled to the 23rd
        booking_record(entry=entry, by=org.worker, result=BookingResult.NOT_REACHED)
        entry.refresh_from_db()
        assert entry.status == EntryStatus.PLANNED
        new_time = dt.datetime(2026, 10, 23, 9, 30, tzinfo=TZ)
        booking_record(entry=entry, by=org.worker, result=BookingResult.RESCHEDULED, new_time=new_time)

        # then
        entry.refresh_from_db()
        assert entry.status == EntryStatus.BOOKED and entry.appointment_at == new_time
        assert entry.planned_for == dt.date(2026, 10, 23) and entry.booking_due_on == dt.date(2026, 10, 22)
        assert entry.calls.count() == 2
        with pytest.raises(InvalidInput, match="新的上门时间"):
            booking_record(entry=entry, by=org.worker, result=BookingResult.RESCHEDULED)


@pytest.mark.django_db
def test_a_visit_needs_readings_in_range_and_cause_and_action_when_cold(org: Org) -> None:
    entry = entry_on_list(org)
    common = {"entry": entry, "by": org.worker, "instrument_id": "TH-01", "is_calibrated": True}
    with time_machine.travel(VISIT_AT, tick=False):
        with pytest.raises(InvalidInput, match="至少录入一个房间"):
            visit_record(readings=[], **common)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="超出范围"):
            visit_record(readings=rooms(("客厅", "41")), **common)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="超出范围"):
            visit_record(readings=rooms(("客厅", "-10.5")), **common)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="须填写原因"):
            visit_record(readings=rooms(("客厅", "18")), **common)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="处理方式"):
            visit_record(readings=rooms(("客厅", "18")), cause="radiator_air", **common)  # type: ignore[arg-type]
    assert not Reading.objects.filter(source="visit").exists()


@pytest.mark.django_db
def test_fix_then_remeasure_after_30_minutes_then_follow_up_call(org: Org) -> None:
    # given: a cold living room fixed on the spot at 09:00
    entry = visit_cold_and_fix(org)
    assert entry.status == EntryStatus.FIXED
    assert entry.remeasure_due_at == VISIT_AT + dt.timedelta(minutes=30)

    # when: re-measured too early, then on time
    with (
        time_machine.travel(VISIT_AT + dt.timedelta(minutes=29), tick=False),
        pytest.raises(InvalidInput, match="30分钟"),
    ):
        remeasure_record(entry=entry, by=org.worker, readings=rooms(("客厅", "21")))
    with time_machine.travel(VISIT_AT + dt.timedelta(minutes=31), tick=False):
        remeasure_record(entry=entry, by=org.worker, readings=rooms(("客厅", "21")))

    # then
    entry.refresh_from_db()
    assert entry.status == EntryStatus.FOLLOWUP
    assert entry.followup_due_on == dt.date(2026, 10, 24)  # 3 days after

    # when: the follow-up call comes too early, then on the day
    with (
        time_machine.travel(dt.datetime(2026, 10, 23, 10, 0, tzinfo=TZ), tick=False),
        pytest.raises(InvalidInput, match="电话回访应在"),
    ):
        followup_record(entry=entry, by=org.operator, result=FollowupResult.HOLDS)
    with time_machine.travel(dt.datetime(2026, 10, 24, 10, 0, tzinfo=TZ), tick=False):
        followup_record(entry=entry, by=org.operator, result=FollowupResult.HOLDS)

    # then
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DONE and entry.confirmed_at is not None


@pytest.mark.django_db
def test_a_remeasurement_still_low_keeps_the_entry_open(org: Org) -> None:
    entry = visit_cold_and_fix(org)
    with time_machine.travel(VISIT_AT + dt.timedelta(minutes=40), tick=False):
        remeasure_record(entry=entry, by=org.worker, readings=rooms(("客厅", "18.5")))
        entry.refresh_from_db()
        assert entry.status == EntryStatus.LOW
        # a new fix starts a new 30-minute clock
        fix_record(entry=entry, by=org.worker)
        entry.refresh_from_db()
    assert entry.status == EntryStatus.FIXED
    assert entry.remeasure_due_at == VISIT_AT + dt.timedelta(minutes=70)


@pytest.mark.django_db
def test_remeasure_before_any_fix_is_refused(org: Org) -> None:
    entry = entry_on_list(org)
    with time_machine.travel(VISIT_AT, tick=False), pytest.raises(TransitionNotAllowed, match="尚未记录处理"):
        remeasure_record(entry=entry, by=org.worker, readings=rooms(("客厅", "21")))


@pytest.mark.django_db
def test_specialists_open_a_linked_request_routed_as_usual(org: Org) -> None:
    # given
    entry = entry_on_list(org)

    # when
    with time_machine.travel(VISIT_AT, tick=False):
        visit = visit_record(
            entry=entry,
            by=org.worker,
            readings=rooms(("客厅", "16")),
            instrument_id="TH-01",
            is_calibrated=True,
            cause="slow_circulation",
            action=VisitAction.SPECIALISTS,
        )

    # then
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SPECIALISTS
    assert visit.request is not None and entry.request_id == visit.request.pk
    assert visit.request.source == Source.PROACTIVE
    assert visit.request.household_id == org.household.pk
    assert visit.request.district_id == org.district.pk and visit.request.assignee_id is not None
    assert "入户管道循环慢" in visit.request.content


@pytest.mark.django_db
def test_staff_of_another_district_and_read_only_roles_are_refused(org: Org) -> None:
    entry = entry_on_list(org)
    with time_machine.travel(VISIT_AT, tick=False):
        with pytest.raises(NotVisible):
            visit_record(
                entry=entry,
                by=org.other_responsible,
                readings=rooms(("客厅", "21")),
                instrument_id="TH-01",
                is_calibrated=True,
            )
        with pytest.raises(ActionForbidden):
            booking_record(entry=entry, by=org.manager, result=BookingResult.REACHED)


@pytest.mark.django_db
def test_the_remeasure_warning_goes_out_once_when_due(org: Org) -> None:
    entry = visit_cold_and_fix(org)
    assert remeasure_due(VISIT_AT + dt.timedelta(minutes=29)) == 0
    assert remeasure_due(VISIT_AT + dt.timedelta(minutes=30)) == 1
    assert remeasure_due(VISIT_AT + dt.timedelta(minutes=45)) == 0
    message = Outbox.objects.get(topic="notify")
    assert message.payload["recipient"] == entry.assignee_id
    assert "复测" in message.payload["title"]


@pytest.mark.django_db
def test_readings_count_for_refunds_only_when_calibrated_and_outside_10_to_14(org: Org) -> None:
    # given: three visits the same day range: counting at 09:00, 11:00 excluded, uncalibrated excluded
    entry = entry_on_list(org)
    common = {"cause": "radiator_air", "action": VisitAction.SPECIALISTS, "instrument_id": "TH-01"}
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ), tick=False):
        visit_record(entry=entry, by=org.worker, readings=rooms(("客厅", "15")), is_calibrated=True, **common)  # type: ignore[arg-type]
    entry.refresh_from_db()
    fix_at = dt.datetime(2026, 11, 3, 11, 0, tzinfo=TZ)
    with time_machine.travel(fix_at, tick=False):
        visit_record(entry=entry, by=org.worker, readings=rooms(("客厅", "18")), is_calibrated=True, **common)  # type: ignore[arg-type]
    with time_machine.travel(dt.datetime(2026, 11, 4, 19, 0, tzinfo=TZ), tick=False):
        visit_record(
            entry=entry, by=org.worker, readings=rooms(("客厅", "18")), is_calibrated=False, **common
        )  # type: ignore[arg-type]
    with time_machine.travel(dt.datetime(2026, 11, 5, 20, 0, tzinfo=TZ), tick=False):
        visit_record(entry=entry, by=org.worker, readings=rooms(("客厅", "19")), is_calibrated=True, **common)  # type: ignore[arg-type]

    # then: each reading says whether it counts and why not
    readings = list(Reading.objects.filter(source="visit").order_by("measured_at"))
    assert [r.counts_for_refund for r in readings] == [True, False, False, True]
    assert "10:00" in readings[1].not_counting_reason
    assert "检定" in readings[2].not_counting_reason
    # one day below 16 (full), one day 16–20 (half)
    exposure = exposure_for(season=entry.season, household_ids=[org.household.pk])[org.household.pk]
    assert (exposure.days_full, exposure.days_half, exposure.refund_days) == (1, 1, Decimal("1.5"))
    assert exposure.season_share == (Decimal("1.5") / 183).quantize(Decimal("0.0001"))

    # when the province's excluded hours change, new readings follow the rule
    RuleSetting.objects.create(key="measure_excluded_from_hour", value=Decimal(18))
    RuleSetting.objects.create(key="measure_excluded_to_hour", value=Decimal(22))
    with time_machine.travel(dt.datetime(2026, 11, 6, 19, 0, tzinfo=TZ), tick=False):
        visit_record(entry=entry, by=org.worker, readings=rooms(("客厅", "19")), is_calibrated=True, **common)  # type: ignore[arg-type]
    assert not Reading.objects.filter(source="visit").latest("measured_at").counts_for_refund


@pytest.mark.django_db
def test_visit_page_on_a_phone_records_readings(
    client: Client, org: Org, django_assert_max_num_queries: object
) -> None:
    # given
    entry = entry_on_list(org)
    client.force_login(org.worker)
    url = reverse("proactive:visit", args=[entry.pk])
    assert 'name="viewport"' in client.get(url).content.decode()
    data = {
        "instrument_id": "TH-01",
        "is_calibrated": "on",
        "room_0": "客厅",
        "temp_0": "17",
        "room_1": "主卧",
        "temp_1": "21",
    }

    # when: cold room without a cause, then complete
    refused = client.post(url, data)
    with time_machine.travel(VISIT_AT, tick=False):
        done = client.post(url, {**data, "cause": "radiator_air", "action": "fixed"})

    # then
    assert refused.status_code == 422 and "须填写原因" in refused.content.decode()
    assert done.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.FIXED
    assert Reading.objects.filter(source="visit").count() == 2
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        page = client.get(reverse("proactive:entry", args=[entry.pk]))
    assert "TH-01" in page.content.decode() and "data-due" in page.content.decode()


@pytest.mark.django_db
def test_entry_actions_through_the_page(client: Client, org: Org) -> None:
    entry = visit_cold_and_fix(org)
    client.force_login(org.worker)
    with time_machine.travel(VISIT_AT + dt.timedelta(minutes=5), tick=False):
        client.post(
            reverse("proactive:act", args=[entry.pk, "remeasure"]), {"rooms": ["客厅"], "temp_0": "21"}
        )
    messages = [str(m) for m in client.get(reverse("proactive:entry", args=[entry.pk])).context["messages"]]
    assert any("30分钟" in m for m in messages)
    with time_machine.travel(VISIT_AT + dt.timedelta(minutes=35), tick=False):
        client.post(
            reverse("proactive:act", args=[entry.pk, "remeasure"]), {"rooms": ["客厅"], "temp_0": "21"}
        )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.FOLLOWUP


@pytest.mark.django_db
def test_tasks_and_refund_pages(client: Client, org: Org, django_assert_max_num_queries: object) -> None:
    entry = visit_cold_and_fix(org)
    client.force_login(org.responsible)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        tasks = client.get(reverse("proactive:tasks") + "?season=2026")
    assert org.household.address in tasks.content.decode()
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        refunds = client.get(reverse("proactive:refunds") + "?season=2026")
    assert refunds.status_code == 200
    assert org.household.account_number in refunds.content.decode()  # 17.5 ℃ at 09:00, calibrated
    assert entry.status == EntryStatus.FIXED


@pytest.mark.django_db
def test_api_visit_and_remeasure(client: Client, org: Org) -> None:
    entry = entry_on_list(org)
    client.force_login(org.worker)
    url = f"/api/v1/watchlist/{entry.pk}"
    with time_machine.travel(VISIT_AT, tick=False):
        empty = client.post(
            f"{url}/visit",
            {"readings": [], "instrument_id": "T", "is_calibrated": True},
            content_type="application/json",
        )
        early = client.post(
            f"{url}/remeasure",
            {"readings": [{"room": "客厅", "temperature": "21"}]},
            content_type="application/json",
        )
        visited = client.post(
            f"{url}/visit",
            {
                "readings": [{"room": "客厅", "temperature": "18"}],
                "instrument_id": "T",
                "is_calibrated": True,
                "cause": "radiator_air",
                "action": "fixed",
            },
            content_type="application/json",
        )
    assert empty.status_code == 422 and early.status_code == 409
    assert visited.status_code == 200 and visited.json()["status"] == "fixed"
    client.force_login(org.other_responsible)
    assert client.post(f"{url}/fix", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_progress_counts_follow_each_write_despite_the_short_cache(org: Org) -> None:
    # given: the progress read once (and kept)
    from heatline.proactive.selectors import progress_by_district

    entry = entry_on_list(org)
    _rows, before = progress_by_district(viewer=org.manager, season=entry.season)

    # when: a visit is recorded
    with time_machine.travel(VISIT_AT, tick=False):
        visit_record(
            entry=entry,
            by=org.worker,
            readings=rooms(("客厅", "21")),
            instrument_id="TH-01",
            is_calibrated=True,
        )
    _rows, after = progress_by_district(viewer=org.manager, season=entry.season)

    # then
    assert (before.counts["visited"], after.counts["visited"]) == (0, 1)
