"""Credit: the facts recorded against (or for) an enterprise or a person, each through a reviewed workflow; the
rating computed from the facts the platform holds; the police's evidence packages."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wageguard.core import access
from wageguard.core.pii import BlindIndexField, EncryptedField
from wageguard.registry.querysets import ScopedQuerySet


class RecordKind(models.TextChoices):
    ARREARS_FOUND = "arrears_found", _("arrears found")
    ARREARS_SETTLED = "arrears_settled", _("arrears settled")
    BLACKLIST = "blacklist", _("joint-punishment blacklist")
    MAJOR_VIOLATION = "major_violation", _("major labour-law violation")
    MARKET_BAN = "market_ban", _("barred from the construction market")
    MALICIOUS_CLAIM = "malicious_claim", _("malicious wage claim")
    COMMENDATION = "commendation", _("commendation")


# The kinds published on the public lists; the others are in force once decided and count in the rating only.
PUBLIC_KINDS = (RecordKind.BLACKLIST, RecordKind.MAJOR_VIOLATION, RecordKind.MARKET_BAN, RecordKind.MALICIOUS_CLAIM)
# A malicious claim is a person's; every other kind an enterprise's.
PERSON_KINDS = (RecordKind.MALICIOUS_CLAIM,)


class RecordStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    NOTIFIED = "notified", _("notified to the party")
    DECIDED = "decided", _("decided")
    PUBLISHED = "published", _("published")
    REMOVED = "removed", _("removed")
    REPAIRED = "repaired", _("credit repaired")
    WITHDRAWN = "withdrawn", _("withdrawn")


IN_FORCE = (RecordStatus.DECIDED, RecordStatus.PUBLISHED)


class Step(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    NOTIFIED = "notified", _("notified to the party")
    OBJECTED = "objected", _("objection lodged")
    DECIDED = "decided", _("decided")
    WITHDRAWN = "withdrawn", _("withdrawn")
    PUBLISHED = "published", _("published")
    REMOVED = "removed", _("removed")
    REPAIR_APPLIED = "repair_applied", _("credit repair applied for")
    REPAIRED = "repaired", _("credit repaired")
    REPAIR_REFUSED = "repair_refused", _("credit repair refused")


class CreditRecordQuerySet(ScopedQuerySet):
    scope = staticmethod(access.credit_record_q)

    def in_force(self):
        return self.filter(status__in=IN_FORCE)


class CreditRecord(models.Model):
    """One fact against or for a party, from its proposal to its removal; the deciding department answers for it."""

    kind = models.CharField(_("kind"), max_length=20, choices=RecordKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=RecordStatus.choices, default=RecordStatus.PROPOSED)
    enterprise = models.ForeignKey("registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records")
    worker = models.ForeignKey("registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records")
    person_name = models.CharField(_("name of the person"), max_length=64, blank=True)
    person_id_number = EncryptedField(_("resident ID number"), blank=True)
    person_id_number_index = BlindIndexField(source="person_id_number", null=True)
    project = models.ForeignKey("registry.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="credit_records")  # deciding
    alert = models.ForeignKey("alerts.Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records")
    facts = models.TextField(_("facts found"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    objection_due_on = models.DateField(_("objections until"), null=True, blank=True)
    decision_document = models.CharField(_("decision document"), max_length=100, blank=True)
    decided_on = models.DateField(_("decision date"), null=True, blank=True)
    period_months = models.PositiveSmallIntegerField(_("publication period (months)"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    removal_on = models.DateField(_("removal date"), null=True, blank=True)  # the end of the period, set at publication
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["status", "kind"], name="credit_record_status_kind"),
                   models.Index(fields=["enterprise", "status"], name="credit_record_enterprise"),
                   models.Index(fields=["person_id_number_index"], name="credit_record_person")]
        constraints = [models.UniqueConstraint(fields=["alert", "kind"], condition=models.Q(alert__isnull=False),
                                               name="credit_record_one_per_alert")]
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.party_name}"

    @property
    def party_name(self) -> str:
        return self.enterprise.name if self.enterprise_id else self.person_name

    @property
    def is_public_kind(self) -> bool:
        return self.kind in PUBLIC_KINDS


class CreditAction(models.Model):
    """A step of a record's workflow: who, when, a note, and an attachment (an objection's evidence)."""

    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="actions")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    note = models.TextField(_("note"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="credit/%Y/%m/", blank=True)
    attachment_type = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("credit record step")
        verbose_name_plural = _("credit record steps")


class Band(models.TextChoices):
    A = "A", _("A (good)")
    B = "B", _("B (fair)")
    C = "C", _("C (poor)")
    D = "D", _("D (bad)")


class CreditRatingQuerySet(ScopedQuerySet):
    scope = staticmethod(lambda user: access.enterprise_rating_q(user))


class CreditRating(models.Model):
    """An enterprise's current rating and the lines that explain it (derived: recomputed from the facts on the
    events that change them and nightly)."""

    enterprise = models.OneToOneField("registry.Enterprise", primary_key=True, on_delete=models.CASCADE, related_name="credit_rating")
    score = models.IntegerField(_("score"))
    band = models.CharField(_("band"), max_length=1, choices=Band.choices)
    lines = models.JSONField(_("explanation"), default=list)
    clean_years = models.PositiveSmallIntegerField(_("consecutive years without arrears"), default=0)
    recent_arrears = models.BooleanField(_("arrears in the last two years"), default=False)
    computed_at = models.DateTimeField(_("computed at"))

    objects = CreditRatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit rating")
        verbose_name_plural = _("credit ratings")


class EvidenceSubject(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    PROJECT = "project", _("project")
    PERSON = "person", _("person")


class EvidenceStatus(models.TextChoices):
    REQUESTED = "requested", _("awaiting approval")
    APPROVED = "approved", _("approved, being built")
    READY = "ready", _("ready to download")
    REJECTED = "rejected", _("rejected")


class EvidenceRequestQuerySet(ScopedQuerySet):
    scope = staticmethod(access.evidence_q)


class EvidenceRequest(models.Model):
    """A police request for an evidence package about an enterprise, a project or a person; approved by HRSS, built
    as a zip with a signed manifest, kept encrypted, every download audited."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+")  # the police's
    subject_type = models.CharField(_("subject"), max_length=12, choices=EvidenceSubject.choices)
    enterprise = models.ForeignKey("registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("registry.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey("registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(_("case number"), max_length=64)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=EvidenceStatus.choices, default=EvidenceStatus.REQUESTED)
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    package = models.FileField(upload_to="evidence/%Y/%m/", blank=True)  # the zip, SM4-GCM encrypted at rest
    package_sm3 = models.CharField(_("package SM3"), max_length=64, blank=True)
    manifest = models.JSONField(_("manifest"), null=True, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    objects = EvidenceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("evidence request")
        verbose_name_plural = _("evidence requests")

    @property
    def subject(self):
        return {EvidenceSubject.ENTERPRISE: self.enterprise, EvidenceSubject.PROJECT: self.project,
                EvidenceSubject.PERSON: self.worker}[self.subject_type]
