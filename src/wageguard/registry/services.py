"""Write paths of the registry. Each public function is one transaction with its audit entry."""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction

from wageguard.core.transactions import service, service_transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core import access, audit
from wageguard.core.files import check_document
from wageguard.core.errors import NotFound, PermissionDenied, ServiceError
from wageguard.core.models import Industry, Region, RegionLevel, Role
from wageguard.core.pii import blind_index

from .models import (
    Employment,
    Enterprise,
    EnterpriseKind,
    FilingStatus,
    IdCardReading,
    LabourContract,
    Participation,
    ParticipationRole,
    Project,
    ProjectStatus,
    ReviewStatus,
    Sex,
    Team,
    WageBasis,
    Worker,
)
from .validators import region_of_id_number, validate_bank_card, validate_id_number, validate_phone, validate_uscc
from stdnum.cn import ric


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
        "code": data.code or _next_project_code(data.region, (data.started_on or timezone.localdate()).year),
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
    return project


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
    participation.reviewed_at = timezone.now()
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
    project.onboarded_at = timezone.now()
    project.save(update_fields=["filing_status", "onboarded_at"])
    audit.record(actor=actor, action="registry.project_onboard", obj=project, before=before, after=audit.snapshot(project))
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
        if card.id_valid_until and card.id_valid_until < (today or timezone.localdate()):
            raise ServiceError("id_card_expired", _("The ID card expired on %(date)s.") % {"date": card.id_valid_until.isoformat()}, "valid_until")
        return card


def _native_place(number: str) -> str:
    return region_of_id_number(number).get("province", "")


def _upsert_worker(actor, card: IdCard, action: str) -> tuple[Worker, bool]:
    worker = Worker.objects.select_for_update().filter(id_number_index=blind_index(card.id_number)).first()
    created = worker is None
    before = None if created else audit.snapshot(worker)
    worker = worker or Worker(id_number=card.id_number)
    for name in ("name", "sex", "ethnicity", "birth_date", "address", "id_authority", "id_valid_from", "id_valid_until"):
        setattr(worker, name, getattr(card, name))
    if card.photo:
        worker.photo = card.photo
    worker.native_place = _native_place(card.id_number)
    try:
        worker.save()
    except IntegrityError:
        # The same person registered by another request at this very moment. No savepoint is
        # kept per row (see core/transactions.py), so the transaction is lost: ask for a retry.
        raise ServiceError("concurrent_registration", _("This person was registered at the same moment elsewhere; please retry."),
                           "id_number", status=409)
    audit.record(actor=actor, action=action, obj=worker, before=before, after=audit.snapshot(worker))
    return worker, created


def worker_register_from_reading(*, actor, payload: dict, device_id: str = "") -> tuple[Worker, bool]:
    """Register (or update) a worker from an ID-card reader payload, keeping the raw payload.

    A refused reading (expired card, mismatching facts) is still kept, with its reason, so that
    officials can see attempts; the error is then raised to the caller.
    """
    raw = json.dumps(payload, ensure_ascii=False, default=str) if isinstance(payload, dict) else str(payload)
    try:
        card = IdCard.from_payload(payload)
    except ServiceError as error:
        with transaction.atomic():
            IdCardReading.objects.create(
                payload=raw, captured_by=_user_or_none(actor),
                device_id=device_id, accepted=False, refusal_code=error.code, refusal_reason=str(error.message),
            )
        raise
    with service_transaction():
        worker, created = _upsert_worker(actor, card, "registry.worker_register")
        IdCardReading.objects.create(
            payload=raw, worker=worker, captured_by=_user_or_none(actor),
            device_id=device_id,
        )
    return worker, created


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


