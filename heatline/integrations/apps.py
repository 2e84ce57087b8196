from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "heatline.integrations"
    label = "integrations"
    verbose_name = _("对外接口与公众服务")

    def ready(self) -> None:
        # Register the outbox senders (request.moved → platform webhook, resident.sms) in every process.
        from heatline.integrations.exchange import senders  # noqa: F401
        from heatline.integrations.services import exchange_orders_anonymise
        from heatline.requests.retention import ANONYMISE_HOOKS

        if exchange_orders_anonymise not in ANONYMISE_HOOKS:
            ANONYMISE_HOOKS.append(exchange_orders_anonymise)  # the orders' copies of callers' details
