from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "heatline.requests"
    label = "requests"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        from heatline.registry.models import Department, Staff
        from heatline.requests.models import Category
        from heatline.requests.routing import CATEGORIES

        CATEGORIES.forget_on(Category, Department, Staff)
