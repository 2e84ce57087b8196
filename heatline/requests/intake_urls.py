from django.urls import path

from heatline.requests import views

app_name = "intake"
urlpatterns = [
    path("", views.intake, name="index"),
    path("households/", views.intake_households, name="households"),
    path("households/<str:account_number>/", views.intake_household, name="household"),
    path("suggest/", views.intake_suggest, name="suggest"),
    path("repeat/", views.intake_link_repeat, name="link_repeat"),
]
