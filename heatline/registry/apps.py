from typing import Any

from django.apps import AppConfig
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "heatline.registry"
    label = "registry"
    verbose_name = _("组织与产权")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from heatline.registry.models import ApiToken, District, Staff
        from heatline.registry.selectors import districts_forget
        from heatline.registry.tokens import tokens_forget

        receivers: list[tuple[Any, tuple[type[models.Model], ...]]] = [
            (tokens_forget, (ApiToken, Staff)),
            (districts_forget, (District, Staff)),
        ]
        for receiver, senders in receivers:
            for sender in senders:
                for signal in (post_save, post_delete):
                    signal.connect(
                        receiver, sender=sender, dispatch_uid=f"{receiver.__name__}_{sender.__name__}"
                    )
