from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heatline.registry.models import Building, Household, Staff
from heatline.requests.models import Clock, ServiceRequest


@pytest.mark.django_db
def test_demo_creates_a_small_utility_once(settings) -> None:  # type: ignore[no-untyped-def]
    # given: an empty database
    settings.DEBUG = True
    # when: the demo runs twice
    out = StringIO()
    call_command("demo", size=300, stdout=out)
    counts = (
        Household.objects.count(),
        Building.objects.count(),
        Staff.objects.count(),
        ServiceRequest.objects.count(),
        Clock.objects.count(),
    )
    call_command("demo", size=300, stdout=StringIO())
    # then: the second run added nothing; every demo account exists and signs in with the demo password
    assert counts == (
        Household.objects.count(), Building.objects.count(), Staff.objects.count(),
        ServiceRequest.objects.count(), Clock.objects.count(),
    )  # fmt: skip
    assert counts[0] == 300
    assert counts[3] > 300  # last season's history and the live requests
    for username in ("admin", "operator", "district", "depthead", "crew", "branch", "inspector", "manager"):
        assert Staff.objects.get(username=username).check_password("heatline-demo"), username
    assert "operator" in out.getvalue() and "heatline-demo" in out.getvalue()
    # routing works on demo data: the district account is responsible for a district with buildings
    district_user = Staff.objects.get(username="district")
    assert district_user.district is not None and district_user.district.buildings.exists()


@pytest.mark.django_db
def test_demo_refuses_to_run_with_debug_off_unless_forced(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo", size=300, stdout=StringIO())
    assert not Household.objects.exists()
