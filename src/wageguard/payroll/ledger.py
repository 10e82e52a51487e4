"""Building a month's wage ledger and cross-checking its lines — set-based: the number of queries does not
grow with the number of lines.

Wage terms (the employment's labour contract in force at month end):
- daily: rate × days claimed (days claimed default to days attended);
- monthly: rate × days on the roster in the month / days in the month (pro rata);
- piece rate: rate × the quantity the team enters (none yet: gross 0 and a warning).

Checks, each stored on the line as {"level": "ok" | "warning" | "error" | "pending", "detail"}; errors block
submission, warnings need a reason:
`real_name` (an employment on this project covering the month), `pay_without_attendance`,
`days_over_claimed`, `contract` (a warning when signed only after the month), `card_holder` (pending until the bank reports the holder's name; see
`holder_check`),
`paid_twice` (the same worker's same days in another payroll), `large_payment` (> ¥50,000 in the month or
> ¥300,000 in the year), `exit_without_settlement` (left during the month after working, with nothing paid).
"""
from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from wageguard.attendance.models import AttendanceDay
from wageguard.core.money import round_money
from wageguard.core.pii import blind_index
from wageguard.registry.models import Employment, LabourContract, WageBasis

from .models import Payroll, PayrollLine

MONTHLY_LIMIT = Decimal("50000")
YEARLY_LIMIT = Decimal("300000")
ERROR, WARNING, OK, PENDING = "error", "warning", "ok", "pending"


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    year, number = int(month[:4]), int(month[5:7])
    return datetime.date(year, number, 1), datetime.date(year, number, calendar.monthrange(year, number)[1])


def gross_pay(*, basis: str, rate: Decimal | None, days_claimed: int, quantity: Decimal | None, roster_days: int,
              month_days: int) -> Decimal:
    if rate is None:
        return Decimal("0.00")
    if basis == WageBasis.DAILY:
        return round_money(rate * days_claimed)
    if basis == WageBasis.MONTHLY:
        return round_money(rate * roster_days / month_days)
    if basis == WageBasis.PIECE_RATE:
        return round_money(rate * (quantity or 0))
    return Decimal("0.00")


def net_pay(gross: Decimal, deductions: list[dict]) -> Decimal:
    return round_money(gross - sum((Decimal(d["amount"]) for d in deductions), Decimal("0.00")))


def build_lines(payroll: Payroll) -> list[PayrollLine]:
    """Fresh (unsaved) lines for every employment of the payroll's enterprise on its project in its month."""
    first, last = month_bounds(payroll.month)
    month_days = (last - first).days + 1
    employments = list(
        Employment.objects.filter(project=payroll.project, enterprise=payroll.enterprise, entered_on__lte=last)
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gte=first)).select_related("worker").order_by("worker_id", "entered_on")
    )
    contracts = {}
    for contract in LabourContract.objects.filter(employment__in=employments).order_by("employment_id", "signed_on", "id"):
        known = contracts.get(contract.employment_id)
        if known is None or contract.signed_on <= last:  # the latest signed by month end, else the first signed after
            contracts[contract.employment_id] = contract
    attended, hours = _attendance(payroll, first, last, {e.worker_id for e in employments})
    lines = {}
    for e in employments:
        if e.worker_id in lines:  # two employments in one month (left and came back): the later one carries the line
            continue
        contract = contracts.get(e.pk)
        start, end = max(e.entered_on, first), min(e.exited_on or last, last)
        days = attended.get(e.worker_id, 0)
        line = PayrollLine(payroll=payroll, worker=e.worker, employment=e, days_attended=days, hours_attended=hours.get(e.worker_id, 0),
                           days_claimed=days, wage_basis=contract.wage_basis if contract else "",
                           wage_rate=contract.wage_rate if contract else None, deductions=[], card=e.worker.bank_card or "",
                           card_index=blind_index(e.worker.bank_card) if e.worker.bank_card else None, bank_name=e.worker.bank_name)
        line.gross = gross_pay(basis=line.wage_basis, rate=line.wage_rate, days_claimed=days, quantity=None,
                               roster_days=(end - start).days + 1, month_days=month_days)
        line.net = net_pay(line.gross, [])
        lines[e.worker_id] = line
    return list(lines.values())


