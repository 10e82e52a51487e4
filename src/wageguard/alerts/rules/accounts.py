"""The rules on dedicated accounts and wage deposits: an account not opened, labour cost missing, late or low,
account money misused, a deposit not lodged."""
from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.accounts import selectors as account_reads
from wageguard.accounts.deposits import DepositStatus, deposit_state
from wageguard.accounts.models import TransactionPurpose
from wageguard.core import months
from wageguard.core import rules as thresholds
from wageguard.payroll import selectors as payroll_reads

from ..findings import Finding, horizon
from . import per_region, projects


def account_not_opened(scope, today):
    """No dedicated account N days after the contract or permit date; an account opened late is recorded too."""
    within = per_region("account.open_within_days")
    opened = account_reads.first_openings()
    found = []
    for project in projects(scope, qualifying_only=True).filter(started_on__isnull=False).order_by("id"):
        due = project.started_on + datetime.timedelta(days=int(within(project.region)))
        day = opened.get(project.pk)
        if day is None and today > due + datetime.timedelta(days=1):  # one day's grace for the bank's report
            found.append(Finding("project", str(project.pk), "", project.pk, {"due": due.isoformat()},
                                 enterprise_id=project.general_contractor_id))
        elif day is not None and day > due and months.of(day) >= horizon(today):
            found.append(Finding("project", str(project.pk), "", project.pk, {"due": due.isoformat(), "opened_on": day.isoformat()},
                                 enterprise_id=project.general_contractor_id,
                                 ended=_("Opened on %(day)s, %(late)d days late.") % {"day": day, "late": (day - due).days}))
    return found


def labour_cost(flag: str):
    """Months whose labour-cost allocation is missing (after the due day), late (first money after it) or below
    the project's required share, as `accounts.selectors.allocation_by_month` derives them."""
    def evaluate(scope, today):
        found = []
        oldest = horizon(today)
        accounts = account_reads.accounts_of(projects(scope))
        by_account = account_reads.allocations(accounts=accounts)
        for account in sorted(accounts, key=lambda a: a.pk):
            project = account.project
            due_day = int(thresholds.value("labour_cost.due_day", project.region))
            for row in by_account[account.pk]:
                due = months.first_day(row.month).replace(day=due_day)
                if row.month < oldest or flag not in row.flags or today <= due + datetime.timedelta(days=1):  # a day's grace
                    continue
                found.append(Finding(
                    "project", str(project.pk), row.month, project.pk,
                    {"progress_payment": str(row.progress_payment), "expected": str(row.expected), "allocated": str(row.allocated or 0),
                     "first_allocated_on": row.first_allocated_on.isoformat() if row.first_allocated_on else "", "due_day": due_day},
                    enterprise_id=project.general_contractor_id))
        return found
    evaluate.__name__ = f"labour_cost_{flag}"
    return evaluate


def account_misuse(scope, today):
    """Debits that are neither wages to a card the project's ledgers pay, nor a bank fee or a permitted refund."""
    allowed = (TransactionPurpose.FEE, TransactionPurpose.REFUND)
    debits = list(account_reads.debits_since(projects(scope), months.first_day(horizon(today)), except_purposes=allowed).order_by("id"))
    paid_to = {txn.pk: txn.counterparty_account_index for txn in debits
               if txn.purpose == TransactionPurpose.WAGE_OUT and txn.counterparty_account_index}
    ledger_cards = payroll_reads.cards_paid_by({t.account.project_id for t in debits}, set(paid_to.values()))
    found = []
    for txn in debits:
        project = txn.account.project
        if txn.pk in paid_to and (project.pk, paid_to[txn.pk]) in ledger_cards:
            continue  # a wage to a card this project's ledgers pay
        found.append(Finding(
            "transaction", f"{txn.bank.code}:{txn.bank_txn_id}", f"{timezone.localtime(txn.booked_at):%Y-%m}", project.pk,
            {"amount": str(txn.amount), "purpose": txn.purpose, "counterparty": txn.counterparty_name_masked,
             "booked_at": txn.booked_at.isoformat(), "account": txn.account_id}, enterprise_id=project.general_contractor_id))
    return found


def deposit_missing(scope, today):
    """A wage deposit not lodged within its deadline, or an exemption claimed that the rules do not allow."""
    found = []
    for deposit in account_reads.deposits_of(projects(scope)).order_by("id"):
        state = deposit_state(deposit, today)
        reasons = (["overdue"] if state.status == DepositStatus.OVERDUE else []) + list(state.flags)
        if reasons:
            found.append(Finding("project", str(deposit.project_id), "", deposit.project_id,
                                 {"required": str(state.required), "held": str(state.held), "due_on": deposit.due_on.isoformat(),
                                  "reasons": reasons}, enterprise_id=deposit.project.general_contractor_id))
    return found
