from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "heatline.registry"
    label = "registry"
    verbose_name = _("组织与产权")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from heatline.registry.models import ApiToken, Staff
        from heatline.registry.tokens import tokens_forget

        for model in (ApiToken, Staff):
            for signal in (post_save, post_delete):
                signal.connect(tokens_forget, sender=model, dispatch_uid=f"tokens_forget_{model.__name__}")
