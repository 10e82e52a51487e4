"""Write paths of the registry. Each public function is one transaction with its audit entry."""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric

from wageguard.core import access, audit, clock, events, files, rules, sms
from wageguard.core.errors import NotFound, PermissionDenied, ServiceError
from wageguard.core.models import Industry, Region, RegionLevel, Role
from wageguard.core.pii import blind_index
from wageguard.core.transactions import service, service_transaction

from .models import (
    ProjectShutdown,
    ShutdownReason,
    CardChangeStatus,
    CardChannel,
    Employment,
    EmploymentProof,
    Enterprise,
    EnterpriseKind,
    FilingStatus,
    IdCardReading,
    IdentityReview,
    LabourContract,
    Participation,
    ParticipationRole,
    Project,
    ProjectStatus,
    ReviewDecision,
    ReviewStatus,
    Sex,
    Team,
    WageBasis,
    WageCardChange,
    Worker,
)
from .validators import region_of_id_number, validate_bank_card, validate_id_number, validate_phone, validate_uscc

# ---------------------------------------------------------------- who may act (core.access)


def _roster_probe(project: Project, enterprise: Enterprise) -> Employment:
    """What `roster.manage` judges for a change not yet made: this enterprise's workers on this project."""
    return Employment(project=project, enterprise=enterprise)


# ---------------------------------------------------------------- enterprises


@service
def enterprise_register(
    *, actor, uscc: str, name: str, kind: str = EnterpriseKind.CONSTRUCTION, region: Region | None = None,
    legal_representative: str = "",
) -> Enterprise:
    code = validate_uscc(uscc)
    if not (name or "").strip():
        raise ServiceError("required", _("Enterprise name is required."), "name")
    if kind not in EnterpriseKind.values:
        raise ServiceError("invalid_choice", _("Unknown enterprise kind."), "kind")
    if Enterprise.objects.filter(uscc=code).exists():
        raise ServiceError("enterprise_exists", _("An enterprise with this unified social credit code is already registered."), "uscc")
    enterprise = Enterprise.objects.create(
        uscc=code, name=name.strip(), kind=kind, region=region, legal_representative=legal_representative
    )
    audit.record(actor=actor, action="registry.enterprise_register", obj=enterprise, after=audit.snapshot(enterprise))
    return enterprise


# ---------------------------------------------------------------- projects and onboarding


def _next_project_code(region: Region, year: int) -> str:
    prefix = f"{region.code}{year}"
    last = Project.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _decimal(value, field_name: str, *, places: int = 2) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError("invalid_number", _("Must be a number."), field_name)
    if number < 0:
        raise ServiceError("invalid_number", _("Must not be negative."), field_name)
    return number


@dataclass
class ProjectData:
    name: str
    region: Region
    industry: str
    owner: Enterprise
    general_contractor: Enterprise
    contract_amount: Decimal
    labour_cost_ratio: Decimal
    permit_no: str = ""
    started_on: datetime.date | None = None
    planned_end: datetime.date | None = None
    status: str = ProjectStatus.UNDER_CONSTRUCTION
    is_qualifying: bool = True
    code: str = ""


def _validated_project(data: ProjectData) -> dict:
    if not (data.name or "").strip():
        raise ServiceError("required", _("Project name is required."), "name")
    if data.region.level != RegionLevel.COUNTY:
        raise ServiceError("invalid_region", _("A project belongs to a county-level region."), "region")
    if data.industry not in Industry.values:
        raise ServiceError("invalid_choice", _("Unknown industry."), "industry")
    if data.status not in ProjectStatus.values:
        raise ServiceError("invalid_choice", _("Unknown project status."), "status")
    ratio = _decimal(data.labour_cost_ratio, "labour_cost_ratio", places=4)
    if not Decimal(0) < ratio <= Decimal(1):
        raise ServiceError("invalid_number", _("Labour-cost ratio must be between 0 and 1."), "labour_cost_ratio")
    if data.started_on and data.planned_end and data.planned_end < data.started_on:
        raise ServiceError("invalid_date", _("Planned end must not be before the start date."), "planned_end")
    if data.code and Project.objects.filter(code=data.code).exists():
        raise ServiceError("project_exists", _("A project with this code already exists."), "code")
    return {
        "code": data.code or _next_project_code(data.region, (data.started_on or clock.localdate()).year),
        "name": data.name.strip(),
        "region": data.region,
        "industry": data.industry,
        "owner": data.owner,
        "general_contractor": data.general_contractor,
        "contract_amount": _decimal(data.contract_amount, "contract_amount"),
        "labour_cost_ratio": ratio,
        "permit_no": data.permit_no,
        "started_on": data.started_on,
        "planned_end": data.planned_end,
        "status": data.status,
        "is_qualifying": data.is_qualifying,
    }


