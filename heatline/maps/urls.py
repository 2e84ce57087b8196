from django.urls import path

from heatline.maps import views

app_name = "maps"
urlpatterns = [path("", views.index, name="index")]
