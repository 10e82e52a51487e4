"""Who may do what, written once: role predicates, the data scope, and the capabilities that views, the
navigation and services all check (docs/security.md).

- **Scope** (`*_q(user, via)`): a `Q` filter for the rows a person may read, given the path from the model to
  the project (`via="project"` for a row with a project foreign key). Every selector that returns data to a
  person applies one of them; an id outside the scope is a 404, never a 403 that would confirm it exists.
- **Capabilities** (`can`, `require`): what a person may do, by role and, given an object, by scope. A write
  service calls `require(actor, "payroll.confirm", payroll)` itself; a view declares the capability of its
  route with `@route(...)` (an impossible role gets a 404 there, before any lookup); the navigation reads
  `nav(user)`. `actor=None` is the platform itself (tasks, the simulator, the CLI).

Core may not import the apps (the arrows point down), so relations are written as lookups and the few
subqueries name their models through the app registry.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import PermissionDenied
from .models import AGENCY_INDUSTRIES, INDUSTRY_AGENCY, Agency, Role

NOTHING = Q(pk__in=[])
EVERYTHING = Q()
STAFF_ROLES = (Role.ENTERPRISE_ADMIN, Role.WAGE_OFFICER)


# ---------------------------------------------------------------- role predicates


def is_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_platform_admin)


def agency(user) -> str | None:
    """The agency of an official's (or the police's) department."""
    if user is None or not user.is_authenticated or user.role not in (Role.OFFICIAL, Role.POLICE) or not user.department_id:
        return None
    return user.department.agency


def is_official(user, *agencies: str) -> bool:
    """A department official (not the police), of one of `agencies` when given."""
    return bool(user is not None and user.is_authenticated and user.role == Role.OFFICIAL and user.department_id
                and (not agencies or user.department.agency in agencies))


def is_staff_of(user, enterprise_id) -> bool:
    """Enterprise staff (admin or wage officer) of this enterprise."""
    return bool(user is not None and user.is_authenticated and user.role in STAFF_ROLES and user.enterprise_id
                and user.enterprise_id == enterprise_id)


def is_enterprise_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role in STAFF_ROLES and user.enterprise_id)


def is_bank_operator(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role == Role.BANK_OPERATOR and user.bank_code)


def is_worker(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role == Role.WORKER and user.worker_id)


def sees_personal_data(user) -> bool:
    """Names, ID numbers, cards: not PBOC (which supervises money, not people), not the police (until a package
    is approved), not bank operators' console (their systems get what they pay over the signed API)."""
    if is_admin(user):
        return True
    if user is None or not user.is_authenticated or user.role in (Role.BANK_OPERATOR, Role.POLICE):
        return False
    return not is_official(user, Agency.PBOC)


def may_unmask(user) -> bool:
    """Unmasked personal data (each read audited): the permission, and a role that sees personal data at all."""
    return bool(user is not None and user.is_authenticated and user.has_perm("core.unmask_pii") and sees_personal_data(user))


def _region_prefix(user) -> str:
    return user.department.region.subtree_prefix


def in_region(user, region_code: str) -> bool:
    """The official's department region contains this region (GB/T 2260 codes nest)."""
    return bool(user.department_id and region_code.startswith(_region_prefix(user)))


# ---------------------------------------------------------------- scope


def _path(via: str, name: str) -> str:
    return f"{via}__{name}" if via else name


def _model(label: str):
    return apps.get_model(label)


