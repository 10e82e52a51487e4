"""Write paths of credit: a record's workflow (propose → notify the party → objection window → decide → publish →
removed at the end of its period, on appeal, or repaired), the ratings, and the proposals the alerts call for.

Every step checks its caller (`core.access`: the deciding department, or the party), runs in one transaction,
appends a step to the record's history and an entry to the audit chain.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from wageguard.accounts import selectors as account_selectors
from wageguard.accounts import services as account_services
from wageguard.accounts.deposits import DepositStatus, deposit_state
from wageguard.alerts import selectors as alert_selectors
from wageguard.alerts.catalogue import RULES as ALERT_RULES
from wageguard.core import access, audit, clock, events, files, rules
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import Agency, Department
from wageguard.core.money import require_money
from wageguard.core.months import add_months
from wageguard.core.transactions import service
from wageguard.core.workdays import add_working_days
from wageguard.registry.models import Enterprise, Worker

from . import rating
from .models import (IN_FORCE, PERSON_KINDS, PUBLIC_KINDS, CreditAction, CreditRating, CreditRecord, RecordKind, RecordStatus,
                     Step)

# The publication period a decision usually states, by kind (months): three years on the blacklist (人社部令第45号第
# 十三条), one year for the others; the deciding department may state another (1–60 months).
DEFAULT_PERIOD_MONTHS = {RecordKind.BLACKLIST: 36, RecordKind.MAJOR_VIOLATION: 12, RecordKind.MARKET_BAN: 12, RecordKind.MALICIOUS_CLAIM: 12}
MAX_PERIOD_MONTHS = 60
MAX_OBJECTIONS = 5  # per record: each may carry a 10 MB attachment


def _text(value, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError("required", message, field_name)
    return value


def _party_checks(actor, *, kind: str, enterprise, worker, project) -> None:
    """The party fits the kind and lies in the official's scope (one answer for "unknown" and "not yours", so
    that the form tells nobody what exists elsewhere); a project named must involve the party."""
    if kind in PERSON_KINDS:
        # A person's record needs a registered worker the official oversees: one the platform can notify, who can
        # see and object to it (a name and ID number typed in would be published with nobody to answer).
        if enterprise is not None:
            raise ServiceError("invalid_party", _("This kind of record is about a person, not an enterprise."), "enterprise")
        if worker is None or (actor is not None and not Worker.objects.filter(access.worker_q(actor), pk=worker.pk).exists()):
            raise ServiceError("not_found", _("No registered worker with this ID number in your area."), "id_number")
        if project is not None and not project.employments.filter(worker=worker).exists():
            raise ServiceError("not_party", _("The person did not work on this project."), "project_code")
        return
    if enterprise is None or (actor is not None and not access.is_admin(actor) and not (
            Enterprise.objects.filter(access.enterprise_q(actor)).filter(pk=enterprise.pk).exists()
            or (enterprise.region_id and access.in_region(actor, enterprise.region.code)))):
        raise ServiceError("not_found", _("No enterprise with this unified social credit code in your area."), "uscc")
    if project is not None and not project.participations.filter(enterprise=enterprise).exists():
        raise ServiceError("not_party", _("The enterprise does not take part in this project."), "project_code")


@service
def record_propose(*, actor, kind: str, facts: str, legal_basis: str, enterprise=None, worker=None, project=None, amount=None,
                   department: Department | None = None, alert=None, note: str = "") -> CreditRecord:
    """Propose a record: an official for their own department (of an agency that decides this kind), or the platform
    for a department (a proposal the alerts call for). Nothing is shown to the party before it is notified."""
    if kind not in RecordKind.values:
        raise ServiceError("invalid_choice", _("Unknown kind of credit record."), "kind")
    if actor is not None:
        if not access.is_official(actor) and not access.is_admin(actor):
            raise PermissionDenied(_(str(access.capability("credit.propose").message)))
        department = actor.department if actor.department_id else department
    if department is None:
        raise ServiceError("required", _("Choose the deciding department."), "department")
    record = CreditRecord(kind=kind, department=department, alert=alert, project=project, proposed_by=actor if actor else None,
                          proposed_at=clock.now())
    access.require(actor, "credit.propose", record)
    _party_checks(actor, kind=kind, enterprise=enterprise, worker=worker, project=project)
    record.enterprise, record.worker = enterprise, worker
    if worker is not None:
        record.person_name, record.person_id_number = worker.name, worker.id_number
    record.facts = _text(facts, "facts", _("State the facts found."))
    record.legal_basis = _text(legal_basis, "legal_basis", _("Cite the legal basis."))[:300]
    if amount not in (None, ""):
        record.amount = require_money(amount, "amount", positive=True)
    elif kind == RecordKind.ARREARS_FOUND:
        raise ServiceError("required", _("State the amount of arrears found."), "amount")
    record.save()
    _history(actor, record, Step.PROPOSED, note or "", before=None)
    return record


def _history(actor, record: CreditRecord, step: str, note: str, *, before: str | None, attachment=None) -> CreditAction:
    action = CreditAction(record=record, at=clock.now(), actor=actor if getattr(actor, "pk", None) else None, step=step, note=note)
    if attachment is not None:
        accepted = files.accept(attachment, "credit_evidence", _("The attachment"), "attachment")
        action.attachment_type = accepted.content_type
        action.attachment.save(accepted.name, attachment, save=False)
    action.save()
    audit.record(actor=actor, action=f"credit.{step}", obj=record, before={"status": before} if before else None,
                 after={"status": record.status, "kind": record.kind, "note": note, "attachment": bool(attachment)})
    events.emit(events.CREDIT_CHANGED, project_ids={record.project_id} - {None})
    return action


def _locked(record: CreditRecord) -> CreditRecord:
    return CreditRecord.objects.select_for_update(of=("self",)).select_related("department__region", "enterprise").get(pk=record.pk)


def _refuse_status(record: CreditRecord, step: str):
    return ServiceError("illegal_transition", _("A record that is %(status)s cannot be %(step)s.") % {
        "status": record.get_status_display(), "step": Step(step).label}, "status")


def _in(record: CreditRecord, step: str, *statuses: str) -> None:
    if record.status not in statuses:
        raise _refuse_status(record, step)


def _settle(record: CreditRecord) -> None:
    """A change that the rating reads: the party's rating follows at once (inside this transaction)."""
    if record.enterprise_id:
        ratings_refresh(enterprise_ids={record.enterprise_id})


