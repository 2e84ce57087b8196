from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "heatline.core"
    label = "core"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from heatline.core.models import RuleSetting
        from heatline.core.rules import RULES

        RULES.forget_on(RuleSetting)