def project_q(user, via: str = "") -> Q:
    """Projects a person may see: officials their region's subtree and their agency's industries (HRSS and PBOC
    all); enterprise staff the projects their enterprise takes part in (a wage officer their one project); a
    worker the projects they are employed on; bank operators and the police none."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    pk = _path(via, "pk")
    if user.role in (Role.OFFICIAL, Role.POLICE):
        industries = AGENCY_INDUSTRIES[user.department.agency] if user.department_id else ()
        if not industries:
            return NOTHING
        return Q(**{_path(via, "region__code__startswith"): _region_prefix(user), _path(via, "industry__in"): industries})
    if is_enterprise_staff(user):
        takes_part = Exists(_model("registry.Participation").objects.filter(project_id=OuterRef(pk), enterprise_id=user.enterprise_id))
        if user.role == Role.WAGE_OFFICER:
            return Q(takes_part, **{pk: user.project_id}) if user.project_id else NOTHING
        return Q(takes_part)
    if is_worker(user):
        return Q(Exists(_model("registry.Employment").objects.filter(project_id=OuterRef(pk), worker_id=user.worker_id)))
    return NOTHING


def employment_q(user, via: str = "") -> Q:
    """Employments (and through them workers' personal data): officials who see personal data, those of their
    projects; the general contractor the whole roster of its projects, a subcontractor its own workers (a wage
    officer on their project) — only proven employments (the card read for the project, or the enterprise
    registered the worker): typing a worker's ID number into one's own roster reveals nothing of them; a worker
    their own."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role in (Role.OFFICIAL, Role.POLICE):
        return project_q(user, _path(via, "project")) if sees_personal_data(user) else NOTHING
    if is_enterprise_staff(user):
        own = Q(**{_path(via, "enterprise_id"): user.enterprise_id}) | Q(**{_path(via, "project__general_contractor_id"): user.enterprise_id})
        own &= ~Q(**{_path(via, "proof"): ""})
        if user.role == Role.WAGE_OFFICER:
            return own & Q(**{_path(via, "project_id"): user.project_id}) if user.project_id else NOTHING
        return own
    if is_worker(user):
        return Q(**{_path(via, "worker_id"): user.worker_id})
    return NOTHING


def worker_q(user) -> Q:
    """Workers: a worker themselves; everyone else those with an employment they may see."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role == Role.WORKER:
        return Q(pk=user.worker_id) if user.worker_id else NOTHING
    employments = _model("registry.Employment").objects.filter(employment_q(user), worker_id=OuterRef("pk"))
    return Q(Exists(employments))


def enterprise_q(user) -> Q:
    """Enterprises: staff their own; others those taking part in a project they see."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role in STAFF_ROLES:
        return Q(pk=user.enterprise_id) if user.enterprise_id else NOTHING
    participations = _model("registry.Participation").objects.filter(project_q(user, "project"), enterprise_id=OuterRef("pk"))
    return Q(Exists(participations))


def payroll_q(user, via: str = "") -> Q:
    """Wage ledgers: officials those of their projects; an enterprise its own, and as general contractor every
    ledger of its projects (a wage officer on their project); a bank operator those addressed to its bank
    (totals only: see `sees_lines`); workers (payslips are their own lines) and the police none."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role == Role.OFFICIAL:
        return project_q(user, _path(via, "project"))
    if is_enterprise_staff(user):
        own = Q(**{_path(via, "enterprise_id"): user.enterprise_id}) | Q(**{_path(via, "project__general_contractor_id"): user.enterprise_id})
        if user.role == Role.WAGE_OFFICER:
            return own & Q(**{_path(via, "project_id"): user.project_id}) if user.project_id else NOTHING
        return own
    if is_bank_operator(user):
        accounts = paying_accounts().filter(bank__code=user.bank_code, project_id=OuterRef(_path(via, "project_id")))
        return Q(Exists(accounts))
    return NOTHING


def paying_accounts():
    """The accounts that pay ledgers: confirmed by the project's side and not closed."""
    return _model("accounts.WageAccount").objects.filter(confirmed_at__isnull=False).exclude(status="closed")


def sees_lines(user) -> bool:
    """Ledger lines carry names and cards."""
    return sees_personal_data(user)


def account_q(user, via: str = "") -> Q:
    """Dedicated accounts: a bank operator its own bank's; officials and enterprises those of their projects."""
    if not user.is_authenticated or user.role in (Role.WORKER, Role.POLICE):
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role == Role.BANK_OPERATOR:
        return Q(**{_path(via, "bank__code"): user.bank_code}) if user.bank_code else NOTHING
    return project_q(user, _path(via, "project"))


def deposit_q(user) -> Q:
    """Wage deposits: officials and enterprises those of their projects; banks, workers and the police none."""
    if not user.is_authenticated or user.role in (Role.WORKER, Role.POLICE, Role.BANK_OPERATOR):
        return NOTHING
    return project_q(user, "project")


def identity_review_q(user) -> Q:
    """Identity changes waiting for review: the HRSS departments whose region contains the county of the reading."""
    if is_admin(user):
        return EVERYTHING
    return Q(region__code__startswith=_region_prefix(user)) if is_official(user, Agency.HRSS) else NOTHING


def card_change_q(user) -> Q:
    """Wage card changes: of the workers a person may see (a worker their own)."""
    if is_admin(user):
        return EVERYTHING
    if not user.is_authenticated:
        return NOTHING
    return Q(Exists(_model("registry.Worker").objects.filter(worker_q(user), pk=OuterRef("worker_id"))))


# Alerts about the money in the dedicated account: all that PBOC sees.
ACCOUNT_RULES = ("account_not_opened", "labour_cost_missing", "labour_cost_late", "labour_cost_low", "account_misuse", "deposit_missing")


def alert_q(user) -> Q:
    """Alerts: officials those of their region's subtree and agency's industries (PBOC only the account rules);
    an enterprise those about itself or, with no enterprise named, about projects it contracts generally (a
    wage officer on their project); workers, banks and the police none."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role == Role.OFFICIAL and user.department_id:
        q = Q(region__code__startswith=_region_prefix(user), industry__in=AGENCY_INDUSTRIES[user.department.agency])
        return q & Q(rule__in=ACCOUNT_RULES) if user.department.agency == Agency.PBOC else q
    if is_enterprise_staff(user):
        own = Q(enterprise_id=user.enterprise_id) | Q(enterprise__isnull=True, project__general_contractor_id=user.enterprise_id)
        if user.role == Role.WAGE_OFFICER:
            return own & Q(project_id=user.project_id) if user.project_id else NOTHING
        return own
    return NOTHING


# Which agencies decide each kind of credit record: HRSS the wage records (arrears, the joint-punishment blacklist,
# major violations, malicious claims); the industry departments the market ban; any supervising department a
# commendation. (Names as strings: core may not import the credit app.)
CREDIT_KIND_AGENCIES: dict[str, tuple[str, ...]] = {
    "arrears_found": (Agency.HRSS,), "arrears_settled": (Agency.HRSS,), "blacklist": (Agency.HRSS,),
    "major_violation": (Agency.HRSS,), "malicious_claim": (Agency.HRSS,),
    "market_ban": (Agency.HOUSING, Agency.TRANSPORT, Agency.WATER),
    "commendation": (Agency.HRSS, Agency.HOUSING, Agency.TRANSPORT, Agency.WATER),
}


def credit_record_q(user) -> Q:
    """Credit records: officials (not the police) those decided by a department of their region's subtree; the
    party its own once notified to it (an enterprise's admin and staff, a worker); banks and the police none
    (the public sees the published ones on the public pages)."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if is_official(user):
        mine = Q(department__region__code__startswith=_region_prefix(user))
        return mine if sees_personal_data(user) else mine & Q(worker__isnull=True)  # a person's record is personal data
    notified = Q(objection_due_on__isnull=False)
    if is_enterprise_staff(user):
        return notified & Q(enterprise_id=user.enterprise_id)
    if is_worker(user):
        return notified & Q(worker_id=user.worker_id)
    return NOTHING


def enterprise_rating_q(user) -> Q:
    """Credit ratings: officials (not the police) those of enterprises registered in their region or taking part
    in a project they see; enterprise staff their own; nobody else."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if is_official(user):
        seen = _model("registry.Enterprise").objects.filter(enterprise_q(user)).values("pk")
        return Q(enterprise__region__code__startswith=_region_prefix(user)) | Q(enterprise_id__in=seen)
    if is_enterprise_staff(user):
        return Q(enterprise_id=user.enterprise_id)
    return NOTHING


def evidence_q(user) -> Q:
    """Evidence requests: the police those of their department or below; HRSS officials those of police
    departments in their region (they approve them); nobody else."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if user.role == Role.POLICE and agency(user) == Agency.POLICE:
        return Q(department__region__code__startswith=_region_prefix(user))
    if is_official(user, Agency.HRSS):
        return Q(department__region__code__startswith=_region_prefix(user))
    return NOTHING


def complaint_q(user) -> Q:
    """Complaints: officials of the labour inspection (HRSS) and of the copied industry department of the complaint's
    region or above; the enterprise named (its admin; a wage officer on their project); the worker their own."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_platform_admin:
        return EVERYTHING
    if is_official(user):
        agency_of = user.department.agency
        in_area = Q(region__code__startswith=_region_prefix(user))
        return in_area if agency_of == Agency.HRSS else in_area & Q(copied__agency=agency_of)
    if is_enterprise_staff(user):
        named = Q(enterprise_id=user.enterprise_id)
        return named & Q(project_id=user.project_id) if user.role == Role.WAGE_OFFICER else named
    if is_worker(user):
        return Q(worker_id=user.worker_id)
    return NOTHING


# ---------------------------------------------------------------- capabilities (role × scope)


def _project_of(obj):
    """The project an object belongs to: a project, or a row with a project (through its payroll, deposit or
    employment)."""
    if obj._meta.label_lower == "registry.project":
        return obj
    names = {f.name for f in obj._meta.fields}
    for name in ("project", "payroll", "deposit", "employment"):
        if name in names:
            return _project_of(getattr(obj, name))
    raise TypeError(f"{obj._meta.label} has no project")


def filing_official(user, obj) -> bool:
    """The industry department responsible for the project's county (or a level above it)."""
    project = _project_of(obj)
    return is_official(user, INDUSTRY_AGENCY[project.industry]) and in_region(user, project.region.code)


def hrss_official_over(user, obj) -> bool:
    """An HRSS official whose region contains the project's county."""
    project = _project_of(obj)
    return is_official(user, Agency.HRSS) and in_region(user, project.region.code)


def enterprise_acts_on(user, project, enterprise_id=None) -> bool:
    """Enterprise staff act for their own enterprise on its projects (a wage officer on their one project); the
    general contractor for the whole project. Not on a project its department has not accepted yet (a proposal
    anyone could make, in any county)."""
    if not is_enterprise_staff(user) or project.filing_status == "proposed":
        return False
    if user.role == Role.WAGE_OFFICER and user.project_id != project.pk:
        return False
    if not _model("registry.Participation").objects.filter(project_id=project.pk, enterprise_id=user.enterprise_id).exists():
        return False
    return enterprise_id is None or user.enterprise_id in (enterprise_id, project.general_contractor_id)


def _roster(user, obj) -> bool:
    """Manage a roster: obj is a project (any of the enterprise's workers on it) or an employment."""
    if hasattr(obj, "worker_id"):
        return enterprise_acts_on(user, obj.project, obj.enterprise_id)
    return enterprise_acts_on(user, _project_of(obj))


def prepares_payroll(user, payroll) -> bool:
    """The enterprise's own admin, or its wage officer on the ledger's project."""
    if not is_staff_of(user, payroll.enterprise_id):
        return False
    return user.role == Role.ENTERPRISE_ADMIN or user.project_id == payroll.project_id


def gc_officer(user, obj) -> bool:
    """The general contractor's admin, or its wage officer on this project."""
    project = _project_of(obj)
    if not is_staff_of(user, project.general_contractor_id):
        return False
    return user.role == Role.ENTERPRISE_ADMIN or user.project_id == project.pk


def _payroll_of(obj):
    return obj.payroll if hasattr(obj, "payroll_id") else obj


def handles_alert(user, alert) -> bool:
    """Officials of the department handling the alert now, or above it in the same agency."""
    department = alert.department
    return is_official(user, department.agency) and in_region(user, department.region.code)


def answers_alert(user, alert) -> bool:
    return is_enterprise_staff(user) and type(alert).objects.filter(alert_q(user), pk=alert.pk).exists()


def employs_worker(user, worker) -> bool:
    """Staff of an enterprise that employs the worker now — a proven employment, not ended, of the enterprise or
    on a project it contracts generally (a wage officer: on their project)."""
    import datetime

    from .clock import localdate

    if not is_enterprise_staff(user):
        return False
    current = Q(exited_on__isnull=True) | Q(exited_on__gte=localdate() - datetime.timedelta(days=31))  # a leaver's last pay
    employments = _model("registry.Employment").objects.filter(current, worker_id=worker.pk).exclude(proof="").filter(
        Q(enterprise_id=user.enterprise_id) | Q(project__general_contractor_id=user.enterprise_id))
    if user.role == Role.WAGE_OFFICER:
        employments = employments.filter(project_id=user.project_id)
    return employments.exists()


def official_over_worker(user, worker) -> bool:
    """An HRSS official over one of the worker's employments (the department that answers for wages)."""
    return is_official(user, Agency.HRSS) and type(worker).objects.filter(worker_q(user), pk=worker.pk).exists()


def reviews_identity(user, review) -> bool:
    """The HRSS department of the county where the differing reading was taken, or above it."""
    return is_official(user, Agency.HRSS) and in_region(user, review.region.code)


def decides_credit(user, record) -> bool:
    """Officials of the record's deciding agency, in its department's region or above."""
    department = record.department
    return is_official(user, department.agency) and in_region(user, department.region.code)


def proposes_credit(user, record) -> bool:
    """An official of an agency that decides this kind, for a department of their region."""
    return record.department.agency in CREDIT_KIND_AGENCIES.get(record.kind, ()) and decides_credit(user, record)


def party_of_record(user, record) -> bool:
    """The party itself: the enterprise's admin, or the worker."""
    if record.enterprise_id:
        return user.role == Role.ENTERPRISE_ADMIN and is_staff_of(user, record.enterprise_id)
    return bool(record.worker_id) and is_worker(user) and user.worker_id == record.worker_id


def is_police(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role == Role.POLICE and agency(user) == Agency.POLICE)


def approves_evidence(user, request) -> bool:
    """HRSS of the requesting police department's region or above."""
    return is_official(user, Agency.HRSS) and in_region(user, request.department.region.code)


def handles_complaint(user, complaint) -> bool:
    """The labour inspection (HRSS) handling it now, or above it."""
    return is_official(user, Agency.HRSS) and in_region(user, complaint.department.region.code)


@dataclass(frozen=True)
class Capability:
    roles: tuple[str, ...]                              # the roles that may ever do it (platform admins always)
    allows: Callable[[object, object], bool] | None     # and on this object: role × scope
    message: object = gettext_lazy("You may not do this.")


def _roles(*roles) -> tuple[str, ...]:
    return tuple(roles)


OFFICIAL_ONLY = _roles(Role.OFFICIAL)
STAFF = _roles(*STAFF_ROLES)
GC_ADMIN = _roles(Role.ENTERPRISE_ADMIN)

CAPABILITIES: dict[str, Capability] = {
    # registry
    "project.file": Capability(OFFICIAL_ONLY, filing_official, gettext_lazy("Only the industry department of the project's region may do this.")),
    "project.propose": Capability(GC_ADMIN, lambda u, data: u.role == Role.ENTERPRISE_ADMIN and u.enterprise_id == data.general_contractor.pk,
                                  gettext_lazy("Only the general contractor may propose its project.")),
    "project.create": Capability(OFFICIAL_ONLY + GC_ADMIN, None),
    "project.accept": Capability(OFFICIAL_ONLY, filing_official, gettext_lazy("Only the industry department of the project's region may do this.")),
    "project.onboard": Capability(OFFICIAL_ONLY, filing_official, gettext_lazy("Only the industry department of the project's region may do this.")),
    "participation.review": Capability(OFFICIAL_ONLY, filing_official, gettext_lazy("Only the industry department of the project's region may do this.")),
    "participation.add": Capability(OFFICIAL_ONLY + GC_ADMIN,
                                    lambda u, p: filing_official(u, p) or (u.role == Role.ENTERPRISE_ADMIN and u.enterprise_id == _project_of(p).general_contractor_id),
                                    gettext_lazy("Only the general contractor or the department may add participating enterprises.")),
    "shutdown.declare": Capability(OFFICIAL_ONLY + STAFF, lambda u, p: filing_official(u, p) or (
        is_staff_of(u, _project_of(p).general_contractor_id) and (u.role == Role.ENTERPRISE_ADMIN or u.project_id == _project_of(p).pk)),
                                   gettext_lazy("Only the general contractor or the project's department declares a shutdown.")),
    "roster.manage": Capability(STAFF, _roster, gettext_lazy("You may only manage workers of your own enterprise on its projects.")),
    "worker.read_card": Capability(STAFF, lambda u, p: enterprise_acts_on(u, p),
                                   gettext_lazy("ID cards are read by the staff of an enterprise on the worker's project.")),
    "worker.unmask": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), lambda u, w: may_unmask(u) and type(w).objects.filter(worker_q(u), pk=w.pk).exists(),
                                gettext_lazy("You do not have permission to read personal data unmasked.")),
    "worker.card_change": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES, Role.WORKER),
                                     lambda u, w: (is_worker(u) and u.worker_id == w.pk) or employs_worker(u, w) or official_over_worker(u, w),
                                     gettext_lazy("Only the worker, an enterprise that employs them or an official may change their wage card.")),
    "worker.phone": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), lambda u, w: employs_worker(u, w) or official_over_worker(u, w),
                               gettext_lazy("Only an enterprise that employs the worker or an official may change their phone number.")),
    "card.confirm": Capability(_roles(Role.WORKER), lambda u, change: is_worker(u) and u.worker_id == change.worker_id,
                               gettext_lazy("Only the worker confirms a change of their own wage card.")),
    "identity.review": Capability(OFFICIAL_ONLY, reviews_identity,
                                  gettext_lazy("Only the HRSS department of the county where the card was read reviews an identity change.")),
    # accounts and deposits
    "progress.record": Capability(STAFF, lambda u, obj: (is_enterprise_staff(u) and u.enterprise_id in (_project_of(obj).owner_id, _project_of(obj).general_contractor_id)
                                                         and (u.role == Role.ENTERPRISE_ADMIN or u.project_id == _project_of(obj).pk)),
                                  gettext_lazy("Only the project's owner or general contractor records progress payments.")),
    "deposit.assess": Capability(OFFICIAL_ONLY + GC_ADMIN, lambda u, obj: hrss_official_over(u, obj) or (u.role == Role.ENTERPRISE_ADMIN and u.enterprise_id == _project_of(obj).general_contractor_id),
                                 gettext_lazy("Only the general contractor or the HRSS department assesses the wage deposit.")),
    "account.confirm": Capability(OFFICIAL_ONLY + GC_ADMIN, lambda u, obj: filing_official(u, obj) or hrss_official_over(u, obj)
                                  or (u.role == Role.ENTERPRISE_ADMIN and u.enterprise_id == _project_of(obj).general_contractor_id),
                                  gettext_lazy("Only the general contractor or the project's department confirms its wage account.")),
    "deposit.movement": Capability(OFFICIAL_ONLY, hrss_official_over, gettext_lazy("Only the HRSS department records wage-deposit movements.")),
    "deposit.refund_notice": Capability(OFFICIAL_ONLY, hrss_official_over, gettext_lazy("Only the HRSS department publishes a refund notice.")),
    "certificate.upload": Capability(GC_ADMIN, lambda u, obj: u.role == Role.ENTERPRISE_ADMIN and u.enterprise_id == _project_of(obj).general_contractor_id,
                                     gettext_lazy("Only the project's general contractor uploads deposit certificates.")),
    "certificate.review": Capability(OFFICIAL_ONLY, hrss_official_over, gettext_lazy("Only the HRSS department reviews deposit certificates.")),
    # payroll
    "payroll.prepare": Capability(STAFF, lambda u, obj: prepares_payroll(u, _payroll_of(obj)),
                                  gettext_lazy("Only the enterprise's wage officer or administrator prepares its wage ledger.")),
    "payroll.confirm": Capability(STAFF, lambda u, obj: gc_officer(u, _payroll_of(obj)),
                                  gettext_lazy("Only the general contractor's wage officer confirms wage ledgers.")),
    "payroll.reissue": Capability(STAFF, lambda u, obj: prepares_payroll(u, _payroll_of(obj)) or gc_officer(u, _payroll_of(obj)),
                                  gettext_lazy("Only the enterprise's or the general contractor's wage officer re-issues a payment.")),
    "payroll.unmask": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), lambda u, obj: may_unmask(u),
                                 gettext_lazy("You do not have permission to read personal data unmasked.")),
    # alerts
    "alert.handle": Capability(OFFICIAL_ONLY, handles_alert, gettext_lazy("Only the department handling the alert may do this.")),
    "alert.answer": Capability(STAFF, answers_alert, gettext_lazy("Only the enterprise concerned may answer this alert.")),
    # credit
    "credit.propose": Capability(OFFICIAL_ONLY, proposes_credit, gettext_lazy("Only the department that decides this kind of record, in its region, may propose it.")),
    "credit.decide": Capability(OFFICIAL_ONLY, decides_credit, gettext_lazy("Only the deciding department of this record may do this.")),
    "credit.object": Capability(_roles(Role.ENTERPRISE_ADMIN, Role.WORKER), party_of_record,
                                gettext_lazy("Only the party to the record may object or apply for its repair.")),
    "evidence.request": Capability(_roles(Role.POLICE), lambda u, _obj: is_police(u), gettext_lazy("Only the police request evidence packages.")),
    "evidence.approve": Capability(OFFICIAL_ONLY, approves_evidence,
                                   gettext_lazy("Only the HRSS department of the requesting police's region approves an evidence package.")),
    "evidence.download": Capability(_roles(Role.POLICE), lambda u, r: is_police(u) and u.department_id == r.department_id,
                                    gettext_lazy("Only the requesting police department downloads its evidence package.")),
    # complaints
    "complaint.file": Capability(_roles(Role.WORKER), lambda u, project: is_worker(u) and _model("registry.Employment").objects.filter(
        worker_id=u.worker_id, project_id=project.pk).exists(), gettext_lazy("You may complain only about a project you worked on.")),
    "complaint.record": Capability(OFFICIAL_ONLY, lambda u, project: is_official(u, Agency.HRSS) and in_region(u, project.region.code),
                                   gettext_lazy("Only the labour inspection of the project's region records a complaint.")),
    "complaint.handle": Capability(OFFICIAL_ONLY, handles_complaint, gettext_lazy("Only the labour inspection handling the complaint may do this.")),
    "complaint.answer": Capability(STAFF, lambda u, c: is_enterprise_staff(u) and type(c).objects.filter(complaint_q(u), pk=c.pk).exists(),
                                   gettext_lazy("Only the enterprise named may answer this complaint.")),
    # platform
    "apiclient.manage": Capability((), None, gettext_lazy("Only platform administrators manage API clients.")),
    # pages (role level only)
    "projects.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES, Role.WORKER), None),
    "projects.list": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "accounts.list": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "onboarding.view": Capability(OFFICIAL_ONLY, None),
    "accounts.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES, Role.BANK_OPERATOR), None),
    "deposits.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "bank.console": Capability(_roles(Role.BANK_OPERATOR), None),
    "alerts.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "alerts.map": Capability(OFFICIAL_ONLY, None),
    "payroll.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES, Role.BANK_OPERATOR), None),
    "quality.view": Capability(OFFICIAL_ONLY, None),
    "payslips.view": Capability(_roles(Role.WORKER), None),
    "credit.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES, Role.WORKER), None),
    "evidence.view": Capability(_roles(Role.POLICE, Role.OFFICIAL), lambda u, _person: is_police(u) or is_official(u, Agency.HRSS)),
    "complaints.view": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "me.view": Capability(_roles(Role.WORKER), None),
    "stats.view": Capability(OFFICIAL_ONLY, None),
    "quality.report": Capability(_roles(Role.OFFICIAL, *STAFF_ROLES), None),
    "stats.reports_generate": Capability(OFFICIAL_ONLY, lambda u, _obj: is_official(u, Agency.HRSS) and u.department.region.level == "province",
                                         gettext_lazy("Only the province's HRSS department generates the monthly reports again.")),
    "identity.reviews": Capability(OFFICIAL_ONLY, lambda u, _person: is_official(u, Agency.HRSS)),
    "signed_in": Capability(tuple(Role.values), None),
}
# Steps of a route that share one capability.
ALIASES = {
    "payroll.rebuild": "payroll.prepare", "payroll.submit": "payroll.prepare", "payroll.return": "payroll.confirm",
    "line.adjust": "payroll.prepare", "line.warning": "payroll.prepare", "line.reissue": "payroll.reissue",
    "credit.notify": "credit.decide", "credit.withdraw": "credit.decide", "credit.publish": "credit.decide",
    "credit.remove": "credit.decide", "credit.repair": "credit.decide", "credit.refuse_repair": "credit.decide",
    "credit.repair_apply": "credit.object", "evidence.reject": "evidence.approve",
    "complaint.accepted": "complaint.handle", "complaint.investigating": "complaint.handle", "complaint.mediated": "complaint.handle",
    "complaint.resolved": "complaint.handle", "complaint.arbitration": "complaint.handle", "complaint.rejected": "complaint.handle",
    "alert.assign": "alert.handle", "alert.start": "alert.handle", "alert.resolve": "alert.handle", "alert.dismiss": "alert.handle",
}


