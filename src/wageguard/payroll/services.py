"""Write paths of payroll: building a month's ledger and adjusting its lines (every change audited)."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from wageguard.core import access, audit, clock, events, months
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.events import PAYROLL_CHANGED
from wageguard.core.money import require_money
from wageguard.core.transactions import service
from wageguard.registry.models import Enterprise, Participation, Project, WageBasis
from wageguard.registry.validators import validate_bank_card

from . import ledger
from .models import Payroll, PayrollLine, PayrollStatus, ResultStatus


def _editable(payroll: Payroll) -> None:
    if payroll.status != PayrollStatus.DRAFT:
        raise ServiceError("payroll_locked", _("Only a draft ledger can be changed."), "status")


@service
def payroll_build(*, actor, project: Project, enterprise: Enterprise, month: str) -> Payroll:
    """Build (or rebuild, while still a draft) the enterprise's ledger for the project and month."""
    if not months.is_month(month):
        raise ServiceError("invalid_month", _("Month must be written YYYY-MM."), "month")
    if not Participation.objects.filter(project=project, enterprise=enterprise).exists():
        raise ServiceError("not_participating", _("The enterprise does not take part in this project."), "enterprise")
    access.require(actor, "payroll.prepare", Payroll(project=project, enterprise=enterprise))
    return _build(actor, month, [(project, enterprise)])[0]


@service
def payroll_build_month(*, month: str, pairs: list[tuple[Project, Enterprise]]) -> list[Payroll]:
    """The month-end task's build (the system acting): every (project, enterprise) pair's draft at once, a fixed
    number of queries for the lot. Pairs whose ledger is no longer a draft are left as they are."""
    if not months.is_month(month):
        raise ServiceError("invalid_month", _("Month must be written YYYY-MM."), "month")
    settled = set(Payroll.objects.filter(month=month, project__in={p for p, _e in pairs}).exclude(status=PayrollStatus.DRAFT)
                  .values_list("project_id", "enterprise_id"))
    return _build(None, month, [(p, e) for p, e in pairs if (p.pk, e.pk) not in settled])


def _build(actor, month: str, pairs: list[tuple[Project, Enterprise]]) -> list[Payroll]:
    """Create or lock the drafts, build every line, keep what the team entered, check, store, audit."""
    if not pairs:
        return []
    payrolls = _drafts(month, pairs)
    kept = {(line.payroll_id, line.worker_id): line for line in PayrollLine.objects.filter(payroll__in=payrolls)}
    fresh_by_payroll = ledger.build_many(payrolls)
    fresh = [line for lines in fresh_by_payroll.values() for line in lines]
    for line in fresh:  # a rebuild keeps what the team entered
        old = kept.get((line.payroll.pk, line.worker_id))
        if old is not None:
            line.pk, line.quantity, line.deductions, line.warning_reasons = old.pk, old.quantity, old.deductions, old.warning_reasons
            # days the team changed stay as entered (the checks judge them again); untouched ones follow attendance
            line.days_claimed = old.days_claimed if old.days_claimed != old.days_attended else line.days_attended
            _recompute(line, line.payroll)
    ledger.check_many(fresh)
    new = [line for line in fresh if line.pk is None]
    stale = [line for line in fresh if line.pk is not None]  # split first: bulk_create gives the new lines their pks
    PayrollLine.objects.bulk_create(new, batch_size=2000)
    PayrollLine.objects.bulk_update(stale, ["days_attended", "hours_attended", "days_claimed", "wage_basis", "wage_rate", "gross", "net",
                                            "card", "card_index", "bank_name", "checks"], batch_size=1000)
    now = clock.now()
    Payroll.objects.filter(pk__in=[p.pk for p in payrolls]).update(built_at=now)
    audit.record_many(actor=actor, entries=[
        {"action": "payroll.rebuild" if p.rebuilt else "payroll.build", "obj": p,
         "after": {"month": month, "lines": len(fresh_by_payroll[p.pk]),
                   "net": str(sum((line.net for line in fresh_by_payroll[p.pk]), Decimal("0")))}}
        for p in payrolls])
    for p in payrolls:
        p.built_at = now
    changed(payrolls)
    return payrolls


def _drafts(month: str, pairs: list[tuple[Project, Enterprise]]) -> list[Payroll]:
    """The pairs' payrolls for the month, locked, in the pairs' order (each must still be a draft): the missing
    ones created (a concurrent build creating the same one is harmless), those that existed marked `rebuilt`."""
    wanted = {(p.pk, e.pk): (p, e) for p, e in pairs}
    mine = Payroll.objects.filter(month=month, project_id__in={k[0] for k in wanted}, enterprise_id__in={k[1] for k in wanted})
    before = set(mine.values_list("project_id", "enterprise_id"))
    now = clock.now()
    Payroll.objects.bulk_create([Payroll(project=p, enterprise=e, month=month, built_at=now)
                                 for key, (p, e) in wanted.items() if key not in before], ignore_conflicts=True)
    locked = {(p.project_id, p.enterprise_id): p for p in mine.select_for_update().order_by("id")}
    payrolls = []
    for key, (project, enterprise) in wanted.items():
        payroll = locked[key]
        _editable(payroll)
        payroll.project, payroll.enterprise, payroll.rebuilt = project, enterprise, key in before
        payrolls.append(payroll)
    return payrolls


