"""`heatline setup` and the first run with HEATLINE_DEMO=false (issue 18): an empty database gets exactly its
company and an administrator, with a one-time sign-in link; a database in use is refused."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from heatline.core.models import AuditEvent
from heatline.registry.models import Branch, Building, Company, District, Household, Role, Staff, Station
from heatline.registry.tests.factories import HouseholdFactory
from heatline.requests.models import ServiceRequest


def setup(**options: Any) -> str:
    out = StringIO()
    call_command("setup", stdout=out, **options)
    return out.getvalue()


def link_path(output: str) -> str:
    line = next(line for line in output.splitlines() if "/accounts/signin/" in line)
    return "/accounts/" + line.split("/accounts/", 1)[1].strip()


def row_counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Company, Staff, Branch, District, Station, Building, Household, ServiceRequest)
    )


@pytest.mark.django_db
def test_setup_on_an_empty_database_creates_exactly_the_company_and_an_administrator() -> None:
    # when
    output = setup(company="黑河市热电有限责任公司", admin="boss", phone="13900001111", hotline="0456-963000")
    # then: one company, one administrator, nothing else
    assert row_counts() == (1, 1, 0, 0, 0, 0, 0, 0)
    company = Company.objects.get()
    assert (company.name, company.hotline) == ("黑河市热电有限责任公司", "0456-963000")
    admin = Staff.objects.get()
    assert (admin.username, admin.role, admin.phone) == ("boss", Role.ADMIN, "13900001111")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert not admin.has_usable_password()
    assert AuditEvent.objects.filter(action="setup", object_id=str(company.pk)).exists()
    # and the printed link lets the administrator set a password
    client = Client()
    form_url = client.get(link_path(output))["Location"]
    response = client.post(form_url, {"new_password1": "first-day-live", "new_password2": "first-day-live"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("first-day-live")
    assert client.get("/setup/").status_code == 200


@pytest.mark.django_db
def test_a_rerun_with_the_same_company_only_prints_a_new_link() -> None:
    first = setup(company="供热公司", admin="admin")
    counts = row_counts()
    second = setup(company="供热公司", admin="admin")
    assert row_counts() == counts
    assert "/accounts/signin/" in first and "已安装" in second
    assert Client().get(link_path(second)).status_code == 302


@pytest.mark.django_db
def test_setup_refuses_a_database_in_use() -> None:
    # another company
    setup(company="供热公司", admin="admin")
    with pytest.raises(CommandError, match="已有公司"):
        setup(company="别的公司", admin="admin2")
    # the same company but an account that is not its administrator
    with pytest.raises(CommandError, match="不是它的在岗管理员"):
        setup(company="供热公司", admin="someone")
    assert Company.objects.count() == 1 and Staff.objects.count() == 1


@pytest.mark.django_db
def test_setup_refuses_a_database_with_a_register(db: None) -> None:
    # given: a register loaded (its company with it)
    HouseholdFactory()
    counts = row_counts()
    # then: setup of a new company is refused and writes nothing
    with pytest.raises(CommandError, match="setup"):
        setup(company="新公司", admin="admin")
    assert row_counts() == counts


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"company": " ", "admin": "admin"}, "公司名称"),
        ({"company": "供热公司", "admin": "bad name!"}, "管理员账号"),
        ({"company": "供热公司", "admin": "admin", "phone": "call me"}, "手机号"),
        ({"company": "供热公司", "admin": "admin", "hotline": "hot"}, "服务热线"),
    ],
)
def test_setup_reports_bad_input(options: dict[str, str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        setup(**options)
    assert row_counts() == (0, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_the_first_run_with_demo_off_sets_up_instead_of_loading_the_demo(settings: Any) -> None:
    # given: a real install (DEBUG off) with HEATLINE_DEMO=false and its names in the environment
    settings.DEBUG = False
    settings.HEATLINE_DEMO = False
    settings.HEATLINE_COMPANY_NAME = "黑河热电"
    settings.HEATLINE_ADMIN_USERNAME = "itadmin"
    # when: `make run` runs `demo --if-empty`
    out = StringIO()
    call_command("demo", if_empty=True, stdout=out)
    # then: the company and its administrator, a sign-in link, no demo rows
    assert row_counts() == (1, 1, 0, 0, 0, 0, 0, 0)
    assert Company.objects.get().name == "黑河热电"
    assert Staff.objects.get().username == "itadmin"
    assert "/accounts/signin/" in out.getvalue() and "heatline-demo" not in out.getvalue()
    # and the next start changes nothing
    out = StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert row_counts() == (1, 1, 0, 0, 0, 0, 0, 0)
    assert "/accounts/signin/" not in out.getvalue()


@pytest.mark.django_db
def test_the_demo_is_not_loaded_over_an_installed_company(settings: Any) -> None:
    settings.DEBUG = True
    setup(company="供热公司", admin="admin")
    call_command("demo", if_empty=True, stdout=StringIO())
    assert row_counts() == (1, 1, 0, 0, 0, 0, 0, 0)
