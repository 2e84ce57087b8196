"""ProcessCache: one load per lifetime, dropped on a save of a watched model, reloaded when its time is over."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from heatline.core.caches import ProcessCache
from heatline.core.models import RuleSetting

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_loads_once_drops_on_save_and_expires() -> None:
    loads: list[int] = []
    cache = ProcessCache("test_rule_rows", lambda: loads.append(1) or RuleSetting.objects.count(), seconds=30)
    try:
        cache.forget_on(RuleSetting)
        with time_machine.travel(T0, tick=False) as traveller:
            assert (cache.get(), cache.get()) == (0, 0)
            assert len(loads) == 1
            RuleSetting.objects.create(
                key="contact_minutes", value=Decimal(20)
            )  # saved here: dropped at once
            assert cache.get() == 1 and len(loads) == 2
            traveller.move_to(T0 + timedelta(seconds=29))
            assert cache.get() == 1 and len(loads) == 2
            traveller.move_to(T0 + timedelta(seconds=31))
            assert cache.get() == 1 and len(loads) == 3
    finally:
        ProcessCache.every.remove(cache)
