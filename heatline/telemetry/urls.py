from django.urls import path

from heatline.telemetry import views

app_name = "telemetry"
urlpatterns = [
    path("", views.alerts, name="alerts"),
    path("alerts/<int:pk>/incident/", views.alert_incident, name="alert_incident"),
]
