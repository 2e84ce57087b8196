from django.urls import path

from heatline.integrations import views

app_name = "integrations"
urlpatterns = [
    path("integrations/", views.index, name="index"),
]
