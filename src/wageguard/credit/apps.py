from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "wageguard.credit"
    label = "credit"
    verbose_name = _("Credit")

    def ready(self) -> None:
        from wageguard.accounts import requirements
        from wageguard.core import events

        from . import rating
        from .tasks import on_event

        events.subscribe(on_event)  # ratings follow the facts; overdue red alerts and confirmed arrears propose records
        requirements.register_credit_standing(rating.standing)  # the deposit rules read the enterprise's credit
