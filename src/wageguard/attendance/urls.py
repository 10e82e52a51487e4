from django.urls import path

from . import views

urlpatterns = [
    path("projects/<int:pk>/on-site/", views.on_site, name="on_site"),
    path("attendance/quality/", views.quality, name="attendance_quality"),
]
