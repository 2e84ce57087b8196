from django.urls import path

from heatline.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
]
