from django.urls import path, re_path

from heatline.integrations import views
from heatline.integrations.cti import views as cti
from heatline.integrations.exchange import views as exchange
from heatline.integrations.open311 import views as open311
from heatline.integrations.public import views as public
from heatline.integrations.sms import views as sms

app_name = "integrations"
FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    path("integrations/", views.index, name="index"),
    path("integrations/deliveries/<int:pk>/resend", views.resend, name="resend"),
    path("integrations/import", views.import_orders, name="import"),
    path("integrations/calls/", cti.calls, name="calls"),
    path("integrations/calls/<int:pk>/called-back", cti.called_back, name="call_called_back"),
    path("integrations/calls/<int:pk>/popup/", cti.popup, name="call_popup"),
    # Open311 GeoReport v2
    path("open311/v2/", open311.discovery, {"fmt": "json"}, name="open311-root"),
    re_path(r"^open311/v2/discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + FMT, open311.services, name="open311-services"),
    re_path(
        r"^open311/v2/services/(?P<code>[\w.-]{1,30})" + FMT,
        open311.service_definition,
        name="open311-service",
    ),
    re_path(r"^open311/v2/requests" + FMT, open311.requests, name="open311-requests"),
    re_path(
        r"^open311/v2/requests/(?P<number>[\w-]{1,30})" + FMT, open311.request_detail, name="open311-request"
    ),
    re_path(r"^open311/v2/tokens/(?P<token>[\w-]{1,64})" + FMT, open311.token, name="open311-token"),
    # SMS gateways' callbacks (delivery receipts, residents' replies)
    path("integrations/sms/<str:token>/receipts/<str:vendor>", sms.receipts, name="sms-receipts"),
    path("integrations/sms/<str:token>/replies/<str:vendor>", sms.replies, name="sms-replies"),
    # 12345 / 12319 exchange
    path("exchange/v1/orders", exchange.push, name="exchange-push"),
    # Residents' page
    path("public/", public.home, name="public-home"),
    path("public/report/", public.report, name="public-report"),
    path("public/addresses/", public.addresses, name="public-addresses"),
    path("public/status/", public.status, name="public-status"),
    path("public/outages/", public.outages, name="public-outages"),
    path("public/callback/<str:token>/", public.callback, name="public-callback"),
    path("public/thanks/", public.thanks, name="public-thanks"),
]
