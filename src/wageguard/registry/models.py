from __future__ import annotations

import json
import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wageguard.core import clock
from wageguard.core.models import Industry, Region
from wageguard.core.pii import BlindIndexField, EncryptedField, mask_phone

from .querysets import EmploymentQuerySet, EnterpriseQuerySet, ProjectQuerySet, WorkerQuerySet


class EnterpriseKind(models.TextChoices):
    CONSTRUCTION = "construction", _("construction enterprise")
    LABOUR_SERVICE = "labour_service", _("labour service enterprise")
    DEVELOPER = "developer", _("developer / owner")
    PUBLIC_BODY = "public_body", _("public body")
    OTHER = "other", _("other")


class Enterprise(models.Model):
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=EnterpriseKind.choices, default=EnterpriseKind.CONSTRUCTION)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    SUSPENDED = "suspended", _("suspended")
    COMPLETED = "completed", _("completed")


class FilingStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed by the general contractor")
    FILED = "filed", _("filed")
    ONBOARDED = "onboarded", _("onboarded")


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=32, unique=True)
    name = models.CharField(_("project name"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="projects", verbose_name=_("county"))
    industry = models.CharField(_("industry"), max_length=16, choices=Industry.choices)
    owner = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="owned_projects", verbose_name=_("owner"))
    general_contractor = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="contracted_projects", verbose_name=_("general contractor")
    )
    contract_amount = models.DecimalField(_("contract amount"), max_digits=16, decimal_places=2)
    labour_cost_ratio = models.DecimalField(_("labour-cost ratio"), max_digits=5, decimal_places=4)
    permit_no = models.CharField(_("construction permit no."), max_length=64, blank=True)
    started_on = models.DateField(_("start date"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=ProjectStatus.choices, default=ProjectStatus.UNDER_CONSTRUCTION)
    is_qualifying = models.BooleanField(_("qualifying"), default=True)
    filing_status = models.CharField(_("filing status"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.FILED)
    onboarded_at = models.DateTimeField(_("onboarded at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["industry", "status"])]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    @property
    def is_onboarded(self) -> bool:
        return self.onboarded_at is not None


class ShutdownReason(models.TextChoices):
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival break")
    WEATHER = "weather", _("weather")
    ORDER = "order", _("stop-work order")
    OTHER = "other", _("other")


class ProjectShutdown(models.Model):
    """停工: days a project declared it would not work (its workers away), which the attendance rules do not judge.
    Declared ahead by the general contractor, or at any time by the project's department."""
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="shutdowns", verbose_name=_("project"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=24, choices=ShutdownReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        ordering = ["project", "starts_on"]
        indexes = [models.Index(fields=["project", "starts_on"])]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="shutdown_ends_after_start")]
        verbose_name = _("shutdown")
        verbose_name_plural = _("shutdowns")

    def __str__(self) -> str:
        return f"{self.project.code} {self.starts_on}–{self.ends_on}"


class ParticipationRole(models.TextChoices):
    OWNER = "owner", _("owner")
    GENERAL_CONTRACTOR = "general_contractor", _("general contractor")
    SUBCONTRACTOR = "subcontractor", _("specialty subcontractor")
    LABOUR_SUBCONTRACTOR = "labour_subcontractor", _("labour subcontractor")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("pending review")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned")


class Participation(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="participations")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("role"), max_length=32, choices=ParticipationRole.choices)
    review_status = models.CharField(_("review"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    review_reason = models.TextField(_("review reason"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "enterprise", "role"], name="participation_unique"),
        ]
        ordering = ["project", "role", "id"]
        verbose_name = _("participating enterprise")
        verbose_name_plural = _("participating enterprises")


class Team(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="teams")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("team name"), max_length=100)
    leader = models.ForeignKey("Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="led_teams")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "enterprise", "name"], name="team_unique")]
        ordering = ["project", "name"]
        verbose_name = _("work team")
        verbose_name_plural = _("work teams")

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class Worker(models.Model):
    """One person, one row across the province, keyed by the blind index of the ID number."""

    id_number = EncryptedField(_("resident ID number"))
    id_number_index = BlindIndexField(source="id_number", null=True)
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True)
    birth_date = models.DateField(_("birth date"))
    address = EncryptedField(_("address"), blank=True)
    id_authority = models.CharField(_("issuing authority"), max_length=100, blank=True)
    id_valid_from = models.DateField(_("valid from"), null=True, blank=True)
    id_valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("empty = long-term"))
    native_place = models.CharField(_("native place"), max_length=64, blank=True)
    photo = EncryptedField(_("photo (base64)"), blank=True)
    phone = EncryptedField(_("phone"), blank=True, masker=mask_phone)
    phone_index = BlindIndexField(source="phone", null=True)
    # A number an employer puts on a worker signs nobody in until this moment (the old number is told at once): an
    # employer cannot bind its own phone and sign in as the worker.
    phone_usable_from = models.DateTimeField(null=True, blank=True)
    bank_card = EncryptedField(_("bank card"), blank=True)
    bank_card_index = BlindIndexField(source="bank_card", null=True)
    bank_name = models.CharField(_("card bank"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["id_number_index"], name="worker_id_number_unique")]
        indexes = [models.Index(fields=["phone_index"], name="worker_phone"), models.Index(fields=["bank_card_index"], name="worker_bank_card")]
        ordering = ["id"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return Worker._meta.get_field("id_number").masker(self.id_number)

    @property
    def bank_card_masked(self) -> str:
        return Worker._meta.get_field("bank_card").masker(self.bank_card)

    @property
    def phone_masked(self) -> str:
        return Worker._meta.get_field("phone").masker(self.phone)



class IdCardReading(models.Model):
    """The ID-card reader's payload exactly as received (encrypted), and what became of it."""

    payload = EncryptedField(_("raw reader payload (JSON)"))
    id_number_index = BlindIndexField(source="payload_id_number", null=True)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="readings")
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    captured_at = models.DateTimeField(default=clock.now)  # the platform's clock (a simulated past reads at its moment)
    device_id = models.CharField(_("reader device"), max_length=64, blank=True)
    sender_key = models.CharField(_("signed reader client"), max_length=32, blank=True)
    project = models.ForeignKey("Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    accepted = models.BooleanField(default=True)
    refusal_code = models.CharField(max_length=32, blank=True)
    refusal_reason = models.TextField(blank=True)

    @property
    def payload_id_number(self) -> str:
        """The ID number as the reader sent it, normalised; '' when the payload has none."""
        try:
            number = json.loads(self.payload).get("id_number", "")
        except (ValueError, AttributeError):
            return ""
        return re.sub(r"\s", "", str(number)).upper()

    class Meta:
        indexes = [models.Index(fields=["id_number_index"], name="idcardreading_id_number")]
        ordering = ["-captured_at"]
        verbose_name = _("ID-card reading")
        verbose_name_plural = _("ID-card readings")


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class IdentityReview(models.Model):
    """A reading whose identity differs from the registered one. Never applied by the reading itself: kept, and
    applied only when the HRSS department of the county where the card was read approves it. The values are
    derived from the (encrypted) reading and the worker, never copied here."""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="identity_reviews")
    reading = models.OneToOneField(IdCardReading, on_delete=models.PROTECT, related_name="review")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    project = models.ForeignKey("Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("differing fields"), default=list)
    status = models.CharField(_("status"), max_length=12, choices=ReviewDecision.choices, default=ReviewDecision.PENDING)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("identity change review")
        verbose_name_plural = _("identity change reviews")


class CardChannel(models.TextChoices):
    FIRST = "first", _("first card registered")
    WORKER = "worker", _("by the worker")
    ENTERPRISE = "enterprise", _("by the employer (confirmed by the worker)")
    OFFICIAL = "official", _("by an official")


class CardChangeStatus(models.TextChoices):
    PENDING = "pending", _("awaiting the worker's confirmation")
    EFFECTIVE = "effective", _("in effect")
    REJECTED = "rejected", _("rejected by the worker")
    SUPERSEDED = "superseded", _("superseded by a later request")


class WageCardChange(models.Model):
    """Every wage card a worker was given, by whom, and when it took effect (the worker's current card is the
    last effective one, kept on `Worker.bank_card`)."""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="card_changes")
    card = EncryptedField(_("bank card"))
    card_index = BlindIndexField(source="card", null=True)
    bank_name = models.CharField(_("card bank"), max_length=64, blank=True)
    previous_masked = models.CharField(_("previous card"), max_length=32, blank=True)
    channel = models.CharField(_("requested"), max_length=12, choices=CardChannel.choices)
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(_("status"), max_length=12, choices=CardChangeStatus.choices)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["card_index"], name="wagecardchange_card")]
        ordering = ["-requested_at", "-id"]
        verbose_name = _("wage card change")
        verbose_name_plural = _("wage card changes")

    @property
    def card_masked(self) -> str:
        return WageCardChange._meta.get_field("card").masker(self.card)


