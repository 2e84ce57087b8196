from django.urls import path

from heatline.proactive import views

app_name = "proactive"
urlpatterns = [
    path("", views.index, name="index"),
]
