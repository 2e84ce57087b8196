from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "heatline.core"
    label = "core"
    verbose_name = _("基础设置")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from heatline.core.models import RuleSetting
        from heatline.core.rules import rules_forget

        post_save.connect(rules_forget, sender=RuleSetting, dispatch_uid="rules_forget_save")
        post_delete.connect(rules_forget, sender=RuleSetting, dispatch_uid="rules_forget_delete")
