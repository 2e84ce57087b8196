"""Demo rows of the integrations: service halls, platform limits, a few 12345/12319 orders. Idempotent."""

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from heatline.integrations.exchange.mapping import Order
from heatline.integrations.exchange.services import exchange_receive
from heatline.integrations.models import Channel, ExchangeOrder, PlatformLimit, ServiceHall
from heatline.registry.models import Household

HALLS = [
    ("江北营业厅", "黑河市爱辉区王肃街128号", "周一至周日 8:00-17:00(采暖期延至20:00)", "0456-8221000"),
    ("江南营业厅", "黑河市爱辉区海兰街56号", "周一至周五 8:30-16:30", "0456-8232000"),
    ("城东服务网点", "黑河市爱辉区东兴路9号", "采暖期每日 8:00-20:00", "0456-8243000"),
]
CONTENTS = [
    ("12345", "市民反映家中暖气不热,室温只有16度"),
    ("12345", "反映楼道暖气管漏水"),
    ("12319", "反映小区供热温度低,老人孩子受冻"),
    ("12319", "小区门口井盖缺失,存在安全隐患"),  # not a heating matter: returned
]


def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    for order, (name, address, hours, phone) in enumerate(HALLS):
        ServiceHall.objects.get_or_create(
            name=name, defaults={"address": address, "hours": hours, "phone": phone, "order": order}
        )
    PlatformLimit.objects.get_or_create(source="12345", defaults={"hours": Decimal(24)})
    PlatformLimit.objects.get_or_create(source="12319", defaults={"hours": Decimal(72)})
    addresses = list(Household.objects.order_by("id").values_list("address", flat=True)[:200])
    if not addresses:
        return
    now = timezone.now()
    for index, (source, content) in enumerate(CONTENTS):
        order_no = f"DEMO{source}{index:04d}"
        if ExchangeOrder.objects.filter(order_no=order_no).exists():
            continue
        exchange_receive(
            order=Order(
                order_no=order_no,
                source=source,
                phone=f"135{rng.randrange(10**8):08d}",
                content=content,
                address=rng.choice(addresses),
                received_at=now - timedelta(minutes=3),
                due_at=now + timedelta(days=3),
            ),
            channel=Channel.PUSH,
            payload={"demo": True, "order_no": order_no},
        )
    progress("integrations: service halls, platform limits, 12345/12319 orders")
