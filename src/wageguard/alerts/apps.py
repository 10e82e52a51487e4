from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "wageguard.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from wageguard.core import access, events, panels

        from . import selectors
        from .tasks import on_event

        events.subscribe(on_event)  # the rules listening to each domain event run after its commit
        panels.register("alerts", lambda user: selectors.counts(user=user) if access.can(user, "alerts.view") else None)
