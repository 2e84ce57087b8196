"""URL root: the UI of each app, the API, Open311, admin, auth and health."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from heatline.api import api
from heatline.core import views as core_views

admin.site.site_header = "Heatline 热线诉求系统管理"
admin.site.site_title = "Heatline"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("setup/", core_views.setup_checklist, name="setup"),
    path("accounts/", include("heatline.core.auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("requests/", include("heatline.requests.urls")),
    path("intake/", include("heatline.requests.intake_urls")),
    path("proactive/", include("heatline.proactive.urls")),
    path("inspections/", include("heatline.inspections.urls")),
    path("joint/", include("heatline.joint.urls")),
    path("incidents/", include("heatline.incidents.urls")),
    path("reports/", include("heatline.reports.urls")),
    path("training/", include("heatline.training.urls")),
    path("inbox/", include("heatline.outbox.urls")),
    path("", include("heatline.integrations.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
