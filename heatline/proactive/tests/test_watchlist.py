import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from heatline.core.errors import ActionForbidden, InvalidInput, NotVisible
from heatline.proactive.models import EntryStatus, ManualDecision, WatchEntry
from heatline.proactive.selectors import ledger_export_xlsx, watchlist_status_for_households
from heatline.proactive.services import priority_of, watch_entry_add, watch_entry_remove, watchlist_build
from heatline.proactive.tests.factories import FIRST_DAY, TZ, ledger_reading, seasons
from heatline.registry.models import Role
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, Org, StaffFactory
from heatline.requests.tests.factories import completed_request, registered_request

BUILD_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=TZ)


@pytest.mark.django_db
def test_build_takes_cold_readings_and_low_temperature_requests_of_last_season(org: Org) -> None:
    # given: one household cold in the ledger, one that called twice (12345 and hotline), one warm
    last, this = seasons()
    cold = org.household
    ledger_reading(cold, last, room="客厅", temperature="15.5")
    ledger_reading(cold, last, room="主卧", temperature="19.0")
    caller = HouseholdFactory(building=org.building)
    warm = HouseholdFactory(building=org.building)
    ledger_reading(warm, last, temperature="21.0")
    with time_machine.travel(dt.datetime(2025, 12, 1, 9, 0, tzinfo=TZ), tick=False):
        completed_request(org, household=caller)
        registered_request(org, household=caller, source="12345", external_id="GOV-1")

    # when
    with time_machine.travel(BUILD_AT, tick=False):
        result = watchlist_build(season=this, by=org.admin)

    # then
    entries = {e.household_id: e for e in WatchEntry.objects.filter(season=this)}
    assert set(entries) == {cold.pk, caller.pk}
    assert result.created == 2
    assert entries[cold.pk].rooms == {"主卧": 19.0, "客厅": 15.5}
    assert entries[cold.pk].min_temperature == Decimal("15.5")
    assert entries[cold.pk].causes == ["暖气片积气"]
    assert entries[caller.pk].complaint_count == 2
    assert "暖气片积气" in entries[caller.pk].causes  # the cause recorded when the request was completed
    # coldest first
    assert WatchEntry.objects.filter(season=this).values_list("household_id", flat=True).first() == cold.pk


def test_priority_puts_the_coldest_and_most_repeated_first() -> None:
    assert priority_of(Decimal("15"), 0)[0] == 1
    assert priority_of(Decimal("19"), 3)[0] == 1
    assert priority_of(Decimal("17.5"), 0)[0] == 2
    assert priority_of(Decimal("19.5"), 1)[0] == 3
    assert priority_of(Decimal("19"), 2)[1] < priority_of(Decimal("19"), 1)[1]
    assert priority_of(Decimal("18.5"), 0)[1] < priority_of(Decimal("19"), 5)[1]


@pytest.mark.django_db
def test_visits_are_planned_by_building_for_the_district_staff_with_booking_the_day_before(org: Org) -> None:
    # given: a second worker, two buildings, 10 cold households in the first
    last, this = seasons()
    second = StaffFactory(username="w2", role=Role.WORKER, district=org.district)
    other_building = BuildingFactory(community=org.community)
    first_building = [HouseholdFactory(building=org.building) for _ in range(10)]
    for household in [*first_building, HouseholdFactory(building=other_building)]:
        ledger_reading(household, last)

    # when
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)

    # then: one building to one person, from the first heating day, max 8 a day, booking the day before
    entries = list(WatchEntry.objects.filter(season=this))
    by_building: dict[int, set[int | None]] = {}
    for entry in entries:
        by_building.setdefault(entry.building_id, set()).add(entry.assignee_id)
        assert entry.booking_due_on == entry.planned_for - dt.timedelta(days=1)  # type: ignore[operator]
        assert entry.planned_for is not None and entry.planned_for >= FIRST_DAY
    assert all(len(people) == 1 for people in by_building.values())
    assert {p for people in by_building.values() for p in people} == {org.worker.pk, second.pk}
    days = sorted(e.planned_for for e in entries if e.building_id == org.building.pk)  # type: ignore[type-var]
    assert days.count(FIRST_DAY) == 8


@pytest.mark.django_db
def test_manual_decisions_survive_a_rebuild(org: Org) -> None:
    # given: a cold household removed by hand, a warm one added by hand
    last, this = seasons()
    ledger_reading(org.household, last)
    added = HouseholdFactory(building=org.building)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
        entry = WatchEntry.objects.get(household=org.household)
        watch_entry_remove(entry=entry, reason="已搬走,房屋空置", by=org.responsible)
        watch_entry_add(season=this, household=added, reason="独居老人,主动关注", by=org.responsible)

        # when
        result = watchlist_build(season=this, by=org.admin)

    # then
    removed = WatchEntry.objects.get(household=org.household)
    kept = WatchEntry.objects.get(household=added)
    assert removed.status == EntryStatus.REMOVED and removed.manual_reason == "已搬走,房屋空置"
    assert kept.manual == ManualDecision.ADDED and kept.status == EntryStatus.PLANNED
    assert kept.planned_for is not None
    assert result.total == 1


@pytest.mark.django_db
def test_add_and_remove_need_a_reason_and_stay_in_the_own_district(org: Org) -> None:
    _last, this = seasons()
    with pytest.raises(InvalidInput, match="原因"):
        watch_entry_add(season=this, household=org.household, reason=" ", by=org.responsible)
    with pytest.raises(NotVisible):
        watch_entry_add(season=this, household=org.other_household, reason="x", by=org.responsible)
    with pytest.raises(ActionForbidden):
        watch_entry_add(season=this, household=org.household, reason="x", by=org.manager)


