from django.urls import path

from heatline.proactive import views

app_name = "proactive"
urlpatterns = [
    path("", views.index, name="index"),
    path("list/", views.entry_list, name="list"),
    path("list/export.xlsx", views.export, name="export"),
    path("build/", views.build, name="build"),
    path("add/", views.add, name="add"),
    path("tasks/", views.tasks, name="tasks"),
    path("refunds/", views.refunds, name="refunds"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/visit/", views.visit, name="visit"),
    path("entries/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/template.csv", views.ledger_template, name="ledger_template"),
    path("ledger/<int:pk>/", views.ledger_import, name="ledger_import"),
    path("ledger/<int:pk>/confirm/", views.ledger_confirm, name="ledger_confirm"),
]
