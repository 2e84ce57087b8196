"""URL root: the UI of each app, the API, Open311, admin, auth and health."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from heatline.api import api
from heatline.core import import_views, live_views
from heatline.core import views as core_views

admin.site.site_header = "Heatline 热线诉求系统管理"
admin.site.site_title = "Heatline"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("live/stream/", live_views.stream, name="live_stream"),
    path("setup/", core_views.setup_checklist, name="setup"),
    path("setup/imports/", import_views.imports, name="setup_imports"),
    path("setup/imports/<int:pk>/", import_views.detail, name="setup_import"),
    path("setup/imports/<int:pk>/confirm/", import_views.confirm, name="setup_import_confirm"),
    path("setup/imports/<str:kind>/upload/", import_views.upload, name="setup_import_upload"),
    path(
        "setup/imports/<str:kind>/template.<str:extension>",
        import_views.template,
        name="setup_import_template",
    ),
    path("accounts/", include("heatline.core.auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("requests/", include("heatline.requests.urls")),
    path("intake/", include("heatline.requests.intake_urls")),
    path("proactive/", include("heatline.proactive.urls")),
    path("telemetry/", include("heatline.telemetry.urls")),
    path("inspections/", include("heatline.inspections.urls")),
    path("joint/", include("heatline.joint.urls")),
    path("incidents/", include("heatline.incidents.urls")),
    path("map/", include("heatline.maps.urls")),
    path("reports/", include("heatline.reports.urls")),
    path("training/", include("heatline.training.urls")),
    path("inbox/", include("heatline.outbox.urls")),
    path("", include("heatline.integrations.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
