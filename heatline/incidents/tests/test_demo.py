import random

import pytest

from heatline.incidents import demo
from heatline.incidents.models import Incident, IncidentStatus
from heatline.registry import models as m
from heatline.registry.tests.factories import BuildingFactory, HouseholdFactory, StaffFactory, StationFactory


@pytest.mark.django_db
def test_demo_is_idempotent(org) -> None:
    # given: three stations with households and the demo usernames
    for _ in range(2):
        building = BuildingFactory(community=org.community, station=StationFactory(branch=org.branch))
        for _ in range(15):
            HouseholdFactory(building=building)
    StaffFactory(username="crew", role=m.Role.CREW, team=org.crew)
    StaffFactory(username="operator", role=m.Role.OPERATOR)

    # when
    for _ in range(2):
        demo.populate(rng=random.Random(1), progress=lambda _message: None)

    # then
    assert Incident.objects.count() == 3
    assert set(Incident.objects.values_list("status", flat=True)) == {
        IncidentStatus.OPEN,
        IncidentStatus.CLOSED,
    }
