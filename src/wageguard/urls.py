from django.contrib import admin
from django.urls import include, path

from wageguard.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("wageguard.core.urls")),
    path("", include("wageguard.registry.urls")),
    path("", include("wageguard.attendance.urls")),
    path("", include("wageguard.exchange.urls")),
    path("", include("wageguard.accounts.urls")),
    path("", include("wageguard.payroll.urls")),
    path("", include("wageguard.alerts.urls")),
    path("", include("wageguard.credit.urls")),
    path("", include("wageguard.complaints.urls")),
    path("", include("wageguard.stats.urls")),
]
