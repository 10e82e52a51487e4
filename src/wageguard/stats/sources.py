"""What the rollups count, read from the other apps' tables for a set of projects: grouped reads only, each
a pure function of the stored records (no clock), so that a row computed today and a rebuild next week agree.
Statistics is a read-only consumer above every other app; it reads their models here and nowhere else."""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, Min, OuterRef
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from wageguard.alerts.models import ActionKind, Alert, AlertAction
from wageguard.attendance.models import AttendanceDay, BatchProjectCount
from wageguard.accounts.models import AccountTransaction, WageAccount
from wageguard.accounts.selectors import allocations
from wageguard.complaints.models import Complaint
from wageguard.core import rules as thresholds
from wageguard.credit.models import CreditRecord
from wageguard.payroll.models import PayrollLine, ResultStatus
from wageguard.registry.models import Employment, FilingStatus, IdCardReading, LabourContract, Project


def local_month(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m}"


def _month(year: int, number: int) -> str:
    return f"{year:04d}-{number:02d}"


@dataclass
class ProjectFacts:
    """One project's records, as the month rows need them."""

    pk: int
    county: str
    industry: str
    qualifying: bool
    start: datetime.date
    onboarded_on: datetime.date | None
    opened_on: datetime.date | None = None
    account_due: datetime.date | None = None
    # (entered, exited, worker, first contract signed on) per employment
    employments: list[tuple[datetime.date, datetime.date | None, int, datetime.date | None]] = field(default_factory=list)
    attended: set[tuple[int, str]] = field(default_factory=set)  # (worker, month)
    senders: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (month, sender) -> [received, late, rejected]
    # account -> [(month, the balance after its last transaction booked in that month)], months in order
    balances: dict[int, list[tuple[str, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    monthly: dict[str, dict[str, object]] = field(default_factory=lambda: defaultdict(dict))  # month -> measure -> value


def facts_of(project_ids) -> tuple[dict[int, ProjectFacts], dict[int, datetime.date]]:
    """The facts of the projects, and the day each of their workers was first read from an ID card."""
    projects = {}
    for p in Project.objects.filter(pk__in=project_ids).exclude(filing_status=FilingStatus.PROPOSED).select_related("region"):
        start = p.started_on or timezone.localtime(p.created_at).date()
        onboarded = timezone.localtime(p.onboarded_at).date() if p.onboarded_at else None
        projects[p.pk] = ProjectFacts(p.pk, p.region.code, p.industry, p.is_qualifying, start, onboarded)
        if p.started_on:
            projects[p.pk].account_due = p.started_on + datetime.timedelta(days=int(thresholds.value("account.open_within_days", p.region)))
    ids = list(projects)
    for row in WageAccount.objects.filter(project_id__in=ids).values("project_id").annotate(first=Min("opened_on")):
        projects[row["project_id"]].opened_on = row["first"]
    accounts = list(WageAccount.objects.filter(project_id__in=ids).select_related("project__region"))
    by_account = allocations(accounts=accounts)
    short = {(a.project_id, row.month) for a in accounts for row in by_account[a.pk] if {"missing", "low"} & set(row.flags)}
    for project_id, month in short:
        projects[project_id].monthly[month]["labour_cost_short"] = 1
    signed = dict(LabourContract.objects.filter(employment__project_id__in=ids).values("employment_id")
                  .annotate(first=Min("signed_on")).values_list("employment_id", "first"))
    workers = set()
    for e in Employment.objects.filter(project_id__in=ids).values_list("pk", "project_id", "worker_id", "entered_on", "exited_on").order_by("pk"):
        projects[e[1]].employments.append((e[3], e[4], e[2], signed.get(e[0])))
        workers.add(e[2])
    read = {w: timezone.localtime(at).date() for w, at in IdCardReading.objects.filter(worker_id__in=workers, accepted=True)
            .values("worker_id").annotate(first=Min("captured_at")).values_list("worker_id", "first")}
    for project_id, worker_id, year, number in (AttendanceDay.objects.filter(project_id__in=ids)
                                                .values_list("project_id", "worker_id", ExtractYear("day"), ExtractMonth("day")).distinct()):
        projects[project_id].attended.add((worker_id, _month(year, number)))
    _ledgers(projects, ids)
    _counted_events(projects, ids)
    return projects, read


def _ledgers(projects: dict[int, ProjectFacts], ids) -> None:
    """Each line in force (net above zero) with the bank's result, summed here: one plain read, no per-line subquery.
    The bank's failures count every failed line of the month's ledgers, re-issued ones too (a failure that was later
    mended was still a failure when the month ended: the forecast must not learn from what came after)."""
    sums: dict[tuple[int, str], dict] = {}
    unpaid_workers: dict[tuple[int, str], set] = defaultdict(set)
    for project_id, month, worker_id, net, status, reissued in (
            PayrollLine.objects.filter(payroll__project_id__in=ids, net__gt=0)
            .values_list("payroll__project_id", "payroll__month", "worker_id", "net", "result__status", "reissue")):
        row = sums.setdefault((project_id, month), {"ledger_lines": 0, "lines_paid": 0, "lines_failed": 0, "net_due": Decimal("0"),
                                                    "net_paid": Decimal("0"), "unpaid_net": Decimal("0")})
        row["lines_failed"] += int(status == ResultStatus.FAILED)
        if reissued is not None:  # superseded by its re-issue: only its failure counts
            continue
        row["ledger_lines"] += 1
        row["net_due"] += net
        if status == ResultStatus.PAID:
            row["lines_paid"] += 1
            row["net_paid"] += net
        else:
            row["unpaid_net"] += net
            unpaid_workers[(project_id, month)].add(worker_id)
    for (project_id, month), row in sums.items():
        owed = unpaid_workers.get((project_id, month), ())
        projects[project_id].monthly[month].update(row, unpaid_workers=len(owed), projects_unpaid=int(row["unpaid_net"] > 0))


def _add(projects, project_id: int, month: str, **counts) -> None:
    monthly = projects[project_id].monthly[month]
    for name, value in counts.items():
        monthly[name] = monthly.get(name, 0) + value


def _counted_events(projects: dict[int, ProjectFacts], ids) -> None:
    """Alerts by the month raised (closed by their deadline or after it), complaints by the month filed, credit
    records by the month proposed, data received from senders (attendance batches) by the month received."""
    escalated = Exists(AlertAction.objects.filter(alert_id=OuterRef("pk"), kind=ActionKind.ESCALATED))
    for project_id, raised, due, closed, late in (Alert.objects.filter(project_id__in=ids).annotate(escalated=escalated)
                                                  .values_list("project_id", "raised_at", "due_at", "closed_at", "escalated")):
        late = late or (closed is not None and closed > due)  # an escalation moved the deadline: it was missed
        _add(projects, project_id, local_month(raised), alerts_raised=1, alerts_in_time=int(closed is not None and not late),
             alerts_late=int(closed is not None and late))
    for project_id, filed in Complaint.objects.filter(project_id__in=ids).values_list("project_id", "filed_at"):
        _add(projects, project_id, local_month(filed), complaints=1)
    for project_id, proposed in CreditRecord.objects.filter(project_id__in=ids).values_list("project_id", "proposed_at"):
        _add(projects, project_id, local_month(proposed), credit_records=1)
    for project_id, received, accepted, rejected, late, sender in (
            BatchProjectCount.objects.filter(project_id__in=ids).values_list("project_id", "received_at", "accepted", "rejected", "late",
                                                                               "batch__sender_id")):
        month = local_month(received)
        _add(projects, project_id, month, records_received=accepted + rejected, records_late=late, records_rejected=rejected)
        _add_sender(projects[project_id], month, f"gate:{sender}", accepted + rejected, late, rejected)
    for project_id, account_id, bank, booked, received, balance in (
            AccountTransaction.objects.filter(account__project_id__in=ids).order_by("account_id", "sequence")
            .values_list("account__project_id", "account_id", "bank_id", "booked_at", "received_at", "balance_after")):
        _add_sender(projects[project_id], local_month(received), f"bank:{bank}", 1, int(received - booked > BANK_LATE_AFTER), 0)
        _add_balance(projects[project_id].balances[account_id], local_month(booked), balance)


BANK_LATE_AFTER = datetime.timedelta(days=1)  # the data standard: account data within one day of the event


def _add_balance(history: list[tuple[str, Decimal]], month: str, balance: Decimal) -> None:
    """The account's transactions come in the bank's order (its sequence): the month's last one leaves its balance."""
    if history and history[-1][0] == month:
        history[-1] = (month, balance)
    else:
        history.append((month, balance))


def balance_at(facts: ProjectFacts, month: str) -> Decimal:
    """The project's dedicated accounts' balance at the end of `month`: each account's last balance booked by then."""
    total = Decimal("0")
    for history in facts.balances.values():
        last = [balance for booked, balance in history if booked <= month]
        total += last[-1] if last else Decimal("0")
    return total


def _add_sender(facts: ProjectFacts, month: str, sender: str, received: int, late: int, rejected: int) -> None:
    counts = facts.senders.setdefault((month, sender), [0, 0, 0])
    counts[0] += received
    counts[1] += late
    counts[2] += rejected
