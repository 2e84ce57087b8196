from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProactiveConfig(AppConfig):
    name = "heatline.proactive"
    label = "proactive"
    verbose_name = _("未诉先办·低温关注")