# Acts that are a particular person's to make, which a platform administrator does not make for them: a party's
# objection or repair application, the requesting police's download of its evidence.
PERSONAL = ("credit.object", "evidence.download", "complaint.file")


def capability(name: str) -> Capability:
    return CAPABILITIES[ALIASES.get(name, name)]


def can(user, name: str, obj=None) -> bool:
    """May this person do it at all (no object), or on this object? `None` is the platform itself."""
    if user is None:
        return True
    if not user.is_authenticated:
        return False
    if user.is_platform_admin and ALIASES.get(name, name) not in PERSONAL:
        return True
    cap = capability(name)
    if user.role not in cap.roles:
        return False
    return obj is None or cap.allows is None or bool(cap.allows(user, obj))


def require(user, name: str, obj=None) -> None:
    """Refuse (403, nothing written) unless `can(user, name, obj)`."""
    if not can(user, name, obj):
        raise PermissionDenied(_(str(capability(name).message)))


NAV = ("projects.list", "onboarding.view", "accounts.list", "deposits.view", "bank.console", "alerts.view", "alerts.map",
       "payroll.view", "quality.view", "payslips.view", "identity.reviews", "credit.view", "evidence.view", "complaints.view", "me.view", "stats.view", "quality.report",
       "apiclient.manage")


