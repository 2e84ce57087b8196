from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "heatline.requests"
    label = "requests"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from heatline.registry.models import Department, Staff
        from heatline.requests.models import Category
        from heatline.requests.routing import categories_forget

        for model in (Category, Department, Staff):
            for signal in (post_save, post_delete):
                signal.connect(
                    categories_forget, sender=model, dispatch_uid=f"categories_forget_{model.__name__}"
                )
