from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "heatline.integrations"
    label = "integrations"
    verbose_name = _("对外接口与公众服务")

    def ready(self) -> None:
        # Register the outbox senders (request.moved → platform webhook, resident.sms) in every process.
        from heatline.integrations.exchange import senders  # noqa: F401
