from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "heatline.telemetry"
    label = "telemetry"
    verbose_name = _("未诉先办·在线监测")
