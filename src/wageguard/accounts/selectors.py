"""Reads of accounts, scoped to the person: officials and enterprises see the accounts of the projects
they see (registry scope), a bank operator its own bank's accounts, workers and police none."""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from wageguard.core import access, rules
from wageguard.exchange.models import IngestionBatch

from .feed import account_opened_late
from .models import (AccountTransaction, Bank, BankDataIssue, DepositMovement, MovementKind, ProgressPayment, TransactionPurpose, WageAccount,
                     WageDeposit)
from .requirements import expected_allocation


def accounts_for(user) -> QuerySet[WageAccount]:
    qs = WageAccount.objects.filter(access.account_q(user))
    last_balance = AccountTransaction.objects.filter(account=OuterRef("pk")).order_by("-sequence").values("balance_after")[:1]
    return (qs.select_related("project__region__parent", "bank", "holder")
            .annotate(balance=Subquery(last_balance, output_field=DecimalField(max_digits=16, decimal_places=2)),
                      open_issues=Count("data_issues", filter=Q(data_issues__resolved_at__isnull=True), distinct=True))
            .order_by("project__code", "section"))


def account_get(*, user, pk: int) -> WageAccount:
    account = accounts_for(user).filter(pk=pk).first()
    if account is None:
        raise Http404("account")
    account.opened_late = account_opened_late(account)
    return account


def bank_accounts(*, bank: Bank) -> QuerySet[WageAccount]:
    return (WageAccount.objects.filter(bank=bank).select_related("project", "holder").order_by("number")
            .prefetch_related(Prefetch("data_issues", queryset=BankDataIssue.objects.filter(resolved_at__isnull=True),
                                       to_attr="open_issues")))


@dataclass
class TransactionFilters:
    purpose: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def transactions(*, account: WageAccount, filters: TransactionFilters) -> QuerySet[AccountTransaction]:
    qs = account.transactions.order_by("-sequence")
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.date_from:
        qs = qs.filter(booked_at__gte=timezone.make_aware(datetime.datetime.combine(filters.date_from, datetime.time())))
    if filters.date_to:
        qs = qs.filter(booked_at__lt=timezone.make_aware(datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1), datetime.time())))
    return qs


def balance_series(*, account: WageAccount) -> list[tuple[str, str]]:
    return [(d.isoformat(), str(b)) for d, b in account.daily_balances.order_by("day").values_list("day", "closing_balance")]


@dataclass
class MonthAllocation:
    month: str
    progress_payment: Decimal | None
    expected: Decimal | None
    allocated: Decimal = Decimal("0.00")
    first_allocated_on: datetime.date | None = None
    flags: list[str] = field(default_factory=list)  # missing / late / low


def allocation_by_month(*, account: WageAccount) -> list[MonthAllocation]:
    """Each month: the owner's progress payment, the labour cost expected for it, what came in and when."""
    return allocations(accounts=[account])[account.pk]


def allocations(*, accounts) -> dict[int, list[MonthAllocation]]:
    """`allocation_by_month` for many accounts at once: two queries, whatever their number (the alert sweep)."""
    accounts = {a.pk: a for a in accounts}
    by_project = {a.project_id: a.pk for a in accounts.values()}
    months: dict[int, dict[str, MonthAllocation]] = {pk: {} for pk in accounts}
    for project_id, month, amount in ProgressPayment.objects.filter(project_id__in=by_project).values_list("project_id", "month", "amount"):
        project = accounts[by_project[project_id]].project
        expected = expected_allocation(progress_payment=amount, labour_cost_ratio=project.labour_cost_ratio, industry=project.industry,
                                       contract_amount=project.contract_amount, region=project.region)
        months[by_project[project_id]][month] = MonthAllocation(month, amount, expected)
    incoming = defaultdict(list)
    for account_id, booked_at, amount in AccountTransaction.objects.filter(
            account_id__in=accounts, purpose=TransactionPurpose.LABOUR_COST_IN).values_list("account_id", "booked_at", "amount"):
        local = timezone.localdate(booked_at)
        incoming[(account_id, f"{local:%Y-%m}")].append((local, amount))
    for (account_id, month), entries in incoming.items():
        row = months[account_id].setdefault(month, MonthAllocation(month, None, None))
        row.allocated = sum((a for _d, a in entries), Decimal("0.00"))
        row.first_allocated_on = min(d for d, _a in entries)
    result = {}
    for account_id, rows in months.items():
        due_day = int(rules.value("labour_cost.due_day", accounts[account_id].project.region))
        for row in rows.values():
            if row.expected and not row.allocated:
                row.flags.append("missing")
            if row.first_allocated_on and row.first_allocated_on.day > due_day:
                row.flags.append("late")
            if row.expected and row.allocated and row.allocated < row.expected:
                row.flags.append("low")
        result[account_id] = [rows[m] for m in sorted(rows, reverse=True)]
    return result


