"""The go-live checklist (issue 18): each item red, then green once fixed; the page and the command."""

from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from heatline.core.models import HeatingSeason, WorkdayOverride
from heatline.core.readiness import Check, readiness_checks
from heatline.registry.models import UNASSIGNED_CODE, Branch, Company, District, Role
from heatline.registry.tests.factories import BranchFactory, DistrictFactory, Org, StaffFactory
from heatline.requests.models import Category

# A year the holiday package does not know: working-day data must come from the override table.
T0 = datetime(2040, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = T0.date()


def checks(today: date = TODAY) -> dict[str, Check]:
    return {check.key: check for check in readiness_checks(today=today)}


def red(today: date = TODAY) -> set[str]:
    return {key for key, check in checks(today).items() if not check.ok}


@pytest.fixture
def ready(org: Org, settings: Any) -> Org:
    """The small utility with everything the checklist asks for."""
    settings.HEATLINE_USE_SMS = True
    Category.objects.update(department=org.department)
    HeatingSeason.objects.create(year=2040, first_heating_day=date(2040, 11, 1), last_day=date(2041, 3, 31))
    WorkdayOverride.objects.create(date=date(2040, 10, 1), is_working_day=False, note="国庆")
    WorkdayOverride.objects.create(date=date(2041, 1, 1), is_working_day=False, note="元旦")
    return org


def unassigned_district() -> District:
    branch = BranchFactory(code=UNASSIGNED_CODE, name="待分配")
    return DistrictFactory(branch=branch, code=UNASSIGNED_CODE, name="待分配")


@pytest.mark.django_db
def test_a_ready_utility_is_green_everywhere(ready: Org) -> None:
    assert red() == set()
    assert len(checks()) == 12


@pytest.mark.django_db
def test_an_empty_database_lacks_company_districts_crew_operators_and_households(settings: Any) -> None:
    # given: a database with nothing but the reference data of the migrations
    settings.HEATLINE_USE_SMS = False
    # then: everything that must be entered is red; what can only be wrong once entered is green
    assert red() == {
        "company",
        "districts",
        "category_department",
        "repair_crew",
        "heating_season",
        "working_days",
        "sms_sender",
        "operators",
        "households",
    }
    assert checks()["category_department"].count == Category.objects.filter(is_active=True).count()
    # when: the company is entered
    Company.objects.create(name="黑河热电")
    # then: that item turns green and names it
    company = checks()["company"]
    assert company.ok and company.examples == ("黑河热电",)


@pytest.mark.django_db
def test_the_unassigned_branch_is_no_branch_and_a_real_one_is(db: None) -> None:
    unassigned_district()
    assert not checks()["districts"].ok
    DistrictFactory(name="爱辉片区")
    assert checks()["districts"].ok and checks()["districts"].count == 1


@pytest.mark.django_db
def test_a_district_without_an_active_responsible_person_is_red(ready: Org) -> None:
    # given: one district loses its responsible person
    District.objects.filter(pk=ready.district.pk).update(responsible=None)
    item = checks()["district_responsible"]
    assert not item.ok and item.count == 1 and item.examples == ("江北片区",)
    assert "responsible__isnull=True" in item.fix_url
    # a deactivated responsible person answers no request either
    District.objects.filter(pk=ready.district.pk).update(responsible=ready.responsible)
    ready.other_responsible.is_active = False
    ready.other_responsible.save()
    assert checks()["district_responsible"].examples == ("江南片区",)
    # when: fixed
    ready.other_responsible.is_active = True
    ready.other_responsible.save()
    assert checks()["district_responsible"].ok


@pytest.mark.django_db
def test_a_category_without_a_department_is_red(ready: Org) -> None:
    category = Category.objects.filter(is_active=True).order_by("priority", "code").first()
    assert category is not None
    Category.objects.filter(pk=category.pk).update(department=None)
    item = checks()["category_department"]
    assert not item.ok and item.count == 1 and item.examples == (category.name,)
    # an inactive category is no gap
    Category.objects.filter(pk=category.pk).update(is_active=False)
    assert checks()["category_department"].ok


@pytest.mark.django_db
def test_no_repair_crew_on_duty_with_members_is_red(ready: Org) -> None:
    ready.crew.is_on_duty = False
    ready.crew.save()
    assert red() == {"repair_crew"}
    ready.crew.is_on_duty = True
    ready.crew.save()
    # a crew on duty whose members have all left is no crew
    for member in (ready.crew_leader, ready.crew_member):
        member.is_active = False
        member.save()
    assert red() == {"repair_crew"}
    ready.crew_member.is_active = True
    ready.crew_member.save()
    assert checks()["repair_crew"].ok and checks()["repair_crew"].examples == ("供热抢修突击队",)


@pytest.mark.django_db
def test_buildings_left_in_the_unassigned_district_are_red(ready: Org) -> None:
    # given: an import put the building in the unassigned district (its file named none)
    unassigned = unassigned_district()
    ready.building.district = unassigned
    ready.building.save()
    item = checks()["building_district"]
    assert not item.ok and item.count == 1 and item.examples == (str(ready.building),)
    assert f"district__id__exact={unassigned.pk}" in item.fix_url
    # when: the administrator moves it into its district
    ready.building.district = ready.district
    ready.building.save()
    assert checks()["building_district"].ok
    assert red() == set()  # the unassigned district itself needs no responsible person


@pytest.mark.django_db
def test_stations_left_in_the_unassigned_branch_are_red(ready: Org) -> None:
    unassigned = Branch.objects.create(company=ready.branch.company, code=UNASSIGNED_CODE, name="待分配")
    ready.station.branch = unassigned
    ready.station.save()
    item = checks()["station_branch"]
    assert not item.ok and item.examples == (ready.station.name,)
    assert f"branch__id__exact={unassigned.pk}" in item.fix_url
    ready.station.branch = ready.branch
    ready.station.save()
    assert checks()["station_branch"].ok


@pytest.mark.django_db
def test_a_heating_season_must_cover_today_or_start_within_120_days(ready: Org) -> None:
    HeatingSeason.objects.all().delete()
    assert not checks()["heating_season"].ok
    # a season that ended yesterday does not count
    HeatingSeason.objects.create(
        year=2039, first_heating_day=date(2039, 11, 1), last_day=TODAY - timedelta(1)
    )
    assert not checks()["heating_season"].ok
    # one starting in 121 days does not count yet, one starting in 120 days does
    season = HeatingSeason.objects.create(
        year=2041, first_heating_day=TODAY + timedelta(121), last_day=date(2042, 3, 31)
    )
    assert not checks()["heating_season"].ok
    season.first_heating_day = TODAY + timedelta(120)
    season.save()
    item = checks()["heating_season"]
    assert item.ok and item.examples == ("2041–2042",)
    # its years (2041, 2042) now need working-day data
    assert checks()["working_days"].examples == ("2042",)


@pytest.mark.django_db
def test_season_years_the_holiday_package_does_not_know_need_overrides(ready: Org) -> None:
    WorkdayOverride.objects.filter(date__year=2041).delete()
    item = checks()["working_days"]
    assert not item.ok and item.count == 1 and item.examples == ("2041",)
    WorkdayOverride.objects.create(date=date(2041, 2, 1), is_working_day=False, note="春节")
    assert checks()["working_days"].ok


@pytest.mark.django_db
def test_years_the_holiday_package_knows_need_no_overrides(db: None) -> None:
    # given: the 2025/26 season, both years published in the chinese-calendar package
    HeatingSeason.objects.create(year=2025, first_heating_day=date(2025, 11, 1), last_day=date(2026, 3, 31))
    item = checks(today=date(2025, 12, 1))["working_days"]
    assert item.ok and item.count == 0


@pytest.mark.django_db
def test_no_sms_sender_is_red(ready: Org, settings: Any) -> None:
    settings.HEATLINE_USE_SMS = False
    assert red() == {"sms_sender"}
    settings.HEATLINE_USE_SMS = True
    assert red() == set()


@pytest.mark.django_db
def test_no_hotline_operator_is_red_and_channel_accounts_do_not_count(ready: Org) -> None:
    ready.operator.is_active = False
    ready.operator.save()
    StaffFactory(username="public-web", role=Role.OPERATOR)  # the residents' page acts as this account
    item = checks()["operators"]
    assert not item.ok and item.count == 0
    assert "role__exact=operator" in item.fix_url
    operator = StaffFactory(username="op1", role=Role.OPERATOR)
    item = checks()["operators"]
    assert item.ok and item.count == 1 and item.examples == (str(operator),)


@pytest.mark.django_db
def test_an_empty_register_is_red(db: None) -> None:
    assert not checks()["households"].ok
    from heatline.registry.tests.factories import HouseholdFactory

    HouseholdFactory()
    assert checks()["households"].ok and checks()["households"].count == 1


@pytest.mark.django_db
def test_every_fix_link_opens_its_admin_page(org: Org, client: Client) -> None:
    # given: red items of every kind, the unassigned district and branch in use
    district = unassigned_district()
    org.building.district = district
    org.building.save()
    org.station.branch = district.branch
    org.station.save()
    client.force_login(org.admin)
    # then: each link answers 200 (admin accepts its filter)
    for item in readiness_checks(today=TODAY):
        if item.fix_url:
            assert client.get(item.fix_url).status_code == 200, item.fix_url


@pytest.mark.django_db
def test_the_setup_page_is_for_administrators_only(org: Org, client: Client) -> None:
    url = reverse("setup")
    # anonymous: sent to sign in
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    # another role: forbidden
    client.force_login(org.operator)
    assert client.get(url).status_code == 403
    # an administrator by role (not superuser) and a superuser: the list
    role_admin = StaffFactory(username="role_admin", role=Role.ADMIN)
    for user in (role_admin, org.admin):
        client.force_login(user)
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_setup_page_shows_marks_counts_examples_and_fix_links(
    ready: Org, client: Client, django_assert_max_num_queries: Any
) -> None:
    District.objects.filter(pk=ready.district.pk).update(responsible=None)
    with time_machine.travel(T0, tick=False):
        client.force_login(ready.admin)
        with django_assert_max_num_queries(30):
            response = client.get(reverse("setup"))
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("✗ 未就绪") == 1 and html.count("✓ 已就绪") == 11
        assert "江北片区" in html and "去修复" in html and "?responsible__isnull=True" in html
        # and in English
        client.cookies["django_language"] = "en"
        html = client.get(reverse("setup")).content.decode()
    assert "Not ready" in html and "Fix" in html and "Go-live checklist" in html


@pytest.mark.django_db
def test_the_setup_page_is_linked_from_the_admin_index_and_the_navigation(org: Org, client: Client) -> None:
    client.force_login(org.admin)
    assert reverse("setup") in client.get(reverse("admin:index")).content.decode()
    assert reverse("setup") in client.get(reverse("home")).content.decode()
    client.force_login(org.operator)
    assert reverse("setup") not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_check_ready_exits_1_while_an_item_is_red_and_0_when_all_green(ready: Org, settings: Any) -> None:
    with time_machine.travel(T0, tick=False):
        out = StringIO()
        call_command("check_ready", stdout=out)
        assert "[✓]" in out.getvalue() and "[✗]" not in out.getvalue()

        settings.HEATLINE_USE_SMS = False
        out = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("check_ready", stdout=out)
    assert raised.value.returncode == 1
    assert "1" in str(raised.value)
    assert "[✗] 已配置短信发送" in out.getvalue()
