"""Writes of the accounts app that people make (bank data comes only through `feed`)."""
from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from wageguard.core import audit
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.transactions import service
from wageguard.registry.models import Project

from .models import ProgressPayment

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _may_report_progress(actor, project: Project) -> bool:
    if actor is None:
        return False
    if actor.is_platform_admin:
        return True
    return actor.enterprise_id in (project.owner_id, project.general_contractor_id)


@service
def progress_payment_record(*, actor, project: Project, month: str, amount: Decimal) -> ProgressPayment:
    """The owner (or its general contractor) records a month's progress payment; a change is audited."""
    if not _may_report_progress(actor, project):
        raise PermissionDenied(_("Only the project's owner or general contractor records progress payments."))
    if not MONTH_RE.match(month or ""):
        raise ServiceError("invalid_month", _("Month must be written YYYY-MM."), "month")
    if amount is None or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("invalid_amount", _("Amount must be a non-negative sum in yuan with at most two decimals."), "amount")
    payment = ProgressPayment.objects.select_for_update().filter(project=project, month=month).first()
    before = audit.snapshot(payment) if payment else None
    if payment is None:
        payment = ProgressPayment(project=project, month=month)
    payment.amount, payment.recorded_by = amount, actor
    payment.save()
    audit.record(actor=actor, action="accounts.progress_payment_record", obj=payment, before=before, after=audit.snapshot(payment))
    return payment
