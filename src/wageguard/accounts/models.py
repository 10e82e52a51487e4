"""Dedicated wage accounts, what the banks report about them, and wage deposits.

Bank data is written only by the bank feed (signed API); the console never writes it. Money is Decimal
with two places.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wageguard.core.pii import BlindIndexField, EncryptedField, mask, mask_name

MONEY = {"max_digits": 16, "decimal_places": 2}


class BankKind(models.TextChoices):
    STATE = "state", _("large state-owned bank")
    JOINT_STOCK = "joint_stock", _("national joint-stock bank")
    CITY_COMMERCIAL = "city_commercial", _("city commercial bank")
    RURAL_COMMERCIAL = "rural_commercial", _("rural commercial bank")


class Bank(models.Model):
    code = models.CharField(_("bank code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=BankKind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner bank")
        verbose_name_plural = _("partner banks")

    def __str__(self) -> str:
        return self.name


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    FROZEN = "frozen", _("frozen")
    CLOSING = "closing", _("closing notice given")
    CLOSED = "closed", _("closed")


class WageAccount(models.Model):
    """农民工工资专用账户: one active account per project (per section for a project split in sections)."""

    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="wage_accounts")
    section = models.CharField(_("section"), max_length=40, blank=True)
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="accounts")
    holder = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="wage_accounts")
    number = models.CharField(_("account number"), max_length=40)
    name = models.CharField(_("account name"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    status = models.CharField(_("status"), max_length=12, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    # A bank reports the account; the general contractor (or the department) confirms it is the project's own.
    # Until then no ledger is addressed to it: a bank cannot make itself the payer of another bank's project.
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "number"], name="wageaccount_bank_number_unique"),
            models.UniqueConstraint(fields=["project", "section"], condition=~models.Q(status="closed"),
                                    name="wageaccount_one_open_per_project_section"),
        ]
        verbose_name = _("dedicated wage account")
        verbose_name_plural = _("dedicated wage accounts")

    def __str__(self) -> str:
        return f"{self.bank.code} {self.number}"


class TransactionPurpose(models.TextChoices):
    LABOUR_COST_IN = "labour_cost_in", _("labour cost allocated in")
    WAGE_OUT = "wage_out", _("wage paid out")
    REFUND = "refund", _("refund")
    INTEREST = "interest", _("interest")
    FEE = "fee", _("bank fee")
    TRANSFER_OUT = "transfer_out", _("transfer out")
    OTHER = "other", _("other")


class AccountTransaction(models.Model):
    """A movement of money as the bank reports it. `sequence` is the bank's own running number for the
    account: a gap in it, or a balance that does not follow, is a break in the bank's data."""

    account = models.ForeignKey(WageAccount, on_delete=models.PROTECT, related_name="transactions")
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="+")
    bank_txn_id = models.CharField(_("bank transaction id"), max_length=64)
    sequence = models.PositiveBigIntegerField(_("sequence"))
    booked_at = models.DateTimeField(_("booked at"))
    amount = models.DecimalField(_("amount"), **MONEY)  # signed: + credit, - debit
    # The other side of a movement: for wages, a worker's name and card. Personal data: encrypted, shown masked.
    counterparty_name = EncryptedField(_("counterparty"), masker=mask_name)
    counterparty_account = EncryptedField(_("counterparty account"), blank=True)
    counterparty_account_index = BlindIndexField(source="counterparty_account", null=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=TransactionPurpose.choices)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "bank_txn_id"], name="accounttransaction_bank_txn_unique"),
            models.UniqueConstraint(fields=["account", "sequence"], name="accounttransaction_account_sequence_unique"),
        ]
        indexes = [models.Index(fields=["account", "booked_at"], name="accttxn_account_booked"),
                   models.Index(fields=["counterparty_account_index"], name="accttxn_counterparty")]
        ordering = ["account", "sequence"]
        verbose_name = _("account transaction")
        verbose_name_plural = _("account transactions")

    @property
    def counterparty_name_masked(self) -> str:
        return mask_name(self.counterparty_name)

    @property
    def counterparty_account_masked(self) -> str:
        return mask(self.counterparty_account)


class DailyBalance(models.Model):
    """The bank's closing balance of a day; it must equal the last transaction's balance_after."""

    account = models.ForeignKey(WageAccount, on_delete=models.PROTECT, related_name="daily_balances")
    day = models.DateField()
    closing_balance = models.DecimalField(_("closing balance"), **MONEY)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="dailybalance_account_day_unique")]
        verbose_name = _("daily balance")
        verbose_name_plural = _("daily balances")


