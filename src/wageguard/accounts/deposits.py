"""Wage deposits: the requirement, what is held, and what is due — derived from the facts, never stored twice."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from wageguard.core import rules
from wageguard.core.workdays import Deadline, add_working_days

from .models import CertificateKind, MovementKind, ReviewStatus, WageDeposit
from .requirements import DepositBasis

EXEMPT_BASES = (DepositBasis.EXEMPT_SMALL, DepositBasis.EXEMPT_CLEAN)
INFLOWS, OUTFLOWS = (MovementKind.LODGE, MovementKind.REFILL), (MovementKind.DRAWDOWN, MovementKind.REFUND)


class DepositStatus:
    EXEMPT = "exempt"
    SATISFIED = "satisfied"
    REFILL_DUE = "refill_due"        # drawn to pay wages; refill within 10 working days
    REFILL_OVERDUE = "refill_overdue"
    PENDING = "pending"              # not yet lodged, still within 20 working days of the contract
    OVERDUE = "overdue"              # not lodged in time: the `deposit_missing` rule
    REFUNDED = "refunded"


@dataclass(frozen=True)
class DepositState:
    status: str
    required: Decimal
    held: Decimal
    guaranteed: Decimal
    refill_deadline: Deadline | None
    flags: tuple[str, ...]           # e.g. "exemption_ineligible"


def deposit_state(deposit: WageDeposit, today: datetime.date) -> DepositState:
    movements = list(deposit.movements.all())
    certificates = list(deposit.certificates.all())
    held = sum((m.amount for m in movements if m.kind in INFLOWS), Decimal("0.00")) - sum(
        (m.amount for m in movements if m.kind in OUTFLOWS), Decimal("0.00"))
    approved = [c for c in certificates if c.status == ReviewStatus.APPROVED]
    guaranteed = sum((c.amount or Decimal("0.00") for c in approved if c.kind == CertificateKind.GUARANTEE), Decimal("0.00"))
    required = deposit.required_amount
    reductions = [c.amount for c in approved if c.kind == CertificateKind.REDUCTION and c.amount is not None]
    if reductions:
        required = min([required, *reductions])
    flags = []
    rule_exempt = deposit.basis in EXEMPT_BASES
    if any(c.kind == CertificateKind.EXEMPTION and c.status != ReviewStatus.REJECTED for c in certificates) and not rule_exempt:
        flags.append("exemption_ineligible")  # the rules do not exempt this contract: the reviewer must see it
    refund = [m for m in movements if m.kind == MovementKind.REFUND]
    drawdowns = [m for m in movements if m.kind == MovementKind.DRAWDOWN]
    refill_deadline = None
    if refund and held <= 0:
        status = DepositStatus.REFUNDED
    elif rule_exempt or any(c.kind == CertificateKind.EXEMPTION for c in approved) or required == 0:
        status = DepositStatus.EXEMPT
    elif held + guaranteed >= required:
        status = DepositStatus.SATISFIED
    elif drawdowns and held + guaranteed + drawdowns[-1].amount >= required:
        days = int(rules.value("deposit.refill_within_working_days", deposit.project.region))
        refill_deadline = add_working_days(drawdowns[-1].on, days)
        status = DepositStatus.REFILL_OVERDUE if today > refill_deadline.day else DepositStatus.REFILL_DUE
    else:
        status = DepositStatus.OVERDUE if today > deposit.due_on else DepositStatus.PENDING
    return DepositState(status, required, held, guaranteed, refill_deadline, tuple(flags))
