"""Writes of the accounts app that people make (bank data comes only through `feed`)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from wageguard.core import access, audit, clock, events, files, months, rules
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.events import DEPOSIT_CHANGED
from wageguard.core.money import require_money
from wageguard.core.transactions import service
from wageguard.core.workdays import add_working_days
from wageguard.registry.models import Project, ProjectStatus

from .deposits import deposit_state
from .models import (
    CertificateKind,
    DepositCertificate,
    DepositForm,
    DepositMovement,
    MovementKind,
    ProgressPayment,
    ReviewStatus,
    WageDeposit,
)
from .requirements import credit_standing, required_deposit


@service
def progress_payment_record(*, actor, project: Project, month: str, amount: Decimal) -> ProgressPayment:
    """The owner (or its general contractor) records a month's progress payment; a change is audited."""
    access.require(actor, "progress.record", project)
    if not months.is_month(month):
        raise ServiceError("invalid_month", _("Month must be written YYYY-MM."), "month")
    amount = require_money(amount, "amount")
    payment = ProgressPayment.objects.select_for_update().filter(project=project, month=month).first()
    before = audit.snapshot(payment) if payment else None
    if payment is None:
        payment = ProgressPayment(project=project, month=month)
    payment.amount, payment.recorded_by = amount, actor
    payment.save()
    audit.record(actor=actor, action="accounts.progress_payment_record", obj=payment, before=before, after=audit.snapshot(payment))
    events.emit(events.PROGRESS_RECORDED, project_ids={project.pk}, periods={month})
    return payment


@service
def account_confirm(*, actor, account):
    """The general contractor (or the project's department) confirms that an account a bank reported is the
    project's dedicated wage account: from now on its ledgers are addressed to that bank."""
    from .models import WageAccount

    access.require(actor, "account.confirm", account)
    account = WageAccount.objects.select_for_update().get(pk=account.pk)
    if account.confirmed_at is not None:
        raise ServiceError("already_confirmed", _("This account is already confirmed."), "account")
    account.confirmed_at, account.confirmed_by = clock.now(), actor if getattr(actor, "pk", None) else None
    account.save(update_fields=["confirmed_at", "confirmed_by"])
    audit.record(actor=actor, action="accounts.account_confirm", obj=account, after={"bank": account.bank_id, "project": account.project_id})
    return account


@service
def transactions_export_record(*, actor, account) -> None:
    """An unmasked export of an account's movements is an unmasked read of its counterparties: one audit entry."""
    if not access.may_unmask(actor):
        raise PermissionDenied(_("You do not have permission to read personal data unmasked."))
    audit.record(actor=actor, action="accounts.transactions_export_unmasked", obj=account)


# ---------------------------------------------------------------- wage deposits

@service
def deposit_assess(*, actor, project: Project, contract_signed_on: datetime.date, due_from: datetime.date | None = None) -> WageDeposit:
    """Compute (or recompute, when the facts change) the deposit a project's contract requires and its deadline:
    the rate follows the general contractor's credit (years without arrears, arrears in the last two years).
    `due_from`: the day the lodging period runs from, if not the contract's (a re-assessment raising the deposit
    gives the top-up its own period)."""
    access.require(actor, "deposit.assess", project)
    standing = credit_standing(project.general_contractor)
    clean_years, recent_arrears = standing.clean_years, standing.recent_arrears
    requirement = required_deposit(contract_amount=project.contract_amount, region=project.region, clean_years=clean_years,
                                   recent_arrears=recent_arrears)
    deadline = add_working_days(due_from or contract_signed_on, int(rules.value("deposit.lodge_within_working_days", project.region)))
    deposit = WageDeposit.objects.select_for_update().filter(project=project).first()
    before = audit.snapshot(deposit) if deposit else None
    deposit = deposit or WageDeposit(project=project)
    deposit.enterprise = project.general_contractor
    deposit.contract_amount, deposit.contract_signed_on = project.contract_amount, contract_signed_on
    deposit.clean_years, deposit.recent_arrears = clean_years, recent_arrears
    deposit.required_amount, deposit.required_rate, deposit.basis = requirement.amount, requirement.rate, requirement.basis
    deposit.due_on, deposit.due_provisional = deadline.day, deadline.provisional
    deposit.save()
    audit.record(actor=actor, action="accounts.deposit_assess", obj=deposit, before=before, after=audit.snapshot(deposit))
    events.emit(DEPOSIT_CHANGED, project_ids={deposit.project_id})
    return deposit


