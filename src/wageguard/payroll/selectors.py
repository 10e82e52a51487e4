"""Reads of wage ledgers, scoped to the person.

- officials: ledgers of the projects they see, lines only if their agency sees personal data (PBOC sees totals);
- enterprise admin: its own ledgers, and as general contractor every ledger of its projects;
- wage officer: the same, on their one project;
- bank operator: totals of the ledgers addressed to its bank;
- worker: their own lines only (the payslip), never a ledger;
- police: none.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from wageguard.accounts.models import AccountTransaction, TransactionPurpose, WageAccount
from wageguard.core import access, months
from wageguard.core.models import Region, Role
from wageguard.registry.models import Project

from .models import DisbursementResult, Payroll, PayrollLine, PayrollStatus, ResultStatus

ZERO = Decimal("0.00")
MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)


def payrolls_for(user) -> QuerySet[Payroll]:
    return Payroll.objects.filter(access.payroll_q(user)).select_related("project__region__parent", "enterprise")


sees_lines = access.sees_lines


@dataclass
class DisbursementFilters:
    region: str = ""
    month: str = ""
    status: str = ""
    industry: str = ""
    q: str = ""


def disbursement_table(*, user, filters: DisbursementFilters | None = None) -> QuerySet[Payroll]:
    """One row per ledger: workers, net total, paid and failed — what officials filter and export."""
    f = filters or DisbursementFilters()
    qs = payrolls_for(user)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(project__region__code__startswith=region.subtree_prefix) if region else qs.none()
    if f.month:
        qs = qs.filter(month=f.month)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.industry:
        qs = qs.filter(project__industry=f.industry)
    if f.q:
        qs = qs.filter(Q(project__name__icontains=f.q) | Q(project__code__icontains=f.q) | Q(enterprise__name__icontains=f.q))
    current = Q(lines__reissue__isnull=True)
    return qs.annotate(
        workers=Count("lines", filter=current),
        net_total=Coalesce(Sum("lines__net", filter=current), Value(ZERO), output_field=MONEY_SUM),
        paid_total=Coalesce(Sum("lines__result__amount", filter=current & Q(lines__result__status=ResultStatus.PAID)),
                            Value(ZERO), output_field=MONEY_SUM),
        failed=Count("lines", filter=current & Q(lines__result__status=ResultStatus.FAILED)),
    ).order_by("-month", "project__code", "enterprise__name")


def payroll_get(*, user, pk: int) -> Payroll:
    payroll = payrolls_for(user).filter(pk=pk).first()
    if payroll is None:
        raise Http404("payroll")
    return payroll


def lines(*, user, payroll: Payroll) -> QuerySet[PayrollLine]:
    if not sees_lines(user):
        return PayrollLine.objects.none()
    return (payroll.lines.select_related("worker", "result").order_by("worker__name", "id")
            .annotate(superseded=Exists(PayrollLine.objects.filter(reissue_of=OuterRef("pk")))))


def payslips(*, user) -> QuerySet[PayrollLine]:
    """A worker's own lines, newest month first — including re-issues, each with the bank's result."""
    if not user.is_authenticated or not user.worker_id:
        return PayrollLine.objects.none()
    return (PayrollLine.objects.filter(worker_id=user.worker_id).exclude(payroll__status=PayrollStatus.DRAFT)
            .select_related("payroll__project", "payroll__enterprise", "result").order_by("-payroll__month", "id"))


# ---------------------------------------------------------------- reconciliation

@dataclass
class Difference:
    kind: str  # unpaid | failed | no_debit | amount_differs | debit_without_line
    amount: Decimal
    line: PayrollLine | None = None
    transaction: AccountTransaction | None = None


@dataclass
class Reconciliation:
    project: Project
    month: str
    payrolls: list[Payroll]
    ledger_net: Decimal = ZERO
    paid: Decimal = ZERO
    debits: Decimal = ZERO
    differences: list[Difference] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences and self.ledger_net == self.paid == self.debits


def _pay_window(month: str) -> tuple[datetime.date, datetime.date]:
    """Wages of month M are paid during M + 1: that month's unmatched wage debits belong to M."""
    return months.bounds(months.next_month(month))


