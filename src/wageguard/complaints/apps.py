from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "wageguard.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from wageguard.credit import rating

        from . import selectors

        rating.FACT_SOURCES.append(selectors.upheld_by_enterprise)  # the rating's "complaints upheld" line