def _attendance(payroll: Payroll, first, last, worker_ids: set[int]) -> tuple[dict[int, int], dict[int, Decimal]]:
    days: dict[int, int] = defaultdict(int)
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for worker_id, first_in, last_out in AttendanceDay.objects.filter(
            project=payroll.project, day__range=(first, last), worker_id__in=worker_ids).values_list("worker_id", "first_in", "last_out"):
        days[worker_id] += 1
        if first_in and last_out and last_out > first_in:
            hours[worker_id] += Decimal((last_out - first_in).total_seconds() / 3600).quantize(Decimal("0.1"))
    return days, hours


def check_lines(payroll: Payroll, lines: list[PayrollLine]) -> None:
    """Run every check on every line (a few queries for the whole payroll) and store the results on the lines."""
    first, last = month_bounds(payroll.month)
    worker_ids = {line.worker_id for line in lines}
    covering = set(Employment.objects.filter(project=payroll.project, worker_id__in=worker_ids, entered_on__lte=last)
                   .filter(Q(exited_on__isnull=True) | Q(exited_on__gte=first)).values_list("pk", "worker_id"))
    covered_workers = {w for _pk, w in covering}
    signed: dict[int, datetime.date] = {}  # worker -> the earliest contract on this project
    for worker_id, signed_on in LabourContract.objects.filter(employment__worker_id__in=worker_ids, employment__project=payroll.project
                                                              ).order_by("-signed_on").values_list("employment__worker_id", "signed_on"):
        signed[worker_id] = signed_on
    elsewhere: dict[int, list[tuple[str, int]]] = defaultdict(list)
    year_net: dict[int, Decimal] = defaultdict(Decimal)
    for worker_id, month, net, days, project_id in (
            PayrollLine.objects.current().filter(worker_id__in=worker_ids, payroll__month__startswith=payroll.month[:4])
            .exclude(payroll=payroll).values_list("worker_id", "payroll__month", "net", "days_claimed", "payroll__project_id")):
        year_net[worker_id] += net
        if month == payroll.month:
            elsewhere[worker_id].append((project_id, days))
    exits = dict(Employment.objects.filter(project=payroll.project, worker_id__in=worker_ids, exited_on__range=(first, last))
                 .values_list("worker_id", "exited_on"))
    for line in lines:
        checks = {}
        checks["real_name"] = (OK, "") if line.worker_id in covered_workers else (ERROR, "no employment on this project covering the month")
        if line.net > 0 and line.days_attended == 0 and line.wage_basis != WageBasis.MONTHLY:
            checks["pay_without_attendance"] = (ERROR, "paid with no attendance in the month")
        else:
            checks["pay_without_attendance"] = (OK, "")
        checks["days_over_claimed"] = ((ERROR, f"{line.days_claimed} days claimed, {line.days_attended} attended")
                                       if line.days_claimed > line.days_attended else (OK, ""))
        signed_on = signed.get(line.worker_id)
        checks["contract"] = ((ERROR, "no labour contract") if signed_on is None
                              else (WARNING, f"labour contract signed on {signed_on}, after the month") if signed_on > last
                              else (OK, ""))
        checks["card_holder"] = (PENDING, "the bank has not reported the card holder's name yet")
        other = [days for project_id, days in elsewhere.get(line.worker_id, [])]
        checks["paid_twice"] = ((ERROR, "also in another payroll for this month") if other and line.days_claimed + sum(other) > 31
                                else (WARNING, "also paid on another project this month") if other else (OK, ""))
        year_total = year_net.get(line.worker_id, Decimal("0")) + line.net
        checks["large_payment"] = ((WARNING, f"net {line.net} in the month, {year_total} in the year")
                                   if line.net > MONTHLY_LIMIT or year_total > YEARLY_LIMIT else (OK, ""))
        exited = exits.get(line.worker_id)
        checks["exit_without_settlement"] = ((WARNING, f"left on {exited} after {line.days_attended} days with nothing paid")
                                             if exited is not None and line.days_attended > 0 and line.net <= 0 else (OK, ""))
        line.checks = {code: {"level": level, "detail": detail} for code, (level, detail) in checks.items()}


def blocking(line: PayrollLine) -> list[str]:
    """Check codes that stop submission: errors, and warnings without a reason."""
    return [code for code, result in line.checks.items()
            if result["level"] == ERROR or (result["level"] == WARNING and not line.warning_reasons.get(code))]


def holder_check(line: PayrollLine, holder_name: str) -> dict:
    """The card holder's name as the bank reports it against the worker's registered name."""
    if not holder_name:
        return {"level": PENDING, "detail": "the bank has not reported the card holder's name yet"}
    if holder_name.strip() == line.worker.name:
        return {"level": OK, "detail": ""}
    return {"level": ERROR, "detail": f"card held by {holder_name.strip()}, not the worker"}
