"""Complaints: a worker's one-tap complaint (or one an official records from the phone or the counter), pre-filled
with the worker's own facts, screened against the records on arrival, routed like an alert and handled to closure."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wageguard.core import access
from wageguard.core.pii import BlindIndexField, EncryptedField, mask_phone
from wageguard.registry.querysets import ScopedQuerySet


class ComplaintKind(models.TextChoices):
    UNPAID = "unpaid", _("unpaid or late wages")
    NOT_THROUGH_BANK = "not_through_bank", _("not paid through the bank")
    NO_CONTRACT = "no_contract", _("no labour contract")
    NO_REAL_NAME = "no_real_name", _("no real-name registration")
    DEDUCTIONS = "deductions", _("unjust deductions")
    OTHER = "other", _("other")


class Channel(models.TextChoices):
    APP = "app", _("worker app")
    BOARD = "board", _("notice board QR code")
    PHONE = "phone", _("by phone")
    COUNTER = "counter", _("in person")


class ComplaintStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    INVESTIGATING = "investigating", _("under investigation")
    MEDIATED = "mediated", _("mediated")
    RESOLVED = "resolved", _("resolved")
    ARBITRATION = "arbitration", _("referred to arbitration")
    REJECTED = "rejected", _("rejected")


OPEN_STATUSES = (ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING, ComplaintStatus.MEDIATED)
# An upheld complaint: the wrong was found and put right (the credit rating counts it; a referral to arbitration
# waits for the award, which the platform does not hold).
UPHELD = (ComplaintStatus.RESOLVED,)


class Step(models.TextChoices):
    FILED = "filed", _("filed")
    ACCEPTED = "accepted", _("accepted")
    INVESTIGATING = "investigating", _("investigation started")
    MEDIATED = "mediated", _("mediated")
    RESOLVED = "resolved", _("resolved")
    ARBITRATION = "arbitration", _("referred to arbitration")
    REJECTED = "rejected", _("rejected")
    ANSWERED = "answered", _("enterprise answered")
    ESCALATED = "escalated", _("escalated")


class ComplaintQuerySet(ScopedQuerySet):
    scope = staticmethod(access.complaint_q)


class Complaint(models.Model):
    # The worker, when registered on the project; a person who complains from the notice board without being registered
    # there is known by what they typed (their phone verified by a code).
    worker = models.ForeignKey("registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    complainant_name = models.CharField(_("complainant"), max_length=64, blank=True)
    complainant_id_number = EncryptedField(_("complainant's ID number"), blank=True)
    complainant_id_number_index = BlindIndexField(source="complainant_id_number", null=True)
    complainant_phone = EncryptedField(_("complainant's phone"), blank=True, masker=mask_phone)
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="complaints")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="complaints")  # the employer named
    kinds = models.JSONField(_("kinds"), default=list)
    months = models.JSONField(_("months"), default=list)  # ["2026-10", …] the complaint is about
    text = models.TextField(_("what happened"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.APP)
    facts = models.JSONField(_("the worker's facts"), default=dict)     # pre-filled from the records when filed
    screening = models.JSONField(_("screening"), default=list)          # a verdict per claim, made on arrival
    status = models.CharField(_("status"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.SUBMITTED)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")        # the project's county
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="complaints")  # labour inspection now
    copied = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="complaints_copied")  # the industry's
    level = models.CharField(_("level"), max_length=8, default="county")
    filed_at = models.DateTimeField(_("filed at"))
    due_at = models.DateTimeField(_("handle by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="complaint_status_due"),
                   models.Index(fields=["enterprise", "status"], name="complaint_enterprise"),
                   models.Index(fields=["complainant_id_number_index"], name="complaint_complainant")]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def complainant(self) -> str:
        return self.worker.name if self.worker_id else self.complainant_name

    def kind_labels(self) -> list[str]:
        return [str(ComplaintKind(k).label) for k in self.kinds if k in ComplaintKind.values]


class ComplaintAction(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="actions")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    note = models.TextField(_("note"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="complaints/%Y/%m/", blank=True)
    attachment_type = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
