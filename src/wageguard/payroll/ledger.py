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
`paid_twice` (the same worker's same days in another payroll), `large_payment` (above the region's limits, by default > ¥50,000 in the month or
> ¥300,000 in the year), `exit_without_settlement` (left during the month after working, with nothing paid),
`card_changed` (the worker's wage card changed in the 30 days before the check: a redirected wage is the fraud it
guards against).
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from wageguard.attendance.models import AttendanceDay
from wageguard.core import clock, months, rules
from wageguard.registry.models import Project
from wageguard.core.money import round_money
from wageguard.core.pii import blind_index
from wageguard.registry.models import CardChangeStatus, CardChannel, Employment, LabourContract, WageBasis, WageCardChange

from .models import Payroll, PayrollLine

CARD_CHANGE_DAYS = 30
ERROR, WARNING, OK, PENDING = "error", "warning", "ok", "pending"


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
    return build_many([payroll])[payroll.pk]


def build_many(payrolls: list[Payroll]) -> dict[int, list[PayrollLine]]:
    """Fresh (unsaved) lines of several payrolls of one month, a fixed number of queries for all of them."""
    if not payrolls:
        return {}
    month = _one_month(payrolls)
    first, last = months.bounds(month)
    month_days = (last - first).days + 1
    by_pair = {(p.project_id, p.enterprise_id): p for p in payrolls}
    employments = [e for e in Employment.objects.proven().filter(
        project_id__in={p.project_id for p in payrolls}, enterprise_id__in={p.enterprise_id for p in payrolls})
        .on_roster(first, last).select_related("worker").order_by("worker_id", "entered_on")
        if (e.project_id, e.enterprise_id) in by_pair]
    contracts = {}
    for contract in LabourContract.objects.filter(employment__in=employments).order_by("employment_id", "signed_on", "id"):
        known = contracts.get(contract.employment_id)
        if known is None or contract.signed_on <= last:  # the latest signed by month end, else the first signed after
            contracts[contract.employment_id] = contract
    attended, hours = _attendance({e.project_id for e in employments}, {e.worker_id for e in employments}, first, last)
    lines: dict[int, dict[int, PayrollLine]] = {p.pk: {} for p in payrolls}
    for e in employments:
        payroll = by_pair[(e.project_id, e.enterprise_id)]
        if e.worker_id in lines[payroll.pk]:  # two employments in one month (left and came back): the later one carries the line
            continue
        contract = contracts.get(e.pk)
        start, end = max(e.entered_on, first), min(e.exited_on or last, last)
        days = attended.get((e.project_id, e.worker_id), 0)
        line = PayrollLine(payroll=payroll, worker=e.worker, employment=e, days_attended=days,
                           hours_attended=hours.get((e.project_id, e.worker_id), 0), days_claimed=days,
                           wage_basis=contract.wage_basis if contract else "", wage_rate=contract.wage_rate if contract else None,
                           deductions=[], card=e.worker.bank_card or "",
                           card_index=blind_index(e.worker.bank_card) if e.worker.bank_card else None, bank_name=e.worker.bank_name)
        line.gross = gross_pay(basis=line.wage_basis, rate=line.wage_rate, days_claimed=days, quantity=None,
                               roster_days=(end - start).days + 1, month_days=month_days)
        line.net = net_pay(line.gross, [])
        lines[payroll.pk][e.worker_id] = line
    return {pk: list(by_worker.values()) for pk, by_worker in lines.items()}


def _one_month(payrolls) -> str:
    months = {p.month for p in payrolls}
    if len(months) != 1:
        raise ValueError(f"payrolls of one month expected, got {sorted(months)}")
    return months.pop()


