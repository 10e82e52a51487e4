"""Reads of the statistics, always within the person's area: an official's region subtree and the industries
of their agency (HRSS and PBOC all); a platform administrator the province. They read the rollups only, from the
read replica when one is configured (`core.dbrouter`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from wageguard.core import access, clock, months
from wageguard.core.errors import NotFound, PermissionDenied
from wageguard.core.models import AGENCY_INDUSTRIES, Agency, Industry, Region, RegionLevel
from wageguard.registry.models import Enterprise, Project

from .indicators import INDICATORS, MEASURES, is_due
from .models import Cell, ProjectMonth, SenderMonth



# What PBOC's officials do not see elsewhere (alerts other than the accounts', complaints): not here either.
HIDDEN_FROM = {Agency.PBOC: frozenset({"alerts_raised", "alerts_in_time", "alerts_late", "complaints"})}


@dataclass(frozen=True)
class Area:
    region: Region
    industries: tuple[str, ...]
    hidden: frozenset = frozenset()  # measures this person does not see

    @property
    def prefix(self) -> str:
        return self.region.subtree_prefix

    def q(self) -> Q:
        return Q(county__startswith=self.prefix, industry__in=self.industries)

    @property
    def child_level(self) -> str | None:
        return {RegionLevel.PROVINCE: RegionLevel.CITY, RegionLevel.CITY: RegionLevel.COUNTY}.get(self.region.level)


def _home_region(user) -> Region:
    if user.is_platform_admin:
        return Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first()
    if not user.department_id:
        raise PermissionDenied(_("Statistics are for the supervising departments."))
    return user.department.region


def industries_of(user) -> tuple[str, ...]:
    if user.is_platform_admin:
        return tuple(Industry.values)
    return tuple(AGENCY_INDUSTRIES[user.department.agency]) if user.department_id else ()


def area_for(user, region_code: str = "", industry: str = "") -> Area:
    """The area a person asks for, refused outside theirs: a region in their subtree, an industry of theirs."""
    if not access.can(user, "stats.view"):
        raise PermissionDenied(_("Statistics are for the supervising departments."))
    home = _home_region(user)
    industries = industries_of(user)
    region = home
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None or not region.code.startswith(home.subtree_prefix):
            raise NotFound(_("No such region in your area."))
    if industry:
        if industry not in industries:
            raise NotFound(_("No such industry in your area."))
        industries = (industry,)
    if not industries:
        raise PermissionDenied(_("Statistics are for the supervising departments."))
    hidden = frozenset() if user.is_platform_admin else HIDDEN_FROM.get(user.department.agency, frozenset())
    return Area(region, industries, hidden)


def _sum(rows) -> dict:
    total = dict.fromkeys(MEASURES, 0)
    for row in rows:
        for m in MEASURES:
            total[m] += row[m] or 0
    return total


def cells(area: Area, month: str) -> QuerySet[Cell]:
    return Cell.objects.filter(area.q(), month=month)


def totals(area: Area, month: str) -> dict:
    row = cells(area, month).aggregate(**{m: Sum(m) for m in MEASURES})
    return {m: row[m] or 0 for m in MEASURES}


def rank_levels(area: Area) -> tuple[str, ...]:
    """The levels the area's regions can be ranked at: the province's cities or all its counties, a city's counties."""
    return {RegionLevel.PROVINCE: (RegionLevel.CITY, RegionLevel.COUNTY),
            RegionLevel.CITY: (RegionLevel.COUNTY,)}.get(area.region.level, ())


def cell_rows(area: Area, month: str) -> list[dict]:
    """The area's cells of the month (county and measures), read once to be summed at more than one level."""
    return list(cells(area, month).values("county", *MEASURES))


def children(area: Area, month: str, level: str = "", rows: list[dict] | None = None) -> list[tuple[Region, dict]]:
    """Each region of `level` below the area with its totals, in code order: by default the level just below (the
    province's cities, a city's counties); the province's counties on asking; a county has none. `rows`: the
    area's `cell_rows` when already read."""
    level = level if level in rank_levels(area) else area.child_level
    if level is None:
        return []
    regions = list(Region.objects.filter(level=level, code__startswith=area.prefix).select_related("parent").order_by("code"))
    width = 4 if level == RegionLevel.CITY else 6
    grouped = defaultdict(list)
    for cell in cell_rows(area, month) if rows is None else rows:
        grouped[cell["county"][:width]].append(cell)
    return [(r, _sum(grouped.get(r.code[:width], []))) for r in regions]


def trend(area: Area, last: str, count: int = 12) -> list[tuple[str, dict]]:
    first = months.shift(last, -(count - 1))
    rows = {r["month"]: r for r in Cell.objects.filter(area.q(), month__gte=first, month__lte=last)
            .values("month").annotate(**{m: Sum(m) for m in MEASURES}).order_by()}
    return [(m, {k: (rows.get(m) or {}).get(k) or 0 for k in MEASURES})
            for m in months.span(months.first_day(first), months.first_day(last))]