@service
def deposit_movement_record(*, actor, deposit: WageDeposit, kind: str, amount: Decimal, on: datetime.date,
                            form: str = DepositForm.CASH, note: str = "") -> DepositMovement:
    """Lodging, drawdown to pay wages, refill, refund — recorded by the HRSS department that holds it."""
    project = deposit.project
    access.require(actor, "deposit.movement", project)
    if kind not in MovementKind.values:
        raise ServiceError("invalid_choice", _("Unknown kind of movement."), "kind")
    if form not in DepositForm.values:
        raise ServiceError("invalid_choice", _("Unknown form of deposit."), "form")
    amount = require_money(amount, "amount", positive=True)
    held = deposit_state(deposit, on).held
    if kind in (MovementKind.DRAWDOWN, MovementKind.REFUND) and amount > held:
        raise ServiceError("insufficient_deposit", _("More than the deposit holds (%(held)s yuan).") % {"held": held}, "amount")
    if kind == MovementKind.REFUND:
        notice_days = int(rules.value("deposit.refund_notice_days", project.region))
        if project.status != ProjectStatus.COMPLETED:
            raise ServiceError("project_not_completed", _("A deposit is refunded only after the project is completed."), "kind")
        if deposit.refund_notice_on is None or (on - deposit.refund_notice_on).days < notice_days:
            raise ServiceError("refund_notice", _("A refund needs a public notice published %(days)d days before.") % {"days": notice_days}, "on")
    movement = DepositMovement.objects.create(deposit=deposit, kind=kind, amount=amount, on=on, form=form, note=note, recorded_by=actor)
    audit.record(actor=actor, action=f"accounts.deposit_{kind}", obj=movement, after=audit.snapshot(movement))
    events.emit(DEPOSIT_CHANGED, project_ids={deposit.project_id})
    return movement


@service
def deposit_refund_notice(*, actor, deposit: WageDeposit, on: datetime.date) -> WageDeposit:
    access.require(actor, "deposit.refund_notice", deposit)
    before = audit.snapshot(deposit)
    deposit.refund_notice_on = on
    deposit.save(update_fields=["refund_notice_on"])
    audit.record(actor=actor, action="accounts.deposit_refund_notice", obj=deposit, before=before, after=audit.snapshot(deposit))
    events.emit(DEPOSIT_CHANGED, project_ids={deposit.project_id})
    return deposit


@service
def certificate_upload(*, actor, deposit: WageDeposit, kind: str, upload, amount: Decimal | None = None) -> DepositCertificate:
    """The general contractor uploads an exemption, reduction or guarantee certificate for review."""
    access.require(actor, "certificate.upload", deposit)
    if kind not in CertificateKind.values:
        raise ServiceError("invalid_choice", _("Unknown kind of certificate."), "kind")
    if kind in (CertificateKind.GUARANTEE, CertificateKind.REDUCTION):
        if amount in (None, ""):
            raise ServiceError("required", _("A guarantee or reduction states its amount."), "amount")
        amount = require_money(amount, "amount", positive=True)
    accepted = files.accept(upload, "certificate", _("The certificate file"))
    certificate = DepositCertificate(deposit=deposit, kind=kind, amount=amount, uploaded_by=actor, file_type=accepted.content_type)
    certificate.file.save(accepted.name, upload, save=False)
    certificate.save()
    audit.record(actor=actor, action="accounts.certificate_upload", obj=certificate, after=audit.snapshot(certificate))
    events.emit(DEPOSIT_CHANGED, project_ids={deposit.project_id})
    return certificate


@service
def certificate_review(*, actor, certificate: DepositCertificate, approve: bool, reason: str = "") -> DepositCertificate:
    access.require(actor, "certificate.review", certificate)
    certificate = DepositCertificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status != ReviewStatus.PENDING:
        raise ServiceError("already_reviewed", _("This certificate has already been reviewed."), None)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ServiceError("required", _("A rejection needs its reason."), "reason")
    before = audit.snapshot(certificate)
    certificate.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
    certificate.reviewed_by, certificate.reviewed_at, certificate.review_reason = actor, clock.now(), reason
    certificate.save()
    audit.record(actor=actor, action="accounts.certificate_review", obj=certificate, before=before, after=audit.snapshot(certificate))
    events.emit(DEPOSIT_CHANGED, project_ids={certificate.deposit.project_id})
    return certificate
