from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "heatline.requests"
    label = "requests"
    verbose_name = _("接诉即办")