def _recompute(line: PayrollLine, payroll: Payroll) -> None:
    first, last = months.bounds(payroll.month)
    employment = line.employment
    start = max(employment.entered_on, first) if employment else first
    end = min(employment.exited_on or last, last) if employment else last
    line.gross = ledger.gross_pay(basis=line.wage_basis, rate=line.wage_rate, days_claimed=line.days_claimed, quantity=line.quantity,
                                  roster_days=(end - start).days + 1, month_days=(last - first).days + 1)
    line.net = ledger.net_pay(line.gross, line.deductions)


@service
def line_adjust(*, actor, line: PayrollLine, reason: str, days_claimed: int | None = None, quantity=None,
                deductions: list[dict] | None = None) -> PayrollLine:
    """Change what the team claims for a worker: days, piece quantity, deductions (each with its reason)."""
    payroll = Payroll.objects.select_for_update().get(pk=line.payroll_id)  # its status now, not as the caller saw it
    access.require(actor, "payroll.prepare", payroll)
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
        line.quantity = require_money(quantity, "quantity")
    if deductions is not None:
        cleaned = []
        for n, item in enumerate(deductions):
            item_reason = str(item.get("reason", "")).strip()
            if not item_reason:
                raise ServiceError("required", _("Each deduction needs its reason."), f"deductions[{n}].reason")
            cleaned.append({"reason": item_reason, "amount": str(require_money(item.get("amount"), f"deductions[{n}].amount"))})
        line.deductions = cleaned
    _recompute(line, payroll)
    if line.net < 0:
        raise ServiceError("negative_net", _("Deductions cannot exceed the gross pay."), "deductions")
    ledger.check_lines(payroll, [line])
    line.save()
    changed([payroll])
    audit.record(actor=actor, action="payroll.line_adjust", obj=line, before=before,
                 after={"days_claimed": line.days_claimed, "quantity": str(line.quantity), "deductions": line.deductions,
                        "net": str(line.net), "reason": reason.strip()})
    return line


# ---------------------------------------------------------------- workflow

TRANSITIONS = {  # from -> allowed targets; the bank's own steps come through the bank API
    PayrollStatus.DRAFT: {PayrollStatus.SUBMITTED},
    PayrollStatus.SUBMITTED: {PayrollStatus.CONFIRMED, PayrollStatus.DRAFT},
    PayrollStatus.CONFIRMED: {PayrollStatus.FETCHED},
    PayrollStatus.FETCHED: {PayrollStatus.PAID, PayrollStatus.PARTLY_PAID, PayrollStatus.FAILED},
    # a failed line re-issued: the ledger goes back to the bank for that line
    PayrollStatus.PARTLY_PAID: {PayrollStatus.CONFIRMED},
    PayrollStatus.FAILED: {PayrollStatus.CONFIRMED},
}


def _move(actor, payroll: Payroll, target: str, reason: str = "", *, only_from: tuple = ()) -> Payroll:
    payroll = Payroll.objects.select_for_update().get(pk=payroll.pk)
    if target not in TRANSITIONS.get(payroll.status, set()) or (only_from and payroll.status not in only_from):
        raise ServiceError("illegal_transition", _("A ledger in status “%(status)s” cannot become “%(target)s”.") % {
            "status": payroll.get_status_display(), "target": PayrollStatus(target).label}, "status")
    before = payroll.status
    payroll.status = target
    payroll.save(update_fields=["status"])
    audit.record(actor=actor, action=f"payroll.{target}", obj=payroll, before={"status": before},
                 after={"status": target, "reason": reason})
    changed([payroll])
    return payroll


def changed(payrolls) -> None:
    """Tell the alert engine (after the commit) which ledgers' facts have changed."""
    events.emit(PAYROLL_CHANGED, project_ids={p.project_id for p in payrolls}, periods={p.month for p in payrolls})


@service
def warning_reason_give(*, actor, line: PayrollLine, check: str, reason: str) -> PayrollLine:
    """Go ahead despite a warning, saying why (errors cannot be waived)."""
    payroll = Payroll.objects.select_for_update().get(pk=line.payroll_id)
    access.require(actor, "payroll.prepare", payroll)
    _editable(payroll)
    result = line.checks.get(check)
    if result is None or result["level"] != ledger.WARNING:
        raise ServiceError("not_a_warning", _("Only a warning can be passed with a reason."), "check")
    if not (reason or "").strip():
        raise ServiceError("required", _("Every adjustment needs its reason."), "reason")
    line.warning_reasons = {**line.warning_reasons, check: reason.strip()}
    line.save(update_fields=["warning_reasons"])
    audit.record(actor=actor, action="payroll.warning_reason", obj=line, after={"check": check, "reason": reason.strip()})
    return line