@service
def record_notify(*, actor, record: CreditRecord, note: str = "") -> CreditRecord:
    """Tell the party: from now on it sees the record and may object until the window's last working day."""
    record = _locked(record)
    access.require(actor, "credit.notify", record)
    _in(record, Step.NOTIFIED, RecordStatus.PROPOSED)
    days = int(rules.value("credit.objection_working_days", record.department.region))
    before, record.status = record.status, RecordStatus.NOTIFIED
    record.objection_due_on = add_working_days(clock.localdate(), days).day
    record.save(update_fields=["status", "objection_due_on"])
    _history(actor, record, Step.NOTIFIED, note.strip(), before=before)
    return record


@service
def record_object(*, actor, record: CreditRecord, note: str, attachment=None) -> CreditAction:
    """The party objects (陈述申辩), with its evidence, within the window."""
    record = _locked(record)
    access.require(actor, "credit.object", record)
    _in(record, Step.OBJECTED, RecordStatus.NOTIFIED)
    if clock.localdate() > record.objection_due_on:
        raise ServiceError("objection_closed", _("Objections were accepted until %(day)s.") % {"day": record.objection_due_on}, "note")
    if record.actions.filter(step=Step.OBJECTED).count() >= MAX_OBJECTIONS:
        raise ServiceError("too_many", _("At most %(n)d objections per record.") % {"n": MAX_OBJECTIONS}, "note")
    note = _text(note, "note", _("State the grounds of the objection."))
    return _history(actor, record, Step.OBJECTED, note, before=record.status, attachment=attachment)


