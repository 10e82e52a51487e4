"""What the records say about a worker's months on a project: the facts a complaint is pre-filled with, and the
verdict on each of its claims, made the moment it arrives (attendance days, ledger lines and the bank's results,
debits from a dedicated account to the worker's cards).

A verdict is "supported" (the records show the wrong), "contradicted" (they show the opposite: a payment, a
contract, a registration) or "no_records" (nothing to judge by: an official looks into it), with the text an
official reads and the records behind it.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.accounts import selectors as account_selectors
from wageguard.attendance import selectors as attendance_selectors
from wageguard.core import clock, months
from wageguard.core.money import round_money
from wageguard.payroll import selectors as payroll_selectors
from wageguard.registry.models import Employment, LabourContract

from .models import ComplaintKind

SUPPORTED, CONTRADICTED, NO_RECORDS = "supported", "contradicted", "no_records"
PAY_KINDS = (ComplaintKind.UNPAID, ComplaintKind.NOT_THROUGH_BANK)
RECENT_MONTHS = 12   # the months a worker's pages and a complaint's pre-fill look back on


def _tail(card: str) -> str:
    return (card or "")[-4:]


@dataclass
class Paid:
    amount: Decimal
    on: datetime.date
    card_tail: str
    source: str          # "result" (the bank's result for a ledger line) or "debit" (the account's own record)
    ref: int


@dataclass
class Month:
    """One month of a worker on a project, as the records have it."""

    month: str
    days_attended: int = 0
    days_claimed: int = 0
    net: Decimal = Decimal("0")
    payrolls: list[int] = field(default_factory=list)
    paid: list[Paid] = field(default_factory=list)
    unpaid_estimate: Decimal | None = None

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.paid), Decimal("0"))


def employment_of(worker, project) -> Employment | None:
    """The worker's proven employment on the project (an enterprise that merely typed the worker into its roster is
    not their employer here), the latest first."""
    if worker is None:
        return None
    return (Employment.objects.filter(worker=worker, project=project).exclude(proof="").select_related("enterprise")
            .order_by("-entered_on").first())


def _contract(employment: Employment | None) -> LabourContract | None:
    return employment.contracts.order_by("-signed_on").first() if employment else None


def _estimate(entry: Month, contract: LabourContract | None) -> Decimal | None:
    """What is owed and not paid: the ledger's net when there is a ledger; else the contract's rate for the days
    attended (a daily rate) or the month (a monthly rate); unknown for piece rates."""
    if entry.payrolls:
        return max(round_money(entry.net - entry.paid_total), Decimal("0"))
    if contract is None or not entry.days_attended:
        return None
    if contract.wage_basis == "daily":
        return round_money(contract.wage_rate * entry.days_attended)
    if contract.wage_basis == "monthly":
        return round_money(contract.wage_rate)
    return None


def months_of(worker, project, wanted: list[str]) -> list[Month]:
    """The records of these months (each with the pay that followed it: the month after, and the one after that);
    a person not registered on the project has none."""
    if not wanted:
        return []
    if worker is None:
        return [Month(m) for m in sorted(set(wanted))]
    first, last = months.first_day(min(wanted)), months.last_day(max(wanted))
    by_month = {m: Month(m) for m in wanted}
    for day in attendance_selectors.days_of_worker(worker.pk, first, last, project_ids=[project.pk]):
        entry = by_month.get(months.of(day.day))
        if entry:
            entry.days_attended += 1
    for line in payroll_selectors.lines_of_worker(worker.pk, wanted, project_ids=[project.pk]):
        entry = by_month[line.payroll.month]
        entry.days_claimed += line.days_claimed
        entry.net += line.net
        entry.payrolls.append(line.payroll_id)
        result = getattr(line, "result", None)
        if result is not None and result.status == "paid" and result.paid_at:
            entry.paid.append(Paid(result.amount, timezone.localdate(result.paid_at), _tail(line.card), "result", line.pk))
    if not any(entry.paid for entry in by_month.values()) and worker.bank_card_index:
        # No ledger paid it: did the account pay the card anyway (a transfer outside the ledger)?
        pay_window_end = months.last_day(months.shift(max(wanted), 2))
        for txn in account_selectors.debits_to_cards([worker.bank_card_index], first, pay_window_end).filter(account__project=project):
            entry = by_month.get(months.shift(months.of(timezone.localdate(txn.booked_at)), -1))  # a month is paid in the next
            if entry:
                entry.paid.append(Paid(-txn.amount, timezone.localdate(txn.booked_at), _tail(worker.bank_card), "debit", txn.pk))
    contract = _contract(employment_of(worker, project))
    for entry in by_month.values():
        entry.unpaid_estimate = _estimate(entry, contract)
    return [by_month[m] for m in sorted(by_month)]


def unpaid_months(worker, project, today: datetime.date | None = None) -> list[str]:
    """Months with attendance but no paid result, up to the month before last (the last one's pay is not due yet)."""
    today = today or clock.localdate()
    last_due = months.shift(months.of(today), -1)
    wanted = [months.shift(last_due, -k) for k in range(RECENT_MONTHS)]
    return [m.month for m in months_of(worker, project, wanted) if m.days_attended and not m.paid and m.month < last_due]


def prefill(worker, project, wanted: list[str]) -> dict:
    """The facts a complaint starts with: the project, the employer, each month's days attended and claimed, what
    was paid, the unpaid amount estimated from the ledger or the contract."""
    employment = employment_of(worker, project)
    contract = _contract(employment)
    entries = months_of(worker, project, wanted)
    estimates = [e.unpaid_estimate for e in entries if e.unpaid_estimate]
    return {
        "project": project.name, "project_code": project.code,
        "employer": employment.enterprise.name if employment else project.general_contractor.name,
        "contract": {"wage_basis": contract.wage_basis, "wage_rate": str(contract.wage_rate), "signed_on": contract.signed_on.isoformat()}
        if contract else None,
        "months": [{"month": e.month, "days_attended": e.days_attended, "days_claimed": e.days_claimed, "net": str(e.net),
                    "paid": str(e.paid_total), "unpaid_estimate": str(e.unpaid_estimate) if e.unpaid_estimate is not None else ""}
                   for e in entries],
        "unpaid_estimate": str(sum(estimates, Decimal("0"))),
    }


def _verdict(claim: str, verdict: str, text: str, month: str = "", refs: dict | None = None) -> dict:
    return {"claim": claim, "month": month, "verdict": verdict, "text": text, "refs": refs or {}}


def _pay_verdict(claim: str, entry: Month) -> dict:
    if entry.paid and entry.payrolls and entry.paid_total < entry.net:
        return _verdict(claim, SUPPORTED, _("Partly paid: %(paid)s of the %(net)s yuan the ledger owes for %(month)s.") % {
            "paid": entry.paid_total, "net": entry.net, "month": entry.month}, entry.month, {"payroll": entry.payrolls[0]})
    if entry.paid:
        paid = entry.paid[0]
        how = _("by the bank for the ledger") if paid.source == "result" else _("from the wage account")
        return _verdict(claim, CONTRADICTED, _("Paid %(amount)s yuan on %(day)s to the card ending %(tail)s (%(how)s).") % {
            "amount": entry.paid_total, "day": paid.on, "tail": paid.card_tail, "how": how}, entry.month,
            {"payroll": entry.payrolls[0]} if entry.payrolls else {})
    if entry.month >= months.shift(months.of(clock.localdate()), -1):  # a month's wages are due by the end of the next
        return _verdict(claim, NO_RECORDS, _("The wages of %(month)s are not due yet (by the end of the following month).") % {
            "month": entry.month}, entry.month)
    if entry.days_attended:
        text = _("Supported by the records: %(days)d days attended in %(month)s, no paid result.") % {"days": entry.days_attended,
                                                                                                     "month": entry.month}
        if entry.payrolls:
            text += " " + _("The ledger owes %(net)s yuan.") % {"net": entry.net}
        return _verdict(claim, SUPPORTED, text, entry.month, {"payroll": entry.payrolls[0]} if entry.payrolls else {})
    if entry.payrolls:
        return _verdict(claim, SUPPORTED, _("The ledger of %(month)s owes %(net)s yuan and the bank reported no payment.") % {
            "month": entry.month, "net": entry.net}, entry.month, {"payroll": entry.payrolls[0]})
    return _verdict(claim, NO_RECORDS, _("No attendance and no ledger line in %(month)s.") % {"month": entry.month}, entry.month)


def screen(*, worker, project, kinds: list[str], wanted: list[str]) -> list[dict]:
    """A verdict for each claim: the pay claims per month, the contract, the registration; the rest for an official."""
    verdicts = []
    entries = months_of(worker, project, wanted)
    for kind in kinds:
        if kind in PAY_KINDS:
            verdicts += [_pay_verdict(kind, entry) for entry in entries] or [
                _verdict(kind, NO_RECORDS, _("No month named: the records cannot be checked."))]
        elif kind == ComplaintKind.NO_CONTRACT:
            contract = _contract(employment_of(worker, project))
            verdicts.append(_verdict(kind, CONTRADICTED, _("A labour contract signed on %(day)s is on file.") % {"day": contract.signed_on})
                            if contract else _verdict(kind, SUPPORTED, _("No labour contract on file for this project.")))
        elif kind == ComplaintKind.NO_REAL_NAME:
            employment = employment_of(worker, project)
            verdicts.append(_verdict(kind, CONTRADICTED, _("Registered by real name on the project from %(day)s.") % {"day": employment.entered_on})
                            if employment else _verdict(kind, SUPPORTED, _("No proven real-name registration on the project.")))
        else:
            verdicts.append(_verdict(kind, NO_RECORDS, _("The records do not show this: the labour inspection looks into it.")))
    return verdicts
