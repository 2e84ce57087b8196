from django.urls import path

from heatline.training import views

app_name = "training"
urlpatterns = [
    path("", views.index, name="index"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
]