def reconciliation(*, user, project_pk: int, month: str) -> Reconciliation:
    """Ledger net (lines in force) = the bank's paid results = the account's wage_out debits, and the lines or
    transactions behind any difference. Results are matched to debits by the bank's transaction id."""
    payrolls = list(payrolls_for(user).filter(project_id=project_pk, month=month))
    if not payrolls:
        raise Http404("payroll")
    project = payrolls[0].project
    show_lines = sees_lines(user)
    in_force = list(PayrollLine.objects.current().filter(payroll__in=payrolls, net__gt=0).select_related("worker", "result", "payroll"))
    accounts = WageAccount.objects.filter(access.account_q(user), project=project)  # a bank operator: its own bank's
    paid_ids = {line.result.bank_txn_id: line for line in in_force
                if getattr(line, "result", None) is not None and line.result.status == ResultStatus.PAID}
    start, end = _pay_window(month)
    debits = list(AccountTransaction.objects.filter(account__in=accounts, purpose=TransactionPurpose.WAGE_OUT).filter(
        Q(bank_txn_id__in=list(paid_ids)) | Q(booked_at__date__range=(start, end))))
    claimed = set(DisbursementResult.objects.filter(bank_txn_id__in=[t.bank_txn_id for t in debits], status=ResultStatus.PAID)
                  .values_list("bank_txn_id", flat=True))
    report = Reconciliation(project=project, month=month, payrolls=payrolls)
    debit_by_id = {t.bank_txn_id: t for t in debits}
    for line in in_force:
        report.ledger_net += line.net
        result = getattr(line, "result", None)
        shown = line if show_lines else None
        if result is None:
            report.differences.append(Difference("unpaid", line.net, shown))
        elif result.status == ResultStatus.FAILED:
            report.differences.append(Difference("failed", line.net, shown))
        else:
            report.paid += result.amount
            debit = debit_by_id.get(result.bank_txn_id)
            if debit is None:
                report.differences.append(Difference("no_debit", result.amount, shown))
            elif -debit.amount != result.amount:
                report.differences.append(Difference("amount_differs", -debit.amount - result.amount, shown, debit))
    for debit in debits:
        if debit.bank_txn_id in paid_ids:
            report.debits += -debit.amount
        elif debit.bank_txn_id not in claimed:  # a wage debit no ledger line of any month accounts for
            report.debits += -debit.amount
            report.differences.append(Difference("debit_without_line", -debit.amount, None, debit))
    return report




def line_get(*, user, pk: int) -> PayrollLine:
    line = PayrollLine.objects.filter(pk=pk, payroll__in=payrolls_for(user)).select_related("payroll", "worker", "result").first()
    if line is None or not sees_lines(user):
        raise Http404("line")
    return line


def projects_to_prepare(*, user) -> QuerySet[Project]:
    """Projects where the person prepares their enterprise's ledgers (the build form's choices)."""
    if user.role not in (Role.ENTERPRISE_ADMIN, Role.WAGE_OFFICER) or not user.enterprise_id:
        return Project.objects.none()
    qs = Project.objects.visible_to(user).filter(participations__enterprise_id=user.enterprise_id)
    return qs.filter(pk=user.project_id) if user.role == Role.WAGE_OFFICER else qs.distinct().order_by("code")


# ---------------------------------------------------------------- the platform's reads (the rules; no person's scope)


def payrolls_since(month: str) -> QuerySet[Payroll]:
    return Payroll.objects.filter(month__gte=month)


def current_lines() -> QuerySet[PayrollLine]:
    """Every ledger line in force (a re-issued line's replacement, not the line it replaced)."""
    return PayrollLine.objects.current()


def cards_paid_by(project_ids, card_indexes) -> set[tuple[int, str]]:
    """(project, card index) pairs that the projects' ledgers pay."""
    return set(PayrollLine.objects.filter(payroll__project_id__in=project_ids, card_index__in=card_indexes)
               .values_list("payroll__project_id", "card_index").distinct())


def lines_of_worker(worker_id: int, months, project_ids=None) -> QuerySet[PayrollLine]:
    """A worker's ledger lines in force for these months, with the bank's result (a complaint's facts)."""
    lines = (PayrollLine.objects.current().filter(worker_id=worker_id, payroll__month__in=list(months))
             .exclude(payroll__status=PayrollStatus.DRAFT).select_related("payroll__project", "payroll__enterprise", "result"))
    return lines.filter(payroll__project_id__in=list(project_ids)) if project_ids is not None else lines
