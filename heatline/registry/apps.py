from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "heatline.registry"
    label = "registry"
    verbose_name = _("组织与产权")

    def ready(self) -> None:
        from heatline.registry.models import ApiToken, District, Staff
        from heatline.registry.selectors import DISTRICTS
        from heatline.registry.tokens import TOKENS

        TOKENS.forget_on(ApiToken, Staff)
        DISTRICTS.forget_on(District, Staff)
