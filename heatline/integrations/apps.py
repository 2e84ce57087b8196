from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "heatline.integrations"
    label = "integrations"
    verbose_name = _("对外接口与公众服务")
