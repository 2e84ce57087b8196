from django.urls import path

from heatline.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
]