@service
def payroll_submit(*, actor, payroll: Payroll) -> Payroll:
    """The enterprise's wage officer submits the ledger: no errors left, every warning explained."""
    if actor is None:
        raise PermissionDenied(_("Only the enterprise's wage officer or administrator submits its wage ledger."))
    access.require(actor, "payroll.prepare", payroll)
    lines = list(payroll.lines.select_related("employment", "worker"))
    stored = {line.pk: line.checks for line in lines}
    ledger.check_lines(payroll, lines)  # the facts may have changed since the build
    PayrollLine.objects.bulk_update([line for line in lines if line.checks != stored[line.pk]], ["checks"])
    blocked = {line.worker.name: codes for line in lines if (codes := ledger.blocking(line))}
    if blocked:
        first = next(iter(blocked.items()))
        raise ServiceError("checks_block", _("%(count)d lines cannot be submitted yet, e.g. %(name)s: %(checks)s") % {
            "count": len(blocked), "name": first[0], "checks": ", ".join(first[1])}, "lines")
    return _move(actor, payroll, PayrollStatus.SUBMITTED)


@service
def payroll_confirm(*, actor, payroll: Payroll) -> Payroll:
    """The general contractor's wage officer confirms a submitted ledger for the bank."""
    if actor is None:
        raise PermissionDenied(_("Only the general contractor's wage officer confirms wage ledgers."))
    access.require(actor, "payroll.confirm", payroll)
    return _move(actor, payroll, PayrollStatus.CONFIRMED, only_from=(PayrollStatus.SUBMITTED,))


@service
def payroll_return(*, actor, payroll: Payroll, reason: str) -> Payroll:
    """The general contractor sends a submitted ledger back to its enterprise, saying why."""
    if actor is None:
        raise PermissionDenied(_("Only the general contractor's wage officer confirms wage ledgers."))
    access.require(actor, "payroll.confirm", payroll)
    if not (reason or "").strip():
        raise ServiceError("required", _("Every adjustment needs its reason."), "reason")
    return _move(actor, payroll, PayrollStatus.DRAFT, reason.strip())


@service
def line_reissue(*, actor, line: PayrollLine, reason: str, card: str | None = None, bank_name: str | None = None) -> PayrollLine:
    """Pay a failed line again, to the worker's registered wage card (`card`, if given, must be that card): a new
    line linked to the failed one, and the ledger goes back to the bank for it."""
    payroll = Payroll.objects.select_for_update().select_related("project", "enterprise").get(pk=line.payroll_id)
    if actor is None:
        raise PermissionDenied(_("Only the enterprise's or the general contractor's wage officer re-issues a payment."))
    access.require(actor, "payroll.reissue", payroll)
    line = PayrollLine.objects.select_for_update(of=("self",)).select_related("worker", "result").get(pk=line.pk)
    if getattr(line, "result", None) is None or line.result.status != ResultStatus.FAILED:
        raise ServiceError("not_failed", _("Only a line the bank reported as failed can be re-issued."), "line")
    if PayrollLine.objects.filter(reissue_of=line).exists():
        raise ServiceError("already_reissued", _("This line has already been re-issued."), "line")
    if not (reason or "").strip():
        raise ServiceError("required", _("Every adjustment needs its reason."), "reason")
    registered = line.worker.bank_card
    if card and validate_bank_card(card, "card") != registered:
        raise ServiceError("card_not_registered", _("A payment is re-issued only to the worker's registered wage card; change the card "
                                                    "first (an employer's change takes effect when the worker confirms it)."), "card")
    if not registered:
        raise ServiceError("required", _("The worker has no bank card on record; give the card to pay."), "card")
    warning = ledger.recent_card_changes([line.worker_id]).get(line.worker_id, (ledger.OK, ""))
    checks = {**line.checks, "card_holder": {"level": ledger.PENDING, "detail": "the bank has not reported the card holder's name yet"},
              "card_changed": {"level": warning[0], "detail": warning[1]}}
    fresh = PayrollLine.objects.create(
        payroll=payroll, worker=line.worker, employment_id=line.employment_id, days_attended=line.days_attended,
        hours_attended=line.hours_attended, days_claimed=line.days_claimed, quantity=line.quantity, wage_basis=line.wage_basis,
        wage_rate=line.wage_rate, gross=line.gross, deductions=line.deductions, net=line.net, card=registered,
        bank_name=bank_name if bank_name is not None else line.worker.bank_name, checks=checks,
        warning_reasons=line.warning_reasons, reissue_of=line, reissue_reason=reason.strip())  # a recent card change stays a warning
    audit.record(actor=actor, action="payroll.line_reissue", obj=fresh,
                 before={"line": line.pk, "card": line.card_masked, "bank_reason": line.result.reason_code},
                 after={"line": fresh.pk, "card": fresh.card_masked, "reason": reason.strip()})
    if payroll.status != PayrollStatus.CONFIRMED:
        _move(actor, payroll, PayrollStatus.CONFIRMED, f"re-issue of line {line.pk}")
    return fresh


@service
def ledger_export_record(*, actor, payroll: Payroll) -> None:
    """An unmasked ledger export is an unmasked read of every line: one audit entry for the file."""
    access.require(actor, "payroll.unmask", payroll)
    audit.record(actor=actor, action="payroll.ledger_export_unmasked", obj=payroll)
