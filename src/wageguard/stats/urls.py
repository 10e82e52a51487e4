from django.urls import path

from . import views

urlpatterns = [
    path("stats/", views.overview, name="stats_overview"),
    path("stats/projects/", views.projects, name="stats_projects"),
    path("stats/screen/", views.screen, name="stats_screen"),
]
urlpatterns += [
    path("stats/reports/", views.report_list, name="stats_reports"),
    path("stats/reports/<int:pk>.<str:kind>", views.report_download, name="stats_report_download"),
    path("stats/risk/", views.risk, name="stats_risk"),
    path("stats/quality/", views.quality, name="stats_quality"),
]
