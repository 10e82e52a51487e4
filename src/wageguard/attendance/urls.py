from django.urls import path

from . import views

urlpatterns = [
    path("projects/<int:pk>/on-site/", views.on_site, name="on_site"),
    path("projects/<int:pk>/punches/", views.punch_list, name="punch_list"),
    path("attendance/quality/", views.quality, name="attendance_quality"),
]
