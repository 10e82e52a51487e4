from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wageguard.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import pii

        pii.check_keys()  # a clear startup error if the field key is missing or malformed
        from .auth import connect_signals

        connect_signals()
