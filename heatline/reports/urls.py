from django.urls import path

from heatline.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
]
