from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeatherConfig(AppConfig):
    name = "heatline.weather"
    label = "weather"
    verbose_name = _("气象与来电预测")