@service
def record_decide(*, actor, record: CreditRecord, decision_document: str, note: str = "") -> CreditRecord:
    """Decide after the objection window has closed; an objection needs its answer in the note."""
    record = _locked(record)
    access.require(actor, "credit.decide", record)
    _in(record, Step.DECIDED, RecordStatus.NOTIFIED)
    today = clock.localdate()
    if today <= record.objection_due_on:
        raise ServiceError("objection_window_open", _("The party may object until %(day)s; decide after that.") % {
            "day": record.objection_due_on}, "status")
    if record.actions.filter(step=Step.OBJECTED).exists() and not (note or "").strip():
        raise ServiceError("required", _("The party objected: answer its objection in the note."), "note")
    before = record.status
    record.decision_document = _text(decision_document, "decision_document", _("Give the decision document's number."))[:100]
    record.status, record.decided_on = RecordStatus.DECIDED, today
    record.save(update_fields=["status", "decided_on", "decision_document"])
    _history(actor, record, Step.DECIDED, (note or "").strip(), before=before)
    _settle(record)
    return record


@service
def record_withdraw(*, actor, record: CreditRecord, note: str) -> CreditRecord:
    """Drop a proposal before its decision, with the reason."""
    record = _locked(record)
    access.require(actor, "credit.withdraw", record)
    _in(record, Step.WITHDRAWN, RecordStatus.PROPOSED, RecordStatus.NOTIFIED)  # a decision is undone only by removal, with its reason
    note = _text(note, "note", _("Give the reason."))
    before, record.status = record.status, RecordStatus.WITHDRAWN
    record.save(update_fields=["status"])
    _history(actor, record, Step.WITHDRAWN, note, before=before)
    _settle(record)
    return record


@service
def record_publish(*, actor, record: CreditRecord, period_months: int | None = None, note: str = "") -> CreditRecord:
    """Publish a decided record of a public kind for its period; it leaves the public lists on its removal date."""
    record = _locked(record)
    access.require(actor, "credit.publish", record)
    _in(record, Step.PUBLISHED, RecordStatus.DECIDED)
    if record.kind not in PUBLIC_KINDS:
        raise ServiceError("not_public", _("This kind of record is not published; it is in force once decided."), "kind")
    try:
        period = int(period_months or DEFAULT_PERIOD_MONTHS[record.kind])
    except (TypeError, ValueError):
        raise ServiceError("invalid_number", _("The period is a whole number of months."), "period_months") from None
    if not 1 <= period <= MAX_PERIOD_MONTHS:
        raise ServiceError("out_of_range", _("The period must lie between 1 and %(max)d months.") % {"max": MAX_PERIOD_MONTHS}, "period_months")
    today = clock.localdate()
    before = record.status
    record.status, record.published_on, record.period_months = RecordStatus.PUBLISHED, today, period
    record.removal_on = add_months(today, period)
    record.save(update_fields=["status", "published_on", "period_months", "removal_on"])
    _history(actor, record, Step.PUBLISHED, (note or "").strip(), before=before)
    _settle(record)
    return record


@service
def record_remove(*, actor, record: CreditRecord, note: str = "") -> CreditRecord:
    """Take a record out of force: by its department (on appeal or review, with the reason), or by the platform on
    its removal date."""
    record = _locked(record)
    access.require(actor, "credit.remove", record)
    _in(record, Step.REMOVED, *IN_FORCE)
    today = clock.localdate()
    if actor is None:
        if record.removal_on is None or record.removal_on > today:
            raise ServiceError("not_due", _("The record's period has not ended."), "removal_on")
        note = note or _("The publication period ended on %(day)s.") % {"day": record.removal_on}
    else:
        note = _text(note, "note", _("Give the reason (appeal, review or court ruling)."))
    before = record.status
    record.status, record.removed_on = RecordStatus.REMOVED, today
    record.save(update_fields=["status", "removed_on"])
    _history(actor, record, Step.REMOVED, note, before=before)
    _settle(record)
    return record


