from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "wageguard.payroll"
    label = "payroll"
    verbose_name = _("Payroll")

    def ready(self) -> None:
        from wageguard.accounts import feed

        from .models import OPEN_STATUSES, Payroll

        def open_payroll(account) -> str | None:
            """A ledger of the project still on its way to the bank."""
            return "open_payroll" if Payroll.objects.filter(project=account.project, status__in=OPEN_STATUSES).exists() else None

        if open_payroll.__qualname__ not in {check.__qualname__ for check in feed.CLOSING_CHECKS}:
            feed.CLOSING_CHECKS.append(open_payroll)