def bank_batches(*, bank_code: str, limit: int = 100) -> QuerySet[IngestionBatch]:
    """What this bank's clients pushed, newest first, with their verdict counts and rejection reasons."""
    return (IngestionBatch.objects.filter(sender__kind="bank", sender__bank_code=bank_code, kind__startswith="bank_")
            .select_related("sender").order_by("-received_at")[:limit])


def deposits_for(user):
    """Deposits of the projects the person sees (officials, enterprises); banks, workers and police none."""
    from .models import WageDeposit

    return (WageDeposit.objects.filter(access.deposit_q(user))
            .select_related("project__region__parent", "enterprise").prefetch_related("movements", "certificates")
            .order_by("due_on", "project__code"))


def deposit_get(*, user, pk: int):
    deposit = deposits_for(user).filter(pk=pk).first()
    if deposit is None:
        raise Http404("deposit")
    return deposit


# ---------------------------------------------------------------- the platform's reads (the rules; no person's scope)


def first_openings() -> dict[int, datetime.date]:
    """Each project's first dedicated account's opening day."""
    opened = {}
    for project_id, opened_on in WageAccount.objects.order_by("-opened_on").values_list("project_id", "opened_on"):
        opened[project_id] = opened_on  # the earliest wins
    return opened


def accounts_of(projects) -> list[WageAccount]:
    return list(WageAccount.objects.filter(project__in=projects).select_related("project__region__parent__parent"))


def debits_since(projects, oldest: datetime.date, *, except_purposes=()) -> QuerySet[AccountTransaction]:
    return (AccountTransaction.objects.filter(amount__lt=0, account__project__in=projects, booked_at__date__gte=oldest)
            .exclude(purpose__in=except_purposes).select_related("account__project", "bank"))


def deposits_of(projects) -> QuerySet[WageDeposit]:
    return (WageDeposit.objects.filter(project__in=projects).select_related("project__region")
            .prefetch_related("movements", "certificates"))


def bank_holds_open_accounts(bank_code: str, before: datetime.date) -> bool:
    return WageAccount.objects.filter(bank__code=bank_code, opened_on__lt=before).exclude(status="closed").exists()


def deposit_drawdowns(*, since: datetime.date, enterprise_ids=None) -> list[tuple[int, int, int]]:
    """(enterprise, movement, deposit) of each drawdown of a wage deposit to pay wages since `since`: the
    enterprise that lodged it had not paid (the credit rating's deposit history)."""
    qs = DepositMovement.objects.filter(kind=MovementKind.DRAWDOWN, on__gte=since, deposit__enterprise__isnull=False)
    if enterprise_ids is not None:
        qs = qs.filter(deposit__enterprise_id__in=list(enterprise_ids))
    return list(qs.values_list("deposit__enterprise_id", "pk", "deposit_id"))


def live_deposits_of(enterprise_ids) -> QuerySet[WageDeposit]:
    """Deposits of the enterprises' projects not completed yet (re-assessed when their credit worsens)."""
    return (WageDeposit.objects.filter(enterprise_id__in=list(enterprise_ids)).exclude(project__status="completed")
            .select_related("project__region", "project__general_contractor"))


def debits_to_cards(card_indexes, first: datetime.date, last: datetime.date) -> QuerySet[AccountTransaction]:
    """Debits from any dedicated account to these cards (by their blind index) between two days: money that reached a
    worker whatever the ledger says."""
    return (AccountTransaction.objects.filter(amount__lt=0, counterparty_account_index__in=[c for c in card_indexes if c],
                                              booked_at__date__gte=first, booked_at__date__lte=last)
            .select_related("account__project"))