def _repair_pending(record: CreditRecord) -> bool:
    last = record.actions.filter(step__in=(Step.REPAIR_APPLIED, Step.REPAIRED, Step.REPAIR_REFUSED)).order_by("-at", "-id").first()
    return last is not None and last.step == Step.REPAIR_APPLIED


@service
def record_repair_apply(*, actor, record: CreditRecord, note: str, attachment=None) -> CreditAction:
    """The party applies for credit repair (信用修复): the wrong put right, with its proof."""
    record = _locked(record)
    access.require(actor, "credit.repair_apply", record)
    _in(record, Step.REPAIR_APPLIED, *IN_FORCE)
    if _repair_pending(record):
        raise ServiceError("repair_pending", _("An application for repair is already waiting for its decision."), "note")
    note = _text(note, "note", _("State how the wrong was put right."))
    return _history(actor, record, Step.REPAIR_APPLIED, note, before=record.status, attachment=attachment)


@service
def record_repair(*, actor, record: CreditRecord, grant: bool, note: str) -> CreditRecord:
    """The deciding department grants the repair (the record leaves the lists and the rating) or refuses it."""
    record = _locked(record)
    access.require(actor, "credit.repair" if grant else "credit.refuse_repair", record)
    _in(record, Step.REPAIRED, *IN_FORCE)
    if not _repair_pending(record):
        raise ServiceError("no_repair_application", _("The party has not applied for repair."), "status")
    note = _text(note, "note", _("Give the reason."))
    before = record.status
    if grant:
        record.status, record.removed_on = RecordStatus.REPAIRED, clock.localdate()
        record.save(update_fields=["status", "removed_on"])
    _history(actor, record, Step.REPAIRED if grant else Step.REPAIR_REFUSED, note, before=before)
    _settle(record)
    return record


def records_due_for_removal() -> list[CreditRecord]:
    return list(CreditRecord.objects.filter(status__in=IN_FORCE, removal_on__lte=clock.localdate()))


def remove_expired() -> int:
    """The daily removal: every record whose period has ended (the public lists already hide it from that day)."""
    expired = records_due_for_removal()
    for record in expired:
        record_remove(actor=None, record=record)
    return len(expired)


# ---------------------------------------------------------------- ratings


@dataclass
class RefreshResult:
    rated: int = 0
    changed: int = 0
    deposits_reassessed: int = 0
    bands: dict = field(default_factory=dict)


