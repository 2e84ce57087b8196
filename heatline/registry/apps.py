from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "heatline.registry"
    label = "registry"
    verbose_name = _("组织与产权")