def _create_project(actor, data: ProjectData, filing_status: str, action: str) -> Project:
    project = Project.objects.create(filing_status=filing_status, **_validated_project(data))
    Participation.objects.create(project=project, enterprise=data.owner, role=ParticipationRole.OWNER)
    Participation.objects.create(project=project, enterprise=data.general_contractor, role=ParticipationRole.GENERAL_CONTRACTOR)
    audit.record(actor=actor, action=action, obj=project, after=audit.snapshot(project))
    _changed(project.pk)
    return project


def _changed(*project_ids) -> None:
    events.emit(events.REGISTRY_CHANGED, project_ids=set(project_ids))


@service
def project_file(*, actor, data: ProjectData) -> Project:
    """建档: the industry department of the county files a project."""
    access.require(actor, "project.file", Project(region=data.region, industry=data.industry))
    return _create_project(actor, data, FilingStatus.FILED, "registry.project_file")


@service
def project_propose(*, actor, data: ProjectData) -> Project:
    """The general contractor proposes its project; the department accepts it (project_accept)."""
    access.require(actor, "project.propose", data)
    return _create_project(actor, data, FilingStatus.PROPOSED, "registry.project_propose")


@service
def project_accept(*, actor, project: Project) -> Project:
    access.require(actor, "project.accept", project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.filing_status != FilingStatus.PROPOSED:
        raise ServiceError("invalid_state", _("Only a proposed project can be accepted."), "filing_status")
    before = audit.snapshot(project)
    project.filing_status = FilingStatus.FILED
    project.save(update_fields=["filing_status"])
    audit.record(actor=actor, action="registry.project_accept", obj=project, before=before, after=audit.snapshot(project))
    _changed(project.pk)
    return project


@service
def participation_add(*, actor, project: Project, enterprise: Enterprise, role: str) -> Participation:
    access.require(actor, "participation.add", project)
    if role not in (ParticipationRole.SUBCONTRACTOR, ParticipationRole.LABOUR_SUBCONTRACTOR):
        raise ServiceError("invalid_choice", _("Only subcontractors can be added to a filed project."), "role")
    participation, created = Participation.objects.get_or_create(project=project, enterprise=enterprise, role=role)
    if created:
        audit.record(actor=actor, action="registry.participation_add", obj=participation, after=audit.snapshot(participation))
    return participation


@service
def participation_review(*, actor, participation: Participation, approve: bool, reason: str = "") -> Participation:
    """审核: approve a participating enterprise's information or return it with a reason."""
    access.require(actor, "participation.review", participation.project)
    if not approve and not reason.strip():
        raise ServiceError("reason_required", _("A reason is required to return the information."), "reason")
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    before = audit.snapshot(participation)
    participation.review_status = ReviewStatus.APPROVED if approve else ReviewStatus.RETURNED
    participation.review_reason = reason.strip()
    participation.reviewed_by = actor
    participation.reviewed_at = clock.now()
    participation.save()
    audit.record(actor=actor, action="registry.participation_review", obj=participation, before=before,
                 after=audit.snapshot(participation), reason=reason)
    return participation


@service
def project_onboard(*, actor, project: Project) -> Project:
    """备案: the project counts as supervised from now on."""
    access.require(actor, "project.onboard", project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.filing_status != FilingStatus.FILED:
        raise ServiceError("invalid_state", _("Only a filed project that is not yet onboarded can be onboarded."), "filing_status")
    if project.participations.exclude(review_status=ReviewStatus.APPROVED).exists():
        raise ServiceError("review_pending", _("Every participating enterprise must be approved first."), "participations")
    before = audit.snapshot(project)
    project.filing_status = FilingStatus.ONBOARDED
    project.onboarded_at = clock.now()
    project.save(update_fields=["filing_status", "onboarded_at"])
    audit.record(actor=actor, action="registry.project_onboard", obj=project, before=before, after=audit.snapshot(project))
    _changed(project.pk)
    return project


@service
def team_create(*, actor, project: Project, enterprise: Enterprise, name: str, leader: Worker | None = None) -> Team:
    access.require(actor, "roster.manage", _roster_probe(project, enterprise))
    if not (name or "").strip():
        raise ServiceError("required", _("Team name is required."), "name")
    team, created = Team.objects.get_or_create(project=project, enterprise=enterprise, name=name.strip(), defaults={"leader": leader})
    if created:
        audit.record(actor=actor, action="registry.team_create", obj=team, after=audit.snapshot(team))
    return team


MAX_SHUTDOWN_DAYS = 92  # a longer stop is a suspension of the works (the project's status), not a shutdown
ENTERPRISE_SHUTDOWN_DAYS_A_YEAR = 92  # what a contractor may declare itself in a year; beyond, the department records it
SHUTDOWN_AHEAD_AT_MOST = 60  # days: a declaration is for a stop that is planned, not for the years to come
RECORD_BACK_AT_MOST = 31  # days: how far back the department records a stop (not to rewrite older alerts)


@service
def shutdown_declare(*, actor, project: Project, starts_on, ends_on, reason: str, note: str = "") -> ProjectShutdown:
    """停工申报: the days a project will not work, which the attendance rules then do not judge. The general contractor
    declares ahead — at least as many days before the first as a silence takes to become an alert, so that a gate
    that already fell silent cannot be declared away, at most 60 days ahead, at most 92 days of its own a year; the
    project's department records any stop, past days too (within a month)."""
    access.require(actor, "shutdown.declare", project)
    starts_on, ends_on = parse_date(starts_on, "starts_on"), parse_date(ends_on, "ends_on")
    if ends_on < starts_on:
        raise ServiceError("invalid", _("The last day is before the first day."), "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_SHUTDOWN_DAYS:
        raise ServiceError("too_long", _("A shutdown lasts at most %(days)d days; a longer stop is a suspension of the works.")
                           % {"days": MAX_SHUTDOWN_DAYS}, "ends_on")
    if reason not in ShutdownReason.values:
        raise ServiceError("invalid", _("Unknown reason."), "reason")
    if project.filing_status == FilingStatus.PROPOSED or project.status == ProjectStatus.COMPLETED:
        raise ServiceError("invalid_state", _("Only a project on the platform and not completed can declare a shutdown."), "project")
    today = clock.localdate()
    department = actor is None or access.is_admin(actor) or access.filing_official(actor, project)
    if department and starts_on < today - datetime.timedelta(days=RECORD_BACK_AT_MOST):
        raise ServiceError("too_late", _("Past days are recorded within %(days)d days.") % {"days": RECORD_BACK_AT_MOST}, "starts_on")
    if not department:
        _check_enterprise_declaration(project, starts_on, ends_on, today)
    Project.objects.select_for_update().get(pk=project.pk)  # one declaration of a project at a time
    clash = project.shutdowns.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if clash is not None:
        raise ServiceError("overlap", _("It overlaps the shutdown declared from %(first)s to %(last)s.")
                           % {"first": clash.starts_on, "last": clash.ends_on}, "starts_on")
    shutdown = ProjectShutdown.objects.create(project=project, starts_on=starts_on, ends_on=ends_on, reason=reason,
                                              note=(note or "").strip()[:200], declared_by=_user_or_none(actor), declared_at=clock.now())
    audit.record(actor=actor, action="registry.shutdown_declare", obj=shutdown, after=audit.snapshot(shutdown))
    return shutdown


def _check_enterprise_declaration(project: Project, starts_on: datetime.date, ends_on: datetime.date, today: datetime.date) -> None:
    notice = int(rules.value("alert.no_attendance_days", project.region))
    if starts_on < today + datetime.timedelta(days=notice):
        raise ServiceError("too_late", _("A shutdown is declared at least %(days)d days before its first day; past or nearer days are "
                                         "recorded by the project's department.") % {"days": notice}, "starts_on")
    if starts_on > today + datetime.timedelta(days=SHUTDOWN_AHEAD_AT_MOST):
        raise ServiceError("too_early", _("A shutdown is declared at most %(days)d days ahead.") % {"days": SHUTDOWN_AHEAD_AT_MOST},
                           "starts_on")
    declared = sum((s.ends_on - s.starts_on).days + 1 for s in project.shutdowns.filter(starts_on__year=starts_on.year)
                   .exclude(declared_by__department__isnull=False))
    if declared + (ends_on - starts_on).days + 1 > ENTERPRISE_SHUTDOWN_DAYS_A_YEAR:
        raise ServiceError("too_long", _("The general contractor declares at most %(days)d days of shutdown a year; more is recorded by "
                                         "the project's department.") % {"days": ENTERPRISE_SHUTDOWN_DAYS_A_YEAR}, "ends_on")


# ---------------------------------------------------------------- workers


READER_FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "id_number", "issuing_authority",
                 "valid_from", "valid_until", "photo")
SEX_WORDS = {"男": Sex.MALE, "女": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE, "m": Sex.MALE, "f": Sex.FEMALE}
LONG_TERM = {"长期", "long-term", "long_term", ""}


def parse_date(value, field_name: str, *, required: bool = True) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().replace(".", "-").replace("/", "-")
    if not text:
        if required:
            raise ServiceError("required", _("This date is required."), field_name)
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ServiceError("invalid_date", _("Date must be written as YYYY-MM-DD."), field_name)


@dataclass
class IdCard:
    """The facts of one resident ID card, checked against each other."""

    id_number: str
    name: str
    sex: str
    ethnicity: str
    birth_date: datetime.date
    address: str
    id_authority: str
    id_valid_from: datetime.date | None
    id_valid_until: datetime.date | None
    photo: str = ""

    @classmethod
    def from_payload(cls, payload: dict, *, today: datetime.date | None = None) -> "IdCard":
        if not isinstance(payload, dict):
            raise ServiceError("invalid_payload", _("The reader payload must be a JSON object."), "payload")
        number = validate_id_number(str(payload.get("id_number", "")))
        name = str(payload.get("name", "")).strip()
        if not name:
            raise ServiceError("required", _("Name is required."), "name")
        sex = SEX_WORDS.get(str(payload.get("sex", "")).strip().lower())
        if sex is None:
            raise ServiceError("invalid_choice", _("Sex must be 男 or 女."), "sex")
        if sex != (Sex.MALE if int(number[16]) % 2 else Sex.FEMALE):
            raise ServiceError("id_mismatch", _("Sex does not match the ID number."), "sex")
        birth = parse_date(payload.get("birth_date") or number[6:14], "birth_date")
        if birth != ric.get_birth_date(number):
            raise ServiceError("id_mismatch", _("Birth date does not match the ID number."), "birth_date")
        valid_until_raw = str(payload.get("valid_until", "")).strip()
        valid_until = None if valid_until_raw in LONG_TERM else parse_date(valid_until_raw, "valid_until")
        card = cls(
            id_number=number, name=name, sex=sex, ethnicity=str(payload.get("ethnicity", "")).strip(),
            birth_date=birth, address=str(payload.get("address", "")).strip(),
            id_authority=str(payload.get("issuing_authority", "")).strip(),
            id_valid_from=parse_date(payload.get("valid_from"), "valid_from", required=False),
            id_valid_until=valid_until, photo=str(payload.get("photo", "") or ""),
        )
        if card.id_valid_until and card.id_valid_until < (today or clock.localdate()):
            raise ServiceError("id_card_expired", _("The ID card expired on %(date)s.") % {"date": card.id_valid_until.isoformat()}, "valid_until")
        return card


def _native_place(number: str) -> str:
    return region_of_id_number(number).get("province", "")


IDENTITY_FIELDS = ("name", "sex", "ethnicity", "birth_date", "address", "id_authority", "id_valid_from", "id_valid_until")


def identity_differences(worker: Worker, card: IdCard) -> list[str]:
    """The registered identity's fields that a card's facts would change (a reading without a photo keeps it)."""
    fields = [name for name in IDENTITY_FIELDS if getattr(worker, name) != getattr(card, name)]
    if card.photo and card.photo != worker.photo:
        fields.append("photo")
    return fields


def _new_worker(actor, card: IdCard, action: str) -> Worker:
    worker = Worker(id_number=card.id_number, native_place=_native_place(card.id_number), photo=card.photo)
    for name in IDENTITY_FIELDS:
        setattr(worker, name, getattr(card, name))
    try:
        worker.save()
    except IntegrityError:
        # The same person registered by another request at this very moment. No savepoint is
        # kept per row (see core/transactions.py), so the transaction is lost: ask for a retry.
        raise ServiceError("concurrent_registration", _("This person was registered at the same moment elsewhere; please retry."),
                           "id_number", status=409)
    audit.record(actor=actor, action=action, obj=worker, after=audit.snapshot(worker))
    return worker


def _registered(actor, card: IdCard, action: str) -> tuple[Worker, bool]:
    """The worker with this ID number (locked), or a new one from the card. An existing identity is never changed
    here (not even a missing photo: a face is how gates recognise a worker)."""
    worker = Worker.objects.select_for_update().filter(id_number_index=blind_index(card.id_number)).first()
    if worker is None:
        return _new_worker(actor, card, action), True
    return worker, False


def _check_reading_size(raw: str, payload) -> None:
    """Refused before anything is kept: a reader payload is a few kilobytes, its photo (the chip's) at most 256 KB."""
    if len(raw.encode()) > settings.READING_MAX_BYTES:
        raise ServiceError("payload_too_large", _("The reading must not exceed %(kb)d KB.") % {"kb": settings.READING_MAX_BYTES // 1024},
                           "payload", status=413)
    photo = payload.get("photo") if isinstance(payload, dict) else None
    if photo and len(str(photo)) * 3 // 4 > settings.READING_PHOTO_MAX_BYTES:
        raise ServiceError("photo_too_large", _("The photo must not exceed %(kb)d KB.") % {"kb": settings.READING_PHOTO_MAX_BYTES // 1024},
                           "photo", status=413)


def _refused_today(actor, sender_key: str) -> int:
    start = timezone.make_aware(datetime.datetime.combine(clock.localdate(), datetime.time()))
    refused = IdCardReading.objects.filter(accepted=False, captured_at__gte=start)
    return (refused.filter(sender_key=sender_key) if sender_key else refused.filter(captured_by=_user_or_none(actor))).count()


def _review_region(project: Project | None, worker: Worker) -> Region:
    """Where a differing reading is reviewed: where the worker is known — the county of their latest proven
    employment (not the county a rival chose by reading the card on its own project) — else the county of the
    project it was read for, else the province."""
    latest = worker.employments.exclude(proof=EmploymentProof.NONE).select_related("project__region").order_by("-entered_on").first()
    if latest is not None:
        return latest.project.region
    return project.region if project is not None else Region.objects.get(level=RegionLevel.PROVINCE)


def worker_register_from_reading(*, actor, payload: dict, device_id: str = "", project: Project | None = None,
                                 sender_key: str = "") -> tuple[Worker, bool]:
    """Register a worker from an ID-card reader payload, keeping the raw payload; returns (worker, newly registered).

    Who: the staff of an enterprise on `project` (the project the worker is being employed on), a signed reader
    client whose scope the API has checked (`sender_key`), or the platform. A reading that differs from the
    registered identity changes nothing: it is kept and an `IdentityReview` waits for the county HRSS department.
    A refused reading (expired card, mismatching facts) is kept with its reason, up to a daily number per sender;
    an oversized one is not kept at all.
    """
    if not sender_key and getattr(actor, "pk", None):
        if project is None and not access.is_admin(actor):
            raise ServiceError("required", _("Name the project for which the card is read."), "project_code")
        if project is not None:
            access.require(actor, "worker.read_card", project)
    raw = json.dumps(payload, ensure_ascii=False, default=str) if isinstance(payload, dict) else str(payload)
    _check_reading_size(raw, payload)
    reading = IdCardReading(payload=raw, captured_by=_user_or_none(actor), device_id=str(device_id)[:64], sender_key=sender_key,
                            project=project)
    try:
        card = IdCard.from_payload(payload)
    except ServiceError as error:
        if _refused_today(actor, sender_key) >= settings.READING_REFUSALS_PER_DAY:
            raise ServiceError("too_many_refused", _("Too many refused readings today; contact the HRSS department."),
                               "payload", status=429) from None
        reading.accepted, reading.refusal_code, reading.refusal_reason = False, error.code, str(error.message)
        with transaction.atomic():
            reading.save()
        raise
    with service_transaction():
        worker, created = _registered(actor, card, "registry.worker_register")
        reading.worker = worker
        reading.save()
        differs = [] if created else identity_differences(worker, card)
        if differs:
            review = IdentityReview.objects.create(worker=worker, reading=reading, region=_review_region(project, worker),
                                                   project=project, fields=differs, requested_at=clock.now())
            audit.record(actor=actor, action="registry.identity_review_requested", obj=review,
                         after={"worker": worker.pk, "fields": differs})
        elif project is not None:  # the card, as registered, read at the project: its waiting employments are proven
            Employment.objects.filter(worker=worker, project=project, proof=EmploymentProof.NONE).update(proof=EmploymentProof.CARD_READ)
        _changed(*Employment.objects.filter(worker=worker).values_list("project_id", flat=True))  # real-name coverage
    return worker, created


@service
def identity_review_decide(*, actor, review: IdentityReview, approve: bool, reason: str = "") -> IdentityReview:
    """The county HRSS department applies a differing reading to the registered identity, or refuses it."""
    access.require(actor, "identity.review", review)
    review = IdentityReview.objects.select_for_update().select_related("reading").get(pk=review.pk)
    if review.status != ReviewDecision.PENDING:
        raise ServiceError("already_reviewed", _("This change has already been reviewed."), "status")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ServiceError("required", _("A rejection needs its reason."), "reason")
    review.status = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
    review.decided_by, review.decided_at, review.reason = _user_or_none(actor), clock.now(), reason
    review.save()
    if approve:
        worker = Worker.objects.select_for_update().get(pk=review.worker_id)
        before = audit.snapshot(worker)
        card = IdCard.from_payload(json.loads(review.reading.payload), today=datetime.date.min)
        for name in IDENTITY_FIELDS:
            setattr(worker, name, getattr(card, name))
        if card.photo:
            worker.photo = card.photo
        worker.save()
        audit.record(actor=actor, action="registry.identity_changed", obj=worker, before=before, after=audit.snapshot(worker),
                     reason=f"review {review.pk}")
    audit.record(actor=actor, action="registry.identity_review_decided", obj=review, after={"status": review.status}, reason=reason)
    return review


def identity_review_rows(review: IdentityReview) -> list[tuple[str, str, str, bool]]:
    """(field, registered, read, is_photo) for each differing field; the address masked; photos as base64, so that
    the reviewer compares the faces."""
    from wageguard.core.pii import mask

    card = IdCard.from_payload(json.loads(review.reading.payload), today=datetime.date.min)
    labels = {f.name: f.verbose_name for f in Worker._meta.fields}
    rows = []
    for name in review.fields:
        registered, read = getattr(review.worker, name), getattr(card, name)
        if name == "address":
            registered, read = mask(registered), mask(read)
        rows.append((str(labels.get(name, name)), "" if registered is None else str(registered), "" if read is None else str(read),
                     name == "photo"))
    return rows


def worker_from_import(actor, card: IdCard) -> tuple[Worker, bool, list[str]]:
    """An imported row's worker: new from the row, or the registered one unchanged (typed data never changes an
    identity; the differing fields are returned for the import's notes)."""
    worker, created = _registered(actor, card, "registry.worker_import")
    return worker, created, [] if created else identity_differences(worker, card)


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


# ---------------------------------------------------------------- contacts and wage cards


def _card_channel(actor, worker: Worker) -> str:
    if access.is_worker(actor) and actor.worker_id == worker.pk:
        return CardChannel.WORKER
    if access.is_enterprise_staff(actor):
        return CardChannel.ENTERPRISE
    return CardChannel.OFFICIAL  # an official, a platform admin or the platform itself


def _reauthenticate(actor, password: str | None) -> None:
    """A worker's own change of card needs their password again (a session left open is not enough)."""
    if not actor.check_password(password or ""):
        audit.record(actor=actor, action="core.reauthentication_failed", obj=actor)
        raise ServiceError("reauthentication_failed", _("The password is not correct."), "password")


def _apply_card(worker: Worker, change: WageCardChange, now) -> None:
    worker.bank_card, worker.bank_name = change.card, change.bank_name
    worker.save(update_fields=["bank_card", "bank_card_index", "bank_name", "updated_at"])
    change.status, change.decided_at = CardChangeStatus.EFFECTIVE, now
    change.save(update_fields=["status", "decided_at"])


@service
def card_change_request(*, actor, worker: Worker, card: str, bank_name: str = "", password: str | None = None) -> WageCardChange | None:
    """A wage card for a worker, by the worker (re-authenticated), an official, or an enterprise that employs them.
    A first card takes effect at once; an enterprise's change of an existing card only once the worker confirms
    it. Returns the change (None when the card is already theirs)."""
    access.require(actor, "worker.card_change", worker)
    number = validate_bank_card(card, "bank_card")
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if worker.bank_card == number:
        return None
    channel = _card_channel(actor, worker)
    if channel == CardChannel.WORKER:
        _reauthenticate(actor, password)
    now = clock.now()
    WageCardChange.objects.filter(worker=worker, status=CardChangeStatus.PENDING).update(status=CardChangeStatus.SUPERSEDED, decided_at=now)
    change = WageCardChange.objects.create(
        worker=worker, card=number, bank_name=(bank_name or "").strip(), previous_masked=worker.bank_card_masked,
        channel=CardChannel.FIRST if not worker.bank_card else channel, requested_at=now, requested_by=_user_or_none(actor),
        enterprise_id=actor.enterprise_id if channel == CardChannel.ENTERPRISE else None, status=CardChangeStatus.PENDING)
    if change.channel != CardChannel.ENTERPRISE:
        _apply_card(worker, change, now)
    audit.record(actor=actor, action="registry.card_change_requested", obj=change,
                 after={"worker": worker.pk, "card": change.card_masked, "previous": change.previous_masked, "channel": change.channel,
                        "status": change.status})
    return change


@service
def card_change_confirm(*, actor, change: WageCardChange, password: str | None, approve: bool = True) -> WageCardChange:
    """The worker confirms (re-authenticated) or rejects their employer's change of their wage card."""
    access.require(actor, "card.confirm", change)
    change = WageCardChange.objects.select_for_update().get(pk=change.pk)
    if change.status != CardChangeStatus.PENDING:
        raise ServiceError("not_pending", _("This change is no longer waiting for confirmation."), "status")
    now = clock.now()
    if approve:
        _reauthenticate(actor, password)
        _apply_card(Worker.objects.select_for_update().get(pk=change.worker_id), change, now)
    else:
        change.status, change.decided_at = CardChangeStatus.REJECTED, now
        change.save(update_fields=["status", "decided_at"])
    audit.record(actor=actor, action="registry.card_change_confirmed" if approve else "registry.card_change_rejected", obj=change,
                 after={"status": change.status, "card": change.card_masked})
    return change


@service
def worker_set_contact(*, actor, worker: Worker, phone: str | None = None, bank_card: str | None = None,
                       bank_name: str | None = None) -> Worker:
    """Phone (the employer or an official) and wage card (`card_change_request`'s rules)."""
    if phone is not None:
        access.require(actor, "worker.phone", worker)
        locked = Worker.objects.select_for_update().get(pk=worker.pk)
        before = audit.snapshot(locked, ["phone"])
        old_phone, locked.phone = locked.phone, validate_phone(phone) if phone else ""
        # An official's re-binding (it saw the worker) counts at once; an employer's change after a cooling-off, the
        # old number told (its owner can go to the labour inspection in time).
        by_employer = old_phone and locked.phone != old_phone and not access.is_official(actor) and actor is not None
        locked.phone_usable_from = clock.now() + PHONE_COOLING_OFF if by_employer else None
        locked.save(update_fields=["phone", "phone_index", "phone_usable_from", "updated_at"])
        if by_employer:
            transaction.on_commit(lambda: sms.sender().send(old_phone, _(
                "Your employer changed the mobile number registered for you on the wage platform. If this was not you, call 12333.")))
        audit.record(actor=actor, action="registry.worker_set_phone", obj=locked, before=before, after=audit.snapshot(locked, ["phone"]))
    if bank_card:
        card_change_request(actor=actor, worker=worker, card=bank_card, bank_name=bank_name or "")
    return Worker.objects.get(pk=worker.pk)


PII_FIELDS = {"id_number", "bank_card", "phone", "address"}
PHONE_COOLING_OFF = datetime.timedelta(hours=72)


@service
def worker_reveal(*, actor, worker: Worker, field_name: str) -> str:
    """An unmasked read: needs the permission and the scope, and is written to the audit log."""
    if field_name not in PII_FIELDS:
        raise ServiceError("invalid_choice", _("This field cannot be revealed."), "field")
    if not Worker.objects.visible_to(actor).filter(pk=worker.pk).exists():
        raise NotFound()
    access.require(actor, "worker.unmask", worker)
    audit.record(actor=actor, action="registry.worker_reveal", obj=worker, reason=field_name)
    return getattr(worker, field_name)


# ---------------------------------------------------------------- employment and contracts


@dataclass
class EntryResult:
    employment: Employment
    warnings: list[str] = field(default_factory=list)


def card_read_for(worker: Worker, project: Project) -> bool:
    """Whether the worker's ID card was read for this project, matching the registered identity (a reading that
    differs waits for review and proves nothing)."""
    return IdCardReading.objects.filter(worker=worker, project=project, accepted=True, review__isnull=True).exists()


def _proof(actor, worker: Worker, project: Project, registered: bool) -> str:
    if actor is None or access.is_admin(actor) or access.is_official(actor):
        return EmploymentProof.OFFICIAL
    if registered:
        return EmploymentProof.REGISTERED
    return EmploymentProof.CARD_READ if card_read_for(worker, project) else EmploymentProof.NONE


@service
def employment_enter(*, actor, worker: Worker, project: Project, enterprise: Enterprise, trade: str,
                     entered_on: datetime.date, team: Team | None = None,
                     exited_on: datetime.date | None = None, registered: bool = False) -> EntryResult:
    """进场. Overlap with another project is recorded and flagged, never refused. The employment is proven when the
    worker's card was read for the project (or `registered`: the same import created the worker, or an official
    records it); until then it gives its enterprise nothing of the worker's (warning `awaiting_card_reading`)."""
    access.require(actor, "roster.manage", _roster_probe(project, enterprise))
    if not project.participations.filter(enterprise=enterprise).exists():
        raise ServiceError("not_participating", _("The enterprise does not participate in this project."), "enterprise")
    if team is not None and (team.project_id != project.pk or team.enterprise_id != enterprise.pk):
        raise ServiceError("invalid_team", _("The team belongs to another project or enterprise."), "team")
    if not (trade or "").strip():
        raise ServiceError("required", _("Trade is required."), "trade")
    if exited_on and exited_on < entered_on:
        raise ServiceError("invalid_date", _("Exit date must not be before the entry date."), "exited_on")
    Worker.objects.select_for_update().filter(pk=worker.pk).exists()  # serialise entries of one worker
    same_project = Employment.objects.filter(worker=worker, project=project).filter(
        _overlaps(entered_on, exited_on)
    )
    if same_project.exists():
        raise ServiceError("already_employed", _("The worker is already on this project's roster for these days."), "entered_on")
    employment = Employment.objects.create(
        worker=worker, project=project, enterprise=enterprise, team=team, trade=trade.strip(),
        entered_on=entered_on, exited_on=exited_on, proof=_proof(actor, worker, project, registered),
    )
    warnings = []
    others = Employment.objects.filter(worker=worker).exclude(project=project).filter(_overlaps(entered_on, exited_on))
    if others.exists():
        warnings.append("worker_on_two_sites")
    if not employment.proof:
        warnings.append("awaiting_card_reading")
    audit.record(actor=actor, action="registry.employment_enter", obj=employment, after=audit.snapshot(employment),
                 reason=",".join(warnings))
    _changed(project.pk)
    return EntryResult(employment, warnings)


def _overlaps(start: datetime.date, end: datetime.date | None):
    from django.db.models import Q

    q = Q(exited_on__isnull=True) | Q(exited_on__gte=start)
    if end is not None:
        q &= Q(entered_on__lte=end)
    return q


@service
def employment_exit(*, actor, employment: Employment, exited_on: datetime.date) -> Employment:
    """退场."""
    access.require(actor, "roster.manage", employment)
    employment = Employment.objects.select_for_update().get(pk=employment.pk)
    if employment.exited_on is not None:
        raise ServiceError("already_exited", _("The worker has already exited this project."), "exited_on")
    if exited_on < employment.entered_on:
        raise ServiceError("invalid_date", _("Exit date must not be before the entry date."), "exited_on")
    before = audit.snapshot(employment)
    employment.exited_on = exited_on
    employment.save(update_fields=["exited_on"])
    audit.record(actor=actor, action="registry.employment_exit", obj=employment, before=before, after=audit.snapshot(employment))
    _changed(employment.project_id)
    return employment


@service
def contract_attach(*, actor, employment: Employment, signed_on: datetime.date, wage_basis: str, wage_rate,
                    pay_day: int, term_end: datetime.date | None = None, upload=None) -> LabourContract:
    access.require(actor, "roster.manage", employment)
    if wage_basis not in WageBasis.values:
        raise ServiceError("invalid_choice", _("Wage terms must be daily, monthly or piece rate."), "wage_basis")
    rate = _decimal(wage_rate, "wage_rate")
    if rate <= 0:
        raise ServiceError("invalid_number", _("Wage rate must be above zero."), "wage_rate")
    try:
        pay_day = int(pay_day)
    except (TypeError, ValueError):
        raise ServiceError("invalid_number", _("Pay day must be a day of the month (1-31)."), "pay_day")
    if not 1 <= pay_day <= 31:
        raise ServiceError("invalid_number", _("Pay day must be a day of the month (1-31)."), "pay_day")
    if term_end and term_end < signed_on:
        raise ServiceError("invalid_date", _("Contract end must not be before it was signed."), "term_end")
    contract = LabourContract(employment=employment, signed_on=signed_on, term_end=term_end, wage_basis=wage_basis,
                              wage_rate=rate, pay_day=pay_day)
    if upload is not None:
        accepted = files.accept(upload, "contract", _("The contract file"))
        contract.file_type, contract.file_size = accepted.content_type, accepted.size
        contract.file.save(accepted.name, upload, save=False)
    contract.save()
    audit.record(actor=actor, action="registry.contract_attach", obj=contract, after=audit.snapshot(contract))
    _changed(employment.project_id)
    return contract


# ---------------------------------------------------------------- imports

@service
def roster_import_start(*, actor, project: Project, upload) -> "ImportJob":
    """Keep the uploaded workbook and queue its import; progress is shown while it runs."""
    from .models import ImportJob
    from .tasks import run_roster_import

    access.require(actor, "roster.manage", project)
    accepted = files.accept(upload, "roster_import", _("The roster file"))
    job = ImportJob(project=project, uploaded_by=actor)
    job.file.save(accepted.name, upload, save=False)
    job.save()
    audit.record(actor=actor, action="registry.roster_import_start", obj=job, after=audit.snapshot(job))
    transaction.on_commit(lambda: run_roster_import(job.pk))
    return job


@service
def roster_export_record(*, actor, project: Project) -> None:
    """An unmasked export is an unmasked read of every row: one audit entry for the file."""
    if not access.may_unmask(actor):
        raise PermissionDenied(_("You do not have permission to read personal data unmasked."))
    audit.record(actor=actor, action="registry.roster_export_unmasked", obj=project)


@service
def enterprise_get_or_register(*, actor, uscc: str, name: str = "", field: str = "uscc", kind: str = EnterpriseKind.CONSTRUCTION) -> Enterprise:
    """The enterprise with this USCC, registering it when a name is given and it is new."""
    code = validate_uscc(uscc, field)
    enterprise = Enterprise.objects.filter(uscc=code).first()
    if enterprise is not None:
        return enterprise
    if not (name or "").strip():
        raise ServiceError("enterprise_unknown", _("This enterprise is not registered yet; give its name to register it."), field)
    return enterprise_register(actor=actor, uscc=code, name=name, kind=kind)


@service
def project_create(*, actor, owner_uscc: str, owner_name: str, contractor_uscc: str, contractor_name: str,
                   **fields) -> Project:
    """The console's new-project form: a department files it, a general contractor proposes it."""
    owner = enterprise_get_or_register(actor=actor, uscc=owner_uscc, name=owner_name, field="owner_uscc",
                                       kind=EnterpriseKind.DEVELOPER)
    contractor = enterprise_get_or_register(actor=actor, uscc=contractor_uscc, name=contractor_name, field="contractor_uscc")
    data = ProjectData(owner=owner, general_contractor=contractor, **fields)
    if actor.role == Role.ENTERPRISE_ADMIN:
        return project_propose(actor=actor, data=data)
    return project_file(actor=actor, data=data)


@service
def participation_add_by_uscc(*, actor, project: Project, uscc: str, name: str, role: str) -> Participation:
    enterprise = enterprise_get_or_register(actor=actor, uscc=uscc, name=name, kind=EnterpriseKind.LABOUR_SERVICE
                                            if role == ParticipationRole.LABOUR_SUBCONTRACTOR else EnterpriseKind.CONSTRUCTION)
    return participation_add(actor=actor, project=project, enterprise=enterprise, role=role)
