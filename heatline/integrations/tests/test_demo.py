import random

import pytest

from heatline.integrations import demo
from heatline.integrations.models import ExchangeOrder, ServiceHall
from heatline.registry.tests.factories import Org
from heatline.requests.models import ServiceRequest, Status


@pytest.mark.django_db
def test_demo_is_idempotent(org: Org) -> None:
    demo.populate(rng=random.Random(1), progress=lambda _text: None)
    counts = (ServiceHall.objects.count(), ExchangeOrder.objects.count(), ServiceRequest.objects.count())
    demo.populate(rng=random.Random(1), progress=lambda _text: None)
    assert counts == (3, 4, 4)
    assert (
        ServiceHall.objects.count(),
        ExchangeOrder.objects.count(),
        ServiceRequest.objects.count(),
    ) == counts
    assert ServiceRequest.objects.filter(status=Status.RETURNED).count() == 1