def indicator_values(counts: dict, month: str) -> dict[str, Decimal | None]:
    """Each indicator's value; those that need the wages to have fallen due are None before."""
    today = clock.localdate()
    return {code: (None if i.needs_due and not is_due(month, today) else i.value(counts)) for code, i in INDICATORS.items()}


@dataclass
class SenderLine:
    name: str
    kind: str  # gate / bank
    received: int
    late: int
    rejected: int

    @property
    def late_share(self) -> float:
        return self.late / self.received if self.received else 0.0


def senders(area: Area, month: str) -> list[SenderLine]:
    """Data timeliness per sender in the area and month (gate systems' clients, banks), the latest first."""
    from wageguard.accounts.models import Bank
    from wageguard.exchange.models import ApiClient

    rows = (SenderMonth.objects.filter(area.q(), month=month).values("sender")
            .annotate(received=Sum("received"), late=Sum("late"), rejected=Sum("rejected")).order_by())
    ids = {"gate": set(), "bank": set()}
    for row in rows:
        kind, _sep, pk = row["sender"].partition(":")
        ids.setdefault(kind, set()).add(int(pk))
    names = {f"gate:{pk}": name or key for pk, name, key in ApiClient.objects.filter(pk__in=ids["gate"]).values_list("pk", "name", "key_id")}
    names |= {f"bank:{pk}": name for pk, name in Bank.objects.filter(pk__in=ids["bank"]).values_list("pk", "name")}
    found = [SenderLine(names.get(r["sender"], r["sender"]), r["sender"].partition(":")[0], r["received"], r["late"], r["rejected"])
             for r in rows]
    return sorted(found, key=lambda line: (-line.late_share, -line.received, line.name))


@dataclass
class Behind:
    project: Project
    county: str
    value: object


def behind_rows(*, user, area: Area, month: str, measure: str) -> QuerySet[ProjectMonth]:
    """The month rows whose measure counts towards a number on the page (its value not zero), largest first, of
    the projects the person may see: the list behind the number, which it adds up to."""
    if measure not in MEASURES or measure in area.hidden:
        raise NotFound(_("No such measure."))
    visible = Project.objects.filter(access.project_q(user))
    return (ProjectMonth.objects.filter(area.q(), month=month, project_id__in=visible.values("pk")).exclude(**{measure: 0})
            .annotate(code=Subquery(Project.objects.filter(pk=OuterRef("project_id")).values("code")))
            .order_by(f"-{measure}", "code"))


def as_behind(rows, measure: str) -> list[Behind]:
    """Month rows with their projects and county names (one read each, whatever the number of rows)."""
    rows = list(rows)
    projects = Project.objects.in_bulk([r.project_id for r in rows])
    names = dict(Region.objects.filter(code__in={r.county for r in rows}).values_list("code", "name"))
    return [Behind(projects[r.project_id], names.get(r.county, r.county), getattr(r, measure)) for r in rows if r.project_id in projects]


def behind_total(rows: QuerySet[ProjectMonth], measure: str) -> tuple[int, object]:
    """How many rows and their sum (zero for none), read in the database."""
    found = rows.order_by().aggregate(count=Count("pk"), total=Coalesce(Sum(measure), Value(0), output_field=ProjectMonth._meta.get_field(measure)))
    return found["count"], found["total"]


def projects_behind(*, user, area: Area, month: str, measure: str) -> list[Behind]:
    return as_behind(behind_rows(user=user, area=area, month=month, measure=measure), measure)


# ---------------------------------------------------------------- monthly reports, forecast, data quality


def _report_q(user) -> Q:
    """A report of the person's region, of a region above it (their city's, the province's: the 通报 is published
    to the levels below), or below it; for the departments that see every industry and every measure (the
    reports cover them all: an industry department reads its own on the statistics page, PBOC its measures)."""
    if user.is_platform_admin:
        return Q()
    agency = user.department.agency
    if set(AGENCY_INDUSTRIES.get(agency, ())) != set(Industry.values) or HIDDEN_FROM.get(agency):
        return Q(pk__in=[])
    region = user.department.region
    above = [region.code[:2] + "0000", region.code[:4] + "00"]
    return Q(region__code__startswith=region.subtree_prefix) | Q(region__code__in=above)


def reports(*, user) -> QuerySet:
    from .models import MonthlyReport

    area_for(user)  # statistics holders only
    return MonthlyReport.objects.filter(_report_q(user)).select_related("region").defer("xlsx", "pdf")


