"""报停 / 复供 history (issue 18, 第九条): saving a household's status keeps a dated change; a dispute page
lists the stopped neighbours of its households with since when."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from heatline.core.models import AuditEvent
from heatline.joint.tests.factories import dispute_case
from heatline.registry.models import HeatingStatus, HeatingStatusChange, Household, StatusSource
from heatline.registry.services import household_save
from heatline.registry.tests.factories import HouseholdFactory, Org, UnitFactory
from heatline.requests.tests.factories import registered_request

T0 = dt.datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_saving_a_status_change_keeps_its_date_and_history(org: Org) -> None:
    household = org.household
    with time_machine.travel(T0, tick=False):
        household.heating_status = HeatingStatus.STOPPED
        household_save(household=household, by=org.admin)
    with time_machine.travel(T0 + dt.timedelta(days=20), tick=False):
        household.contact_name = "新户主"  # no status change: no new history row
        household_save(household=household, by=org.admin)
        assert HeatingStatusChange.objects.filter(household=household).count() == 1
        household.heating_status = HeatingStatus.HEATING
        household_save(household=household, by=org.admin)
    changes = list(
        HeatingStatusChange.objects.filter(household=household)
        .order_by("since")
        .values_list("previous", "status", "since", "source")
    )
    assert changes == [
        (HeatingStatus.HEATING, HeatingStatus.STOPPED, dt.date(2026, 11, 18), StatusSource.ADMIN),
        (HeatingStatus.STOPPED, HeatingStatus.HEATING, dt.date(2026, 12, 8), StatusSource.ADMIN),
    ]
    household.refresh_from_db()
    assert household.heating_status_since == dt.date(2026, 12, 8)
    audited = AuditEvent.objects.filter(object_id=str(household.pk), action="update")
    assert [e.extra.get("heating_status") for e in audited.order_by("at", "id")] == [
        ["heating", "stopped"],
        None,
        ["stopped", "heating"],
    ]


@pytest.mark.django_db
def test_an_admin_given_date_is_kept(org: Org) -> None:
    household = org.household
    with time_machine.travel(T0, tick=False):
        household.heating_status = HeatingStatus.STOPPED
        household.heating_status_since = dt.date(2026, 10, 15)
        household_save(household=household, by=org.admin)
    assert HeatingStatusChange.objects.get(household=household).since == dt.date(2026, 10, 15)


@pytest.mark.django_db
def test_the_dispute_page_shows_stopped_neighbours_since_when(org: Org) -> None:
    unit = UnitFactory(building=org.building, number="3")
    complainant = HouseholdFactory(building=org.building, unit=unit, room="301")
    neighbour = HouseholdFactory(
        building=org.building,
        unit=unit,
        room="401",
        heating_status=HeatingStatus.STOPPED,
        heating_status_since=dt.date(2026, 10, 15),
    )
    elsewhere = HouseholdFactory(building=org.building, room="901", heating_status=HeatingStatus.STOPPED)
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org, household=complainant)
        case = dispute_case(org, service_request)
        client = Client()
        client.force_login(org.branch_manager)
        page = client.get(f"/joint/{case.pk}/").content.decode()
    section = page.split('id="stopped-neighbours"', 1)[1].split("</ul>", 1)[0]
    assert neighbour.address in section and "自 2026-10-15 起" in section
    assert elsewhere.address not in section and complainant.address not in section
    assert Household.objects.get(pk=neighbour.pk).heating_status == HeatingStatus.STOPPED
