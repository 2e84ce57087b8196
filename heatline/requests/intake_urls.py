from django.urls import path

from heatline.requests import views

app_name = "intake"
urlpatterns = [
    path("", views.intake, name="index"),
]