@service
def ratings_refresh(*, enterprise_ids=None, today: datetime.date | None = None) -> RefreshResult:
    """Recompute the ratings of these enterprises (every enterprise when None) from their facts; store those that
    changed; audit each change of band; re-assess the live deposits of an enterprise that newly has arrears (the
    higher rate applies at once; a lower one at the next assessment)."""
    today = today or clock.localdate()
    rated = rating.rate_enterprises(set(enterprise_ids) if enterprise_ids is not None else None, today)
    existing = CreditRating.objects.all() if enterprise_ids is None else CreditRating.objects.filter(enterprise_id__in=list(rated))
    known = {row.pk: row for row in existing.only("enterprise_id", "score", "band", "lines", "clean_years", "recent_arrears").iterator(chunk_size=5000)}
    now, new, changed, band_changes, worsened = clock.now(), [], [], [], []
    for pk, r in rated.items():
        row = known.get(pk)
        if row is None:
            if r.recent_arrears:
                worsened.append(pk)
            new.append(CreditRating(enterprise_id=pk, score=r.score, band=r.band, lines=r.lines, clean_years=r.clean_years,
                                    recent_arrears=r.recent_arrears, computed_at=now))
            continue
        if (row.score, row.band, row.lines, row.clean_years, row.recent_arrears) == (r.score, r.band, r.lines, r.clean_years, r.recent_arrears):
            continue
        if row.band != r.band:
            band_changes.append({"action": "credit.rating_changed", "object_type": "credit.creditrating", "object_id": str(pk),
                                 "before": {"band": row.band, "score": row.score}, "after": {"band": r.band, "score": r.score}})
        if r.recent_arrears and not row.recent_arrears:
            worsened.append(pk)
        row.score, row.band, row.lines, row.clean_years, row.recent_arrears, row.computed_at = (
            r.score, r.band, r.lines, r.clean_years, r.recent_arrears, now)
        changed.append(row)
    CreditRating.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)  # a concurrent refresh made it: same facts
    CreditRating.objects.bulk_update(changed, ["score", "band", "lines", "clean_years", "recent_arrears", "computed_at"], batch_size=2000)
    audit.record_many(actor=None, entries=band_changes)
    result = RefreshResult(rated=len(rated), changed=len(new) + len(changed))
    for deposit in account_selectors.live_deposits_of(worsened):
        # A deposit lodged in full gets a fresh period for the top-up; one already late keeps its deadline.
        lodged = deposit_state(deposit, today).status == DepositStatus.SATISFIED
        account_services.deposit_assess(actor=None, project=deposit.project, contract_signed_on=deposit.contract_signed_on,
                                        due_from=today if lodged else None)
        result.deposits_reassessed += 1
    for r in rated.values():
        result.bands[r.band] = result.bands.get(r.band, 0) + 1
    return result


# ---------------------------------------------------------------- proposals the alerts call for


def _proposal_for(alert) -> tuple[str, str, Decimal | None]:
    """The kind, facts and amount of the record an alert calls for."""
    rule = ALERT_RULES.get(alert.rule)
    name = str(rule.name) if rule else alert.rule
    where = alert.project.name if alert.project_id else ""
    if alert.rule == "arrears":
        amount = Decimal(str(alert.facts.get("unpaid_net") or "0")) or None
        state = _("confirmed by the handling department") if alert.status == "resolved" else _("not handled by its deadline")
        facts = _("Wage arrears on %(project)s for %(period)s (%(state)s): %(amount)s yuan unpaid.") % {
            "project": where, "period": alert.period, "state": state, "amount": amount or "—"}
        return RecordKind.ARREARS_FOUND, facts, amount
    facts = _("Red alert “%(rule)s” on %(project)s (%(period)s) not handled by its deadline.") % {
        "rule": name, "project": where, "period": alert.period or "—"}
    return RecordKind.MAJOR_VIOLATION, facts, None


@service
def proposals_from_alerts(*, project_ids=None) -> int:
    """A red alert still open after its deadline, or arrears confirmed, proposes a credit record to the HRSS
    department of the alert's county (once per alert); an official decides what follows, nothing is published."""
    proposed = 0
    taken = set(CreditRecord.objects.filter(alert__isnull=False).values_list("alert_id", flat=True))
    for alert in alert_selectors.credit_candidates(project_ids=project_ids):
        if alert.pk in taken:
            continue
        department = Department.objects.filter(region=alert.region, agency=Agency.HRSS).first()
        if department is None:  # a region without its departments loaded: nobody to propose to
            continue
        kind, facts, amount = _proposal_for(alert)
        rule = ALERT_RULES.get(alert.rule)
        enterprise = Enterprise.objects.get(pk=alert.party)
        record_propose(actor=None, kind=kind, facts=facts, legal_basis=rule.regulation if rule else "", enterprise=enterprise,
                       project=alert.project, amount=amount, department=department, alert=alert,
                       note=_("Proposed by the platform from an alert."))
        taken.add(alert.pk)
        proposed += 1
    return proposed
