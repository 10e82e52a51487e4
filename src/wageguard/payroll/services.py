"""Write paths of payroll: building a month's ledger and adjusting its lines (every change audited)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core import audit
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import Role
from wageguard.core.transactions import service
from wageguard.registry.models import Enterprise, Participation, Project, WageBasis

from . import ledger
from .models import Payroll, PayrollLine, PayrollStatus

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _may_prepare(actor, project: Project, enterprise: Enterprise) -> bool:
    """The enterprise's own admin or the project's wage officer of that enterprise; the system (None) for the monthly task."""
    if actor is None or actor.is_platform_admin:
        return True
    if actor.enterprise_id != enterprise.pk or actor.role not in (Role.ENTERPRISE_ADMIN, Role.WAGE_OFFICER):
        return False
    return actor.role == Role.ENTERPRISE_ADMIN or actor.project_id == project.pk


def _editable(payroll: Payroll) -> None:
    if payroll.status != PayrollStatus.DRAFT:
        raise ServiceError("payroll_locked", _("Only a draft ledger can be changed."), "status")


@service
def payroll_build(*, actor, project: Project, enterprise: Enterprise, month: str) -> Payroll:
    """Build (or rebuild, while still a draft) the enterprise's ledger for the project and month."""
    if not MONTH_RE.match(month or ""):
        raise ServiceError("invalid_month", _("Month must be written YYYY-MM."), "month")
    if not Participation.objects.filter(project=project, enterprise=enterprise).exists():
        raise ServiceError("not_participating", _("The enterprise does not take part in this project."), "enterprise")
    if not _may_prepare(actor, project, enterprise):
        raise PermissionDenied(_("Only the enterprise's wage officer or administrator prepares its wage ledger."))
    payroll, created = Payroll.objects.select_for_update().get_or_create(
        project=project, enterprise=enterprise, month=month, defaults={"built_at": timezone.now()})
    _editable(payroll)
    kept = {line.worker_id: line for line in payroll.lines.all()}  # a rebuild keeps what the team entered
    fresh = ledger.build_lines(payroll)
    for line in fresh:
        old = kept.get(line.worker_id)
        if old is not None:
            line.pk, line.quantity, line.deductions, line.warning_reasons = old.pk, old.quantity, old.deductions, old.warning_reasons
            line.days_claimed = min(old.days_claimed, line.days_attended) if old.days_claimed else line.days_attended
            _recompute(line, payroll)
    ledger.check_lines(payroll, fresh)
    PayrollLine.objects.bulk_create([line for line in fresh if line.pk is None])
    PayrollLine.objects.bulk_update([line for line in fresh if line.pk is not None],
                                    ["days_attended", "hours_attended", "days_claimed", "wage_basis", "wage_rate", "gross", "net",
                                     "card", "bank_name", "checks"])
    payroll.built_at = timezone.now()
    payroll.save(update_fields=["built_at"])
    audit.record(actor=actor, action="payroll.build" if created else "payroll.rebuild", obj=payroll,
                 after={"month": month, "lines": len(fresh), "net": str(sum((line.net for line in fresh), Decimal("0")))})
    return payroll


def _recompute(line: PayrollLine, payroll: Payroll) -> None:
    first, last = ledger.month_bounds(payroll.month)
    employment = line.employment
    start = max(employment.entered_on, first) if employment else first
    end = min(employment.exited_on or last, last) if employment else last
    line.gross = ledger.gross_pay(basis=line.wage_basis, rate=line.wage_rate, days_claimed=line.days_claimed, quantity=line.quantity,
                                  roster_days=(end - start).days + 1, month_days=(last - first).days + 1)
    line.net = ledger.net_pay(line.gross, line.deductions)


def _amount(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ServiceError("invalid_amount", _("Amount must be a sum in yuan with at most two decimals."), field) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("invalid_amount", _("Amount must be a sum in yuan with at most two decimals."), field)
    return amount


@service
def line_adjust(*, actor, line: PayrollLine, reason: str, days_claimed: int | None = None, quantity=None,
                deductions: list[dict] | None = None) -> PayrollLine:
    """Change what the team claims for a worker: days, piece quantity, deductions (each with its reason)."""
    payroll = line.payroll
    if not _may_prepare(actor, payroll.project, payroll.enterprise):
        raise PermissionDenied(_("Only the enterprise's wage officer or administrator prepares its wage ledger."))
    _editable(payroll)
    if not (reason or "").strip():
        raise ServiceError("required", _("Every adjustment needs its reason."), "reason")
    line = PayrollLine.objects.select_for_update(of=("self",)).select_related("employment").get(pk=line.pk)
    before = {"days_claimed": line.days_claimed, "quantity": str(line.quantity), "deductions": line.deductions, "net": str(line.net)}
    if days_claimed is not None:
        if days_claimed < 0 or days_claimed > 31:
            raise ServiceError("invalid_number", _("Days claimed must be between 0 and 31."), "days_claimed")
        line.days_claimed = days_claimed
    if quantity is not None:
        if line.wage_basis != WageBasis.PIECE_RATE:
            raise ServiceError("not_piece_rate", _("Quantities apply to piece-rate contracts only."), "quantity")
        line.quantity = _amount(quantity, "quantity")
    if deductions is not None:
        cleaned = []
        for n, item in enumerate(deductions):
            item_reason = str(item.get("reason", "")).strip()
            if not item_reason:
                raise ServiceError("required", _("Each deduction needs its reason."), f"deductions[{n}].reason")
            cleaned.append({"reason": item_reason, "amount": str(_amount(item.get("amount"), f"deductions[{n}].amount"))})
        line.deductions = cleaned
    _recompute(line, payroll)
    if line.net < 0:
        raise ServiceError("negative_net", _("Deductions cannot exceed the gross pay."), "deductions")
    ledger.check_lines(payroll, [line])
    line.save()
    audit.record(actor=actor, action="payroll.line_adjust", obj=line, before=before,
                 after={"days_claimed": line.days_claimed, "quantity": str(line.quantity), "deductions": line.deductions,
                        "net": str(line.net), "reason": reason.strip()})
    return line
