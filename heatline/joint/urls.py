from django.urls import path

from heatline.joint import views

app_name = "joint"
urlpatterns = [
    path("", views.index, name="index"),
]