class AccountStatusEvent(models.Model):
    """A status change as the bank reports it; `flags` name the rules it broke (accepted, then flagged)."""

    account = models.ForeignKey(WageAccount, on_delete=models.PROTECT, related_name="status_events")
    status = models.CharField(_("status"), max_length=12, choices=AccountStatus.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    flags = models.JSONField(default=list, blank=True)
    batch = models.ForeignKey("exchange.IngestionBatch", on_delete=models.PROTECT, related_name="+")
    client_record_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["account", "effective_on", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "status", "effective_on"], name="accountstatusevent_unique")]


class DataIssueKind(models.TextChoices):
    SEQUENCE_GAP = "sequence_gap", _("gap in the bank's sequence")
    BALANCE_BREAK = "balance_break", _("balance does not follow from the previous one")
    CLOSING_MISMATCH = "closing_mismatch", _("daily closing balance differs from the last transaction")


class BankDataIssue(models.Model):
    """A break in a bank's data about an account, shown to that bank and to PBOC/HRSS; closed when the
    bank's corrected or missing data makes the record continuous again."""

    account = models.ForeignKey(WageAccount, on_delete=models.PROTECT, related_name="data_issues")
    kind = models.CharField(max_length=20, choices=DataIssueKind.choices)
    at_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)
    expected = models.CharField(max_length=40)
    found = models.CharField(max_length=40)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("bank data issue")
        verbose_name_plural = _("bank data issues")


class ProgressPayment(models.Model):
    """The owner's progress payment (工程进度款) for a month: what the labour-cost allocation is measured against."""

    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="progress_payments")
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM
    amount = models.DecimalField(_("progress payment"), **MONEY)
    recorded_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="progresspayment_project_month_unique")]
        ordering = ["project", "month"]
        verbose_name = _("progress payment")
        verbose_name_plural = _("progress payments")


class DepositForm(models.TextChoices):
    CASH = "cash", _("cash")
    BANK_GUARANTEE = "bank_guarantee", _("bank guarantee")
    INSURANCE_GUARANTEE = "insurance_guarantee", _("insurance guarantee")


class WageDeposit(models.Model):
    """工资保证金 owed for a project's contract. The requirement is computed by `requirements.required_deposit`
    from the facts kept here; what is held follows from the movements and approved certificates."""

    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="wage_deposits")
    project = models.OneToOneField("registry.Project", on_delete=models.PROTECT, related_name="wage_deposit")
    contract_amount = models.DecimalField(_("contract amount"), **MONEY)
    contract_signed_on = models.DateField(_("contract signed on"))
    clean_years = models.PositiveSmallIntegerField(_("consecutive years without arrears"), default=0)
    recent_arrears = models.BooleanField(_("arrears in the last two years"), default=False)  # a credit fact once credit exists
    required_amount = models.DecimalField(_("required deposit"), **MONEY)
    required_rate = models.DecimalField(max_digits=6, decimal_places=4)
    basis = models.CharField(_("basis"), max_length=32)
    due_on = models.DateField(_("due on"))
    due_provisional = models.BooleanField(default=False)
    refund_notice_on = models.DateField(_("refund notice published on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wage deposit")
        verbose_name_plural = _("wage deposits")


class MovementKind(models.TextChoices):
    LODGE = "lodge", _("lodged")
    DRAWDOWN = "drawdown", _("drawn to pay wages")
    REFILL = "refill", _("refilled")
    REFUND = "refund", _("refunded")


class DepositMovement(models.Model):
    deposit = models.ForeignKey(WageDeposit, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=12, choices=MovementKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # always positive; the kind gives the direction
    form = models.CharField(_("form"), max_length=24, choices=DepositForm.choices, default=DepositForm.CASH)
    on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deposit", "on", "id"]


class CertificateKind(models.TextChoices):
    EXEMPTION = "exemption", _("exemption certificate")
    REDUCTION = "reduction", _("reduction certificate")
    GUARANTEE = "guarantee", _("bank or insurance guarantee")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class DepositCertificate(models.Model):
    """A certificate that exempts, reduces or (as a guarantee) replaces the cash deposit; an HRSS official
    approves it or rejects it with a reason."""

    deposit = models.ForeignKey(WageDeposit, on_delete=models.PROTECT, related_name="certificates")
    kind = models.CharField(_("kind"), max_length=12, choices=CertificateKind.choices)
    amount = models.DecimalField(_("amount covered"), null=True, blank=True, **MONEY)  # guarantee sum / reduced requirement
    file = models.FileField(upload_to="deposit-certificates/%Y/%m/")
    file_type = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    reviewed_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(_("review reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
