from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wageguard.core.models import Region
from wageguard.core.pii import EncryptedField


class ClientKind(models.TextChoices):
    GATE_SYSTEM = "gate_system", _("site gate system")
    ENTERPRISE_SYSTEM = "enterprise_system", _("enterprise system")
    BANK = "bank", _("partner bank")
    CITY_PLATFORM = "city_platform", _("city platform")


class ApiClient(models.Model):
    """A machine that talks to the signed API. Its scope follows its kind (see `scope.py`)."""

    key_id = models.CharField(_("key id"), max_length=40, unique=True)
    secret = EncryptedField(_("secret"), masker=lambda value: "***" if value else "")  # never any of it in the audit log
    kind = models.CharField(_("kind"), max_length=24, choices=ClientKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    projects = models.ManyToManyField("registry.Project", blank=True, related_name="api_clients")
    enterprise = models.ForeignKey("registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients")
    bank_code = models.CharField(_("bank code"), max_length=16, blank=True)
    city = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key_id"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.key_id} ({self.get_kind_display()})"


class ApiNonce(models.Model):
    """Nonces seen within the replay window; older ones are swept (a stale timestamp fails anyway)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "nonce"], name="apinonce_client_nonce_unique")]


class BatchKind(models.TextChoices):
    ATTENDANCE = "attendance", _("attendance punches")
    BANK_ACCOUNTS = "bank_accounts", _("accounts opened")
    BANK_ACCOUNT_STATUS = "bank_account_status", _("account status changes")
    BANK_TRANSACTIONS = "bank_transactions", _("account transactions")
    BANK_BALANCES = "bank_balances", _("daily balances")
    BANK_PAYROLL_RESULTS = "bank_payroll_results", _("payroll line results")
    BANK_CARD_VERIFICATIONS = "bank_card_checks", _("card holder verifications")


class BatchStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    REJECTED = "rejected", pgettext_lazy("data batch", "rejected")
    PARTLY_APPLIED = "partly_applied", _("partly applied")


class IngestionBatch(models.Model):
    """One signed delivery of records (punches, bank pushes…) with its answer, replayed verbatim for a
    repeated delivery. Its table keeps the name it had when only attendance used it."""

    sender = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="batches")
    kind = models.CharField(max_length=24, choices=BatchKind.choices, default=BatchKind.ATTENDANCE)
    batch_id = models.CharField(max_length=64)
    body_sm3 = models.CharField(max_length=64)
    mode = models.CharField(max_length=16)
    received_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=BatchStatus.choices, blank=True)
    records = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=dict, blank=True)  # rejection reason -> count
    response = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "attendance_ingestionbatch"
        constraints = [models.UniqueConstraint(fields=["sender", "batch_id"], name="ingestionbatch_sender_batch_unique")]
        ordering = ["-received_at"]
        verbose_name = _("ingestion batch")
        verbose_name_plural = _("ingestion batches")
