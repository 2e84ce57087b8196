from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "heatline.inspections"
    label = "inspections"
    verbose_name = _("隐患排查与整改")