@service
def worker_set_contact(*, actor, worker: Worker, phone: str | None = None, bank_card: str | None = None,
                       bank_name: str | None = None) -> Worker:
    """Phone and wage card. A card's holder is confirmed by the bank later (payroll checks)."""
    if not (actor.is_platform_admin or Worker.objects.visible_to(actor).filter(pk=worker.pk).exists()):
        raise NotFound()
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    before = audit.snapshot(worker)
    if phone is not None:
        worker.phone = validate_phone(phone) if phone else ""
    if bank_card is not None:
        worker.bank_card = validate_bank_card(bank_card) if bank_card else ""
    if bank_name is not None:
        worker.bank_name = bank_name.strip()
    worker.save()
    audit.record(actor=actor, action="registry.worker_set_contact", obj=worker, before=before, after=audit.snapshot(worker))
    return worker


PII_FIELDS = {"id_number", "bank_card", "phone", "address"}


@service
def worker_reveal(*, actor, worker: Worker, field_name: str) -> str:
    """An unmasked read: needs the permission and the scope, and is written to the audit log."""
    if field_name not in PII_FIELDS:
        raise ServiceError("invalid_choice", _("This field cannot be revealed."), "field")
    if not Worker.objects.visible_to(actor).filter(pk=worker.pk).exists():
        raise NotFound()
    if not actor.has_perm("core.unmask_pii"):
        raise PermissionDenied(_("You do not have permission to read personal data unmasked."), field_name)
    audit.record(actor=actor, action="registry.worker_reveal", obj=worker, reason=field_name)
    return getattr(worker, field_name)


# ---------------------------------------------------------------- employment and contracts


@dataclass
class EntryResult:
    employment: Employment
    warnings: list[str] = field(default_factory=list)


@service
def employment_enter(*, actor, worker: Worker, project: Project, enterprise: Enterprise, trade: str,
                     entered_on: datetime.date, team: Team | None = None,
                     exited_on: datetime.date | None = None) -> EntryResult:
    """进场. Overlap with another project is recorded and flagged, never refused."""
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
        entered_on=entered_on, exited_on=exited_on,
    )
    warnings = []
    others = Employment.objects.filter(worker=worker).exclude(project=project).filter(_overlaps(entered_on, exited_on))
    if others.exists():
        warnings.append("worker_on_two_sites")
    audit.record(actor=actor, action="registry.employment_enter", obj=employment, after=audit.snapshot(employment),
                 reason=",".join(warnings))
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
    return employment


def _check_contract_file(upload) -> str:
    return check_document(upload, _("The contract file"))


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
        contract.file_type = _check_contract_file(upload)
        contract.file_size = upload.size
        ext = settings.CONTRACT_FILE_TYPES[contract.file_type]
        contract.file.save(f"contract-{employment.pk}-{signed_on:%Y%m%d}{ext}", upload, save=False)
    contract.save()
    audit.record(actor=actor, action="registry.contract_attach", obj=contract, after=audit.snapshot(contract))
    return contract


# ---------------------------------------------------------------- imports

XLSX_MAGIC = b"PK\x03\x04"


@service
def roster_import_start(*, actor, project: Project, upload) -> "ImportJob":
    """Keep the uploaded workbook and queue its import; progress is shown while it runs."""
    from .models import ImportJob
    from .tasks import run_roster_import

    access.require(actor, "roster.manage", project)
    head = upload.read(4)
    upload.seek(0)
    if head != XLSX_MAGIC:
        raise ServiceError("invalid_file", _("The file is not a readable Excel (.xlsx) workbook."), "file")
    job = ImportJob(project=project, uploaded_by=actor)
    job.file.save(f"roster-{project.pk}-{timezone.now():%Y%m%d%H%M%S}.xlsx", upload, save=False)
    job.save()
    audit.record(actor=actor, action="registry.roster_import_start", obj=job, after=audit.snapshot(job))
    transaction.on_commit(lambda: run_roster_import(job.pk))
    return job


@service
def roster_export_record(*, actor, project: Project) -> None:
    """An unmasked export is an unmasked read of every row: one audit entry for the file."""
    if not actor.has_perm("core.unmask_pii"):
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
