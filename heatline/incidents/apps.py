from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "heatline.incidents"
    label = "incidents"
    verbose_name = _("停热故障事件")