def report_get(*, user, pk: int):
    from .models import MonthlyReport

    area_for(user)
    report = MonthlyReport.objects.filter(_report_q(user), pk=pk).select_related("region").first()
    if report is None:
        raise NotFound()
    return report


def risk_list(*, user, area: Area, month: str, limit: int = 500):
    """The month's forecast scores of the area's projects, riskiest first (the first `limit`)."""
    from .models import RiskScore

    scores = list(RiskScore.objects.filter(area.q(), month=month).order_by("-score", "project_id")[:limit])
    projects = Project.objects.filter(access.project_q(user)).in_bulk([s.project_id for s in scores])
    return [(s, projects[s.project_id]) for s in scores if s.project_id in projects]


def risk_count(*, area: Area, month: str, limit) -> int:
    from .models import RiskScore

    return RiskScore.objects.filter(area.q(), month=month, score__gte=limit).count()


def quality_enterprise(*, user, uscc: str):
    """The enterprise whose data-quality report is asked for: enterprise staff their own; an official the one of
    that credit code within their scope (None when none is named yet)."""
    if access.is_enterprise_staff(user):
        return user.enterprise
    if not uscc.strip():
        return None
    enterprise = Enterprise.objects.filter(access.enterprise_q(user), uscc=uscc.strip().upper()).first()
    if enterprise is None:
        raise NotFound(_("No such enterprise."))
    return enterprise


def quality_projects(*, user, enterprise_id: int | None) -> QuerySet[Project]:
    """The projects of an enterprise's data-quality report: those it is the general contractor of (it answers for
    the whole project's data, and sees its whole roster; a subcontractor sees none of the others'). Enterprise
    staff their own enterprise's (a wage officer their project), an official those within their scope."""
    projects = Project.objects.filter(access.project_q(user))
    if access.is_enterprise_staff(user):
        enterprise_id = user.enterprise_id
    if enterprise_id is None:
        raise NotFound(_("Name the enterprise."))
    return projects.filter(general_contractor_id=enterprise_id).select_related("region", "general_contractor")


def quality_rows(projects: QuerySet[Project], first: str, last: str) -> list[dict]:
    """Per project over the months: the data late, missing and rejected, of every kind the platform receives."""
    from wageguard.accounts.models import BankDataIssue
    from wageguard.attendance.models import REJECTION_REASONS, IngestionRejection
    from wageguard.registry.models import Employment, EmploymentProof

    ids = list(projects.values_list("pk", flat=True))
    sums = {r["project_id"]: r for r in ProjectMonth.objects.filter(project_id__in=ids, month__gte=first, month__lte=last)
            .values("project_id").annotate(**{m: Sum(m) for m in MEASURES})}
    missing_ledgers = defaultdict(list)
    for row in ProjectMonth.objects.filter(project_id__in=ids, month__gte=first, month__lt=last, employments__gt=0, ledger_lines=0):
        missing_ledgers[row.project_id].append(row.month)
    first_day = months.first_day(first)
    rejections = defaultdict(dict)
    for project_id, reason, count in (IngestionRejection.objects.filter(project_id__in=ids, batch__received_at__date__gte=first_day)
                                      .values_list("project_id", "reason").annotate(n=Count("id")).order_by()):
        rejections[project_id][str(REJECTION_REASONS.get(reason, reason))] = count  # the words, not the API's code
    bank_late = dict(SenderMonth.objects.filter(project_id__in=ids, month__gte=first, month__lte=last, sender__startswith="bank:")
                     .values_list("project_id").annotate(n=Sum("late")).order_by())
    bank_issues = defaultdict(int)
    for project_id, count in (BankDataIssue.objects.filter(account__project_id__in=ids, detected_at__date__gte=first_day)
                              .values_list("account__project_id").annotate(n=Count("id")).order_by()):
        bank_issues[project_id] = count
    unproven = dict(Employment.objects.filter(project_id__in=ids, proof=EmploymentProof.NONE, exited_on__isnull=True)
                    .values_list("project_id").annotate(n=Count("id")).order_by())
    rows = []
    for project in projects.order_by("code"):
        s = sums.get(project.pk) or dict.fromkeys(MEASURES, 0)
        rows.append({"project": project, "records": s["records_received"], "late": s["records_late"], "rejected": s["records_rejected"],
                     "rejections": rejections.get(project.pk, {}), "missing_contracts": s["employments"] - s["contracts"],
                     "missing_readings": s["employments"] - s["real_name"], "awaiting_card": unproven.get(project.pk, 0),
                     "missing_ledgers": missing_ledgers.get(project.pk, []), "failed_lines": s["lines_failed"],
                     "bank_late": bank_late.get(project.pk, 0), "bank_issues": bank_issues.get(project.pk, 0),
                     "labour_cost_short": s["labour_cost_short"]})
    return rows
