from django.urls import path

from heatline.requests import views

app_name = "requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("queue/", views.queue, name="queue"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("hotspots/<int:alert_id>/acknowledge/", views.hotspot_acknowledge_view, name="hotspot_acknowledge"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path(
        "<str:number>/extensions/<int:extension_id>/decide/",
        views.extension_decide_view,
        name="extension_decide",
    ),
]