@pytest.mark.django_db
def test_entries_no_longer_qualifying_are_dropped_unless_work_started(org: Org) -> None:
    # given
    last, this = seasons()
    reading = ledger_reading(org.household, last)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
        reading.delete()

        # when
        result = watchlist_build(season=this, by=org.admin)

    # then
    assert result.dropped == 1
    assert not WatchEntry.objects.exists()


@pytest.mark.django_db
def test_command_builds_the_named_season(org: Org) -> None:
    last, _this = seasons()
    ledger_reading(org.household, last)
    out = io.StringIO()
    with time_machine.travel(BUILD_AT, tick=False):
        call_command("watchlist_build", "2026", stdout=out)
    assert "清单共 1 户" in out.getvalue()
    with pytest.raises(Exception, match="采暖期不存在"):
        call_command("watchlist_build", "1999", stdout=out)


@pytest.mark.django_db
def test_export_is_the_special_service_ledger(org: Org) -> None:
    last, this = seasons()
    ledger_reading(org.household, last, temperature="16.5")
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
    workbook = load_workbook(io.BytesIO(ledger_export_xlsx(viewer=org.manager, season=this)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "专项服务台账"
    assert rows[1][2] == "户号"
    assert rows[2][2] == org.household.account_number and rows[2][5] == 16.5
    # district staff of the other district export nothing of this one
    other = load_workbook(io.BytesIO(ledger_export_xlsx(viewer=org.other_responsible, season=this)))
    assert len(list(other.worksheets[0].iter_rows())) == 2


@pytest.mark.django_db
def test_status_lookup_for_the_intake_page(org: Org) -> None:
    last, this = seasons()
    ledger_reading(org.household, last)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=TZ), tick=False):
        status = watchlist_status_for_households([org.household.pk, org.other_household.pk])
    assert status == {org.household.pk: "重点关注·待预约"}


@pytest.mark.django_db
def test_api_lists_the_watchlist_scoped_to_the_callers_districts(client: Client, org: Org) -> None:
    # given
    last, this = seasons()
    ledger_reading(org.household, last)
    ledger_reading(org.other_household, last)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)

    # when
    client.force_login(org.responsible)
    mine = client.get("/api/v1/watchlist?season=2026").json()
    client.force_login(org.manager)
    everything = client.get("/api/v1/watchlist?season=2026").json()

    # then
    assert mine["count"] == 1
    item = mine["items"][0]
    assert item["account_number"] == org.household.account_number
    assert item["rooms"] == {"客厅": 18.0} and item["causes"] == ["暖气片积气"]
    assert {"address", "priority", "status", "complaint_count"} <= set(item)
    assert everything["count"] == 2
    other_entry = WatchEntry.objects.get(household=org.other_household)
    client.force_login(org.responsible)
    assert client.get(f"/api/v1/watchlist/{other_entry.pk}").status_code == 404
    assert client.get("/api/v1/watchlist?season=1999").status_code == 422
    client.logout()
    assert client.get("/api/v1/watchlist?season=2026").status_code == 401


@pytest.mark.django_db
def test_progress_page_counts_per_district_and_clicks_through(
    client: Client, org: Org, django_assert_max_num_queries: object
) -> None:
    # given
    last, this = seasons()
    for _ in range(5):
        ledger_reading(HouseholdFactory(building=org.building), last)
    ledger_reading(org.other_household, last)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
    client.force_login(org.manager)

    # when
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse("proactive:index") + "?season=2026")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "江北片区" in html and "江南片区" in html
    assert f"district={org.district.pk}&stage=planned" in html
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        listed = client.get(
            reverse("proactive:list") + f"?season=2026&district={org.district.pk}&stage=planned"
        )
    assert listed.content.decode().count("/proactive/entries/") == 5


@pytest.mark.django_db
def test_pages_need_sign_in_and_hide_other_districts(client: Client, org: Org) -> None:
    last, this = seasons()
    ledger_reading(org.other_household, last)
    with time_machine.travel(BUILD_AT, tick=False):
        watchlist_build(season=this, by=org.admin)
    other_entry = WatchEntry.objects.get()
    assert client.get(reverse("proactive:index")).status_code == 302
    client.force_login(org.worker)
    assert client.get(reverse("proactive:entry", args=[other_entry.pk])).status_code == 404
    assert client.get(reverse("proactive:visit", args=[other_entry.pk])).status_code == 404
    listed = client.get(reverse("proactive:list") + "?season=2026")
    assert org.other_household.account_number not in listed.content.decode()


@pytest.mark.django_db
def test_a_rebuild_updates_changed_rooms_and_leaves_unchanged_entries_alone(org: Org) -> None:
    # given: a list built from one cold reading
    last, this = seasons()
    ledger_reading(org.household, last, room="客厅", temperature="18.5")
    with time_machine.travel(BUILD_AT, tick=False):
        assert watchlist_build(season=this, by=org.admin).created == 1

        # when: nothing changed, then a colder bedroom is added to the ledger
        unchanged = watchlist_build(season=this, by=org.admin)
        ledger_reading(org.household, last, room="主卧", temperature="16.0")
        changed = watchlist_build(season=this, by=org.admin)

    # then: the first rebuild touched nothing, the second updated the entry's rooms and minimum
    assert (unchanged.created, unchanged.updated) == (0, 0)
    assert (changed.created, changed.updated) == (0, 1)
    entry = WatchEntry.objects.get(season=this, household=org.household)
    assert entry.rooms == {"主卧": 16.0, "客厅": 18.5}
    assert entry.min_temperature == Decimal("16.0")