def _attendance(project_ids: set[int], worker_ids: set[int], first, last
                ) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], Decimal]]:
    """Days and hours attended per (project, worker) in the month, summed by the database (a day's hours run
    from its first entry to its last exit; a day without both counts as a day with no hours)."""
    days: dict[tuple[int, int], int] = {}
    hours: dict[tuple[int, int], Decimal] = {}
    for row in (AttendanceDay.objects.filter(project_id__in=project_ids, day__range=(first, last), worker_id__in=worker_ids)
                .values("project_id", "worker_id")
                .annotate(days=Count("id"), span=Sum(F("last_out") - F("first_in"), filter=Q(last_out__gt=F("first_in"))))
                .order_by()):
        key = (row["project_id"], row["worker_id"])
        days[key] = row["days"]
        span = row["span"] or datetime.timedelta()
        hours[key] = (Decimal(span.total_seconds()) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return days, hours


def check_lines(payroll: Payroll, lines: list[PayrollLine]) -> None:
    """Run every check on the payroll's lines and store the results on them."""
    for line in lines:
        line.payroll = payroll
    check_many(lines)


def check_many(lines: list[PayrollLine]) -> None:
    """Run every check on lines of one month (any number of payrolls: a fixed number of queries) and store the
    results on the lines. Lines checked together count as each other's "elsewhere" (paid twice, yearly total)."""
    if not lines:
        return
    payrolls = {line.payroll.pk: line.payroll for line in lines}
    month = _one_month(payrolls.values())
    first, last = months.bounds(month)
    worker_ids = {line.worker_id for line in lines}
    project_ids = {p.project_id for p in payrolls.values()}
    covered = set(Employment.objects.proven().filter(project_id__in=project_ids, worker_id__in=worker_ids).on_roster(first, last)
                  .values_list("project_id", "worker_id"))
    signed: dict[tuple[int, int], datetime.date] = {}  # (project, worker) -> the earliest contract on the project
    for project_id, worker_id, signed_on in LabourContract.objects.filter(
            employment__worker_id__in=worker_ids, employment__project_id__in=project_ids).order_by("-signed_on").values_list(
            "employment__project_id", "employment__worker_id", "signed_on"):
        signed[(project_id, worker_id)] = signed_on
    card_changes = recent_card_changes(worker_ids)
    regions = {p.pk: p.region for p in Project.objects.filter(pk__in=project_ids).select_related("region__parent__parent")}
    monthly, yearly = (rules.values(key, set(regions.values())) for key in ("alert.large_payment_month", "alert.large_payment_year"))
    limits = {pk: (monthly[region.pk], yearly[region.pk]) for pk, region in regions.items()}  # the project's region may set its own
    others: list[tuple[int, int, str, Decimal, int]] = list(  # (worker, payroll, month, net, days) in the year, stored or checked now
        PayrollLine.objects.current().filter(worker_id__in=worker_ids, payroll__month__startswith=month[:4])
        .exclude(payroll_id__in=payrolls).values_list("worker_id", "payroll_id", "payroll__month", "net", "days_claimed"))
    others += [(line.worker_id, line.payroll.pk, month, line.net, line.days_claimed) for line in lines]
    exits = {(p, w): exited for p, w, exited in Employment.objects.filter(
        project_id__in=project_ids, worker_id__in=worker_ids, exited_on__range=(first, last)).values_list("project_id", "worker_id", "exited_on")}
    by_worker: dict[int, list[tuple[int, str, Decimal, int]]] = defaultdict(list)
    for worker_id, payroll_id, line_month, net, days in others:
        by_worker[worker_id].append((payroll_id, line_month, net, days))
    for line in lines:
        key = (line.payroll.project_id, line.worker_id)
        elsewhere = [(m, net, days) for payroll_id, m, net, days in by_worker[line.worker_id] if payroll_id != line.payroll.pk]
        checks = {}
        checks["real_name"] = (OK, "") if key in covered else (ERROR, "no employment on this project covering the month")
        if line.net > 0 and line.days_attended == 0 and line.wage_basis != WageBasis.MONTHLY:
            checks["pay_without_attendance"] = (ERROR, "paid with no attendance in the month")
        else:
            checks["pay_without_attendance"] = (OK, "")
        checks["days_over_claimed"] = ((ERROR, f"{line.days_claimed} days claimed, {line.days_attended} attended")
                                       if line.days_claimed > line.days_attended else (OK, ""))
        signed_on = signed.get(key)
        checks["contract"] = ((ERROR, "no labour contract") if signed_on is None
                              else (WARNING, f"labour contract signed on {signed_on}, after the month") if signed_on > last
                              else (OK, ""))
        checks["card_holder"] = (PENDING, "the bank has not reported the card holder's name yet")
        other = [days for m, _net, days in elsewhere if m == month]
        checks["paid_twice"] = ((ERROR, "also in another payroll for this month") if other and line.days_claimed + sum(other) > 31
                                else (WARNING, "also paid on another project this month") if other else (OK, ""))
        year_total = sum((net for _m, net, _days in elsewhere), Decimal("0")) + line.net
        monthly_limit, yearly_limit = limits[line.payroll.project_id]
        checks["large_payment"] = ((WARNING, f"net {line.net} in the month, {year_total} in the year")
                                   if line.net > monthly_limit or year_total > yearly_limit else (OK, ""))
        exited = exits.get(key)
        checks["exit_without_settlement"] = ((WARNING, f"left on {exited} after {line.days_attended} days with nothing paid")
                                             if exited is not None and line.days_attended > 0 and line.net <= 0 else (OK, ""))
        checks["card_changed"] = card_changes.get(line.worker_id, (OK, ""))
        line.checks = {code: {"level": level, "detail": detail} for code, (level, detail) in checks.items()}


def recent_card_changes(worker_ids) -> dict[int, tuple[str, str]]:
    """The `card_changed` warning of each worker whose wage card changed (not its first registration) in the last
    30 days."""
    since = clock.now() - datetime.timedelta(days=CARD_CHANGE_DAYS)
    changes = (WageCardChange.objects.filter(worker_id__in=worker_ids, status=CardChangeStatus.EFFECTIVE, decided_at__gte=since)
               .exclude(channel=CardChannel.FIRST).order_by("decided_at").values_list("worker_id", "decided_at", "channel"))
    return {worker_id: (WARNING, f"wage card changed on {timezone.localdate(at)} ({channel})") for worker_id, at, channel in changes}


def blocking(line: PayrollLine) -> list[str]:
    """Check codes that stop submission: errors, and warnings without a reason."""
    return [code for code, result in line.checks.items()
            if result["level"] == ERROR or (result["level"] == WARNING and not line.warning_reasons.get(code))]


HOLDER_WORDS = {PENDING: "pending", OK: "match", ERROR: "mismatch"}


def card_holder(line: PayrollLine) -> str:
    """What the bank has verified of the line's card: pending, match or mismatch. Only a match may be paid."""
    return HOLDER_WORDS.get(line.checks.get("card_holder", {}).get("level", PENDING), "pending")


def holder_check(line: PayrollLine, holder_name: str, holder_id_number: str = "") -> dict:
    """The card holder as the bank's books have it (name, and ID number when given: two people may share a name)
    against the worker's registered identity. The detail names nobody in full (it is stored in clear)."""
    from wageguard.core.pii import mask_name

    if not holder_name:
        return {"level": PENDING, "detail": "the bank has not reported the card holder's name yet"}
    if holder_name.strip() != line.worker.name:
        return {"level": ERROR, "detail": f"card held by {mask_name(holder_name.strip())}, not the worker"}
    if holder_id_number and holder_id_number.strip().upper() != line.worker.id_number:
        return {"level": ERROR, "detail": "card held by another person of the same name (ID number differs)"}
    return {"level": OK, "detail": ""}
