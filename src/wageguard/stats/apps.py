from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "wageguard.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from wageguard.alerts.rules import forecast as forecast_rule
        from wageguard.core import events

        from . import forecast
        from .tasks import on_event

        events.subscribe(on_event)  # the touched projects' rollup rows follow every domain event
        forecast_rule.register_high_risk(forecast.high_risk)  # the yellow alert reads the forecast's scores
