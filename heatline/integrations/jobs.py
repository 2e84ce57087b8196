from datetime import datetime

from heatline.core.worker import job
from heatline.integrations.exchange.services import nonces_purge
from heatline.integrations.public.services import callback_invites_send, rate_counters_purge


@job("exchange_nonces_purge")
def purge_nonces(now: datetime) -> int:
    return nonces_purge(now=now)


@job("public_callback_invites")
def send_callback_invites(now: datetime) -> int:
    return callback_invites_send(now=now)


@job("public_rate_counters_purge")
def purge_rate_counters(now: datetime) -> int:
    return rate_counters_purge(now=now)
