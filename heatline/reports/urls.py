from django.urls import path

from heatline.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("wall/", views.wall, name="wall"),
    path("requests/", views.request_list, name="requests"),
    path("export/<str:table>.xlsx", views.export, name="export"),
]