class EmploymentProof(models.TextChoices):
    """How the platform knows the worker is really at this enterprise's project (实名制: the card read on entry)."""

    CARD_READ = "card_read", _("ID card read for this project")
    REGISTERED = "registered", _("registered by this enterprise")
    OFFICIAL = "official", _("recorded by an official")
    NONE = "", _("awaiting the ID card's reading")


class Employment(models.Model):
    # no index of their own: the (worker, entered_on) and (project, exited_on) indexes lead with them
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="employments", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="employments", db_index=False)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="employments")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="employments")
    trade = models.CharField(_("trade"), max_length=32)
    entered_on = models.DateField(_("entered on"))
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    # Until proven, an employment gives its enterprise nothing of the worker's: no personal data, no wage line,
    # no say over contacts or card (a rival typing a worker's ID number into its own roster gains nothing).
    proof = models.CharField(_("proof of presence"), max_length=12, choices=EmploymentProof.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmploymentQuerySet.as_manager()

    class Meta:
        ordering = ["project", "entered_on", "id"]
        indexes = [models.Index(fields=["worker", "entered_on"]), models.Index(fields=["project", "exited_on"])]
        verbose_name = _("employment")
        verbose_name_plural = _("employments")

    @property
    def is_open(self) -> bool:
        return self.exited_on is None


class WageBasis(models.TextChoices):
    DAILY = "daily", _("daily wage")
    MONTHLY = "monthly", _("monthly wage")
    PIECE_RATE = "piece_rate", _("piece rate")


def contract_upload_to(instance: "LabourContract", filename: str) -> str:
    return f"contracts/{instance.employment.project_id}/{instance.employment_id}/{filename}"


class LabourContract(models.Model):
    employment = models.ForeignKey(Employment, on_delete=models.PROTECT, related_name="contracts")
    signed_on = models.DateField(_("signed on"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    wage_basis = models.CharField(_("wage terms"), max_length=16, choices=WageBasis.choices)
    wage_rate = models.DecimalField(_("wage rate"), max_digits=10, decimal_places=2)
    pay_day = models.PositiveSmallIntegerField(_("pay day"))
    file = models.FileField(_("contract file"), upload_to=contract_upload_to, blank=True)
    file_type = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employment", "-signed_on"]
        verbose_name = _("labour contract")
        verbose_name_plural = _("labour contracts")


class ImportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("import", "waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("imported")
    FAILED = "failed", pgettext_lazy("import", "rejected")


class ImportJob(models.Model):
    """One Excel roster import: validated whole first, then all rows applied or none."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="import_jobs")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/")
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)  # rows applied only in part (e.g. a worker another enterprise registered)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class SignInCode(models.Model):
    """A one-time code texted to a worker's registered phone: valid 5 minutes, a few tries, used once. Only its
    HMAC is kept; the phone by its blind index."""

    phone_index = models.CharField(max_length=64)  # the phone's blind index (equality only: indexed in Meta)
    code_hash = models.CharField(max_length=64)
    address = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone_index"], name="signincode_phone_index")]
