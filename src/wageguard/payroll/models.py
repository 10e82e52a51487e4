"""Monthly wage ledgers (工资支付台账): a payroll per project, enterprise and month, one line per worker.

A ledger is kept for at least three years after the project's completion and can never be deleted.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from wageguard.core.pii import BlindIndexField, EncryptedField, mask, mask_name

MONEY = {"max_digits": 14, "decimal_places": 2}


class PayrollStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    CONFIRMED = "confirmed", _("confirmed")
    FETCHED = "fetched", _("fetched by the bank")
    PAID = "paid", _("paid")
    PARTLY_PAID = "partly_paid", _("partly paid")
    FAILED = "failed", _("failed")


# A payroll not yet settled by the bank: an account cannot be closed while one exists.
OPEN_STATUSES = (PayrollStatus.DRAFT, PayrollStatus.SUBMITTED, PayrollStatus.CONFIRMED, PayrollStatus.FETCHED)


class UndeletableQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("wage ledgers are never deleted")

    def current(self):
        """Lines still in force: a failed line that has been re-issued is superseded by its re-issue."""
        return self.filter(reissue__isnull=True)


class NeverDeleted(models.Model):
    """Ledger rows: neither a row nor a queryset of them can be deleted."""

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise PermissionError("wage ledgers are never deleted")


class Payroll(NeverDeleted):
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="payrolls", db_index=False)  # the unique (project, enterprise, month) leads with it
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="payrolls")
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM
    status = models.CharField(_("status"), max_length=12, choices=PayrollStatus.choices, default=PayrollStatus.DRAFT)
    built_at = models.DateTimeField()
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "enterprise", "month"], name="payroll_project_enterprise_month")]
        ordering = ["-month", "project"]
        verbose_name = _("wage ledger")
        verbose_name_plural = _("wage ledgers")


class PayrollLine(NeverDeleted):
    """One worker's month: attendance, wage terms, gross, deductions with reasons, net, card, checks."""

    payroll = models.ForeignKey(Payroll, on_delete=models.PROTECT, related_name="lines")
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="payroll_lines")
    employment = models.ForeignKey("registry.Employment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    days_attended = models.PositiveSmallIntegerField(_("days attended"), default=0)
    hours_attended = models.DecimalField(_("hours attended"), max_digits=6, decimal_places=1, default=0)
    days_claimed = models.PositiveSmallIntegerField(_("days claimed"), default=0)
    quantity = models.DecimalField(_("quantity (piece rate)"), max_digits=12, decimal_places=2, null=True, blank=True)
    wage_basis = models.CharField(_("wage terms"), max_length=16, blank=True)
    wage_rate = models.DecimalField(_("wage rate"), max_digits=10, decimal_places=2, null=True, blank=True)
    gross = models.DecimalField(_("gross pay"), **MONEY)
    deductions = models.JSONField(default=list, blank=True)  # [{"reason": str, "amount": "12.34"}]
    net = models.DecimalField(_("net pay"), **MONEY)
    card = EncryptedField(_("bank card"), masker=mask)
    card_index = BlindIndexField(source="card", null=True)  # several workers paid to one card
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    checks = models.JSONField(default=dict, blank=True)  # code -> {"level": "ok"|"warning"|"error"|"pending", "detail"}
    warning_reasons = models.JSONField(default=dict, blank=True)  # code -> the reason given for going ahead
    # A failed line paid again (e.g. to a new card) is a new line of the same ledger linked to the first.
    reissue_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reissue")
    reissue_reason = models.CharField(_("reason for re-issue"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["payroll", "worker"], condition=models.Q(reissue_of__isnull=True),
                                               name="payrollline_payroll_worker")]
        indexes = [models.Index(fields=["card_index"], name="payrollline_card_index")]
        ordering = ["payroll", "id"]

    @property
    def card_masked(self) -> str:
        return mask(self.card)

    @property
    def deduction_total(self):
        return sum((Decimal(d["amount"]) for d in self.deductions), Decimal("0.00"))


class ResultStatus(models.TextChoices):
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")


class DisbursementResult(NeverDeleted):
    """The bank's answer for one ledger line: paid (with its transaction) or failed (with its reason code)."""

    line = models.OneToOneField(PayrollLine, on_delete=models.PROTECT, related_name="result")
    status = models.CharField(_("status"), max_length=8, choices=ResultStatus.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    card = EncryptedField(_("bank card"), masker=mask)
    bank_txn_id = models.CharField(_("bank transaction id"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    reason_code = models.CharField(_("bank's reason code"), max_length=32, blank=True)
    holder_name = EncryptedField(_("card holder's name (bank)"), blank=True, masker=mask_name)  # personal data
    batch = models.ForeignKey("exchange.IngestionBatch", on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