def nav(user) -> dict[str, bool]:
    """What the navigation shows: `nav.alerts_view` etc. (dots become underscores for templates). A page
    capability with an object-level rule is judged with the person themselves as the object."""
    return {name.replace(".", "_"): can(user, name, user) for name in NAV}


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class RouteAccess:
    """What a console route declares: the capability it needs (may name a URL parameter, "payroll.{step}"), the
    model each id parameter names and the words a slug parameter takes. The access walker test reads it."""

    capability: str
    params: dict = field(default_factory=dict)
    public: bool = False

    def capability_for(self, kwargs: dict) -> str:
        return self.capability.format(**kwargs) if self.capability else ""


def route(capability: str = "signed_in", **params):
    """Decorate a console view: sign-in required, and a role that can never hold `capability` gets a 404 (the
    route's objects stay unconfirmed); the object-level check is the selector's scope and the service's
    `require`. `params` declare what each URL parameter names (a model class, or a list of words)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            name = wrapper.access.capability_for(kwargs)
            if name and (ALIASES.get(name, name) not in CAPABILITIES or not can(request.user, name)):
                raise Http404("route")
            return view(request, *args, **kwargs)

        wrapper.access = RouteAccess(capability, params)
        return wrapper

    return decorate


def public(**params):
    """Decorate a page served without sign-in (rate-limited by the middleware): declared so the walker knows."""

    def decorate(view):
        view.access = RouteAccess("", params, public=True)
        return view

    return decorate
