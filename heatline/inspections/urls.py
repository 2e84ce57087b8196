from django.urls import path

from heatline.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("detect/", views.detect, name="detect"),
    path("areas/add/", views.area_add, name="area_add"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/close/", views.campaign_finish, name="campaign_close"),
    path("campaigns/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("campaigns/<int:pk>/ledger.xlsx", views.ledger_export, name="ledger_export"),
    path("inspect/<int:pk>/", views.campaign_area, name="campaign_area"),
    path("inspect/<int:pk>/checks/<int:item_pk>/", views.check_record, name="check"),
    path("inspect/<int:pk>/notices/", views.notice_add, name="notice_add"),
    path("inspect/<int:pk>/findings/", views.finding_add, name="finding_add"),
    path("items/mine/", views.my_items, name="my_items"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
