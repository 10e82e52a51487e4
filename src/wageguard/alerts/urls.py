from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.inbox, name="alert_inbox"),
    path("alerts/export.xlsx", views.inbox_export, name="alert_export"),
    path("alerts/map/", views.heat_map, name="alert_map"),
    path("alerts/rules/", views.catalogue, name="alert_catalogue"),
    path("alerts/<int:pk>/", views.detail, name="alert_detail"),
    path("alerts/answers/<int:pk>/attachment", views.attachment, name="alert_attachment"),
    path("alerts/<int:pk>/<slug:step>/", views.step, name="alert_step"),
]
