from django.urls import path

from heatline.joint import views

app_name = "joint"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.open_case, name="open"),
    path("new/from-request/", views.open_from_request, name="open_from_request"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/act/<str:action>/", views.act, name="act"),
    path("<int:case_id>/documents/<int:document_id>/", views.document, name="document"),
]
