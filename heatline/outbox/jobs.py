from datetime import datetime

from heatline.core.worker import job
from heatline.outbox.services import outbox_deliver


@job("outbox_deliver")
def deliver(now: datetime) -> int:
    return outbox_deliver(now=now)
