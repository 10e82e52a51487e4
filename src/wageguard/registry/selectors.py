"""Reads of the registry, always through the person's data scope."""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wageguard.core import access
from wageguard.core.models import INDUSTRY_AGENCY, Region, Role
from wageguard.core.pii import blind_index

from .models import (Employment, Enterprise, FilingStatus, IdentityReview, LabourContract, Participation, Project, ProjectShutdown, Team, WageCardChange,
                     Worker)
from .validators import normalise_id_number


@dataclass
class ProjectFilters:
    region: str = ""  # a region code: the project's county or any region above it
    industry: str = ""
    status: str = ""
    q: str = ""
    onboarded: str = ""  # "yes" / "no" / ""


def project_list(*, user, filters: ProjectFilters | None = None) -> QuerySet[Project]:
    qs = Project.objects.visible_to(user).select_related("region", "region__parent", "general_contractor")
    f = filters or ProjectFilters()
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(region__code__startswith=region.subtree_prefix) if region else qs.none()
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(code__icontains=f.q))
    if f.onboarded == "yes":
        qs = qs.filter(onboarded_at__isnull=False)
    elif f.onboarded == "no":
        qs = qs.filter(onboarded_at__isnull=True)
    return qs.order_by("code")


def project_get(*, user, pk: int | None = None, code: str | None = None) -> Project:
    """A project in the person's scope, or 404 — also for ids that exist elsewhere."""
    lookup = {"pk": pk} if pk is not None else {"code": code}
    project = Project.objects.visible_to(user).select_related("region", "owner", "general_contractor").filter(**lookup).first()
    if project is None:
        raise Http404("project")
    return project


def project_from_queryset(projects: QuerySet[Project], *, code: str) -> Project:
    project = projects.filter(code=code).first()
    if project is None:
        raise Http404("project")
    return project


def onboarding_todo(*, user) -> QuerySet[Project]:
    """Qualifying projects not yet onboarded that this official's department is responsible for."""
    qs = project_list(user=user).filter(is_qualifying=True, onboarded_at__isnull=True)
    if user.is_platform_admin:
        return qs
    if user.role != Role.OFFICIAL or user.department is None:
        return qs.none()
    industries = [ind for ind, agency in INDUSTRY_AGENCY.items() if agency == user.department.agency]
    return qs.filter(industry__in=industries)


def participations(*, user, project: Project) -> QuerySet[Participation]:
    project_get(user=user, pk=project.pk)
    return project.participations.select_related("enterprise", "reviewed_by").order_by("role", "id")


def teams(*, user, project: Project) -> QuerySet[Team]:
    project_get(user=user, pk=project.pk)
    visible = Employment.objects.visible_to(user).filter(team_id=OuterRef("pk"))
    return project.teams.select_related("enterprise").filter(Exists(visible)).annotate(
        headcount=Count("employments", filter=Q(employments__exited_on__isnull=True))
    )


def roster(*, user, project: Project, include_exited: bool = True) -> QuerySet[Employment]:
    project_get(user=user, pk=project.pk)
    qs = Employment.objects.visible_to(user).filter(project=project).with_overlap()
    if not include_exited:
        qs = qs.filter(exited_on__isnull=True)
    has_contract = Exists(LabourContract.objects.filter(employment_id=OuterRef("pk")))
    return qs.select_related("worker", "enterprise", "team").annotate(has_contract=has_contract).order_by("entered_on", "id")


def worker_get(*, user, pk: int) -> Worker:
    worker = Worker.objects.visible_to(user).filter(pk=pk).first()
    if worker is None:
        raise Http404("worker")
    return worker


def worker_by_id_number(id_number: str) -> Worker | None:
    """Exact lookup by the blind index: whoever holds the card's number may find its worker."""
    number = normalise_id_number(id_number)
    return Worker.objects.filter(id_number_index=blind_index(number)).first() if number else None


def worker_known_to(*, id_number: str, user=None, projects: QuerySet[Project] | None = None) -> bool:
    """Whether the worker with this ID number already has an employment the person may see (or on these projects):
    what an answer may tell them without revealing that the number is registered elsewhere."""
    worker = worker_by_id_number(str(id_number))
    if worker is None:
        return False
    employments = Employment.objects.visible_to(user) if projects is None else Employment.objects.filter(project__in=projects)
    return employments.filter(worker=worker).exists()


def worker_employments(*, user, worker: Worker) -> QuerySet[Employment]:
    return Employment.objects.visible_to(user).filter(worker=worker).with_overlap().select_related(
        "project", "enterprise", "team"
    ).prefetch_related("contracts").order_by("-entered_on")


def employment_get(*, user, pk: int) -> Employment:
    employment = Employment.objects.visible_to(user).select_related("project", "enterprise", "worker").filter(pk=pk).first()
    if employment is None:
        raise Http404("employment")
    return employment


def enterprise_get(*, user, uscc: str) -> Enterprise:
    enterprise = Enterprise.objects.filter(uscc=(uscc or "").strip().upper()).first()
    if enterprise is None:
        raise Http404("enterprise")
    return enterprise


def dashboard_counts(*, user) -> dict[str, int]:
    projects = Project.objects.visible_to(user)
    on_roster = Employment.objects.visible_to(user).filter(exited_on__isnull=True)
    return {
        "projects": projects.count(),
        "onboarded": projects.filter(onboarded_at__isnull=False).count(),
        "todo": onboarding_todo(user=user).count(),
        "on_roster": on_roster.count(),
        "without_contract": on_roster.exclude(Exists(LabourContract.objects.filter(employment_id=OuterRef("pk")))).count(),
        "overlapping": on_roster.with_overlap().filter(overlapping=True).count(),
    }


def card_changes(*, user, worker: Worker) -> QuerySet[WageCardChange]:
    """A worker's wage cards over time (masked), for those who may see the worker."""
    return WageCardChange.objects.filter(access.card_change_q(user), worker=worker).select_related("enterprise", "requested_by")


def card_change_get(*, user, pk: int) -> WageCardChange:
    change = WageCardChange.objects.filter(access.card_change_q(user), pk=pk).first()
    if change is None:
        raise Http404("card change")
    return change


def identity_reviews(*, user, status: str = "pending") -> QuerySet[IdentityReview]:
    qs = IdentityReview.objects.filter(access.identity_review_q(user)).select_related("worker", "region__parent", "project")
    return qs.filter(status=status) if status else qs


def identity_review_get(*, user, pk: int) -> IdentityReview:
    review = identity_reviews(user=user, status="").select_related("reading", "decided_by").filter(pk=pk).first()
    if review is None:
        raise Http404("identity review")
    return review


def contract_get(*, user, pk: int) -> LabourContract:
    """A labour contract of an employment the person may see (its file carries personal data)."""
    contract = LabourContract.objects.filter(employment__in=Employment.objects.visible_to(user), pk=pk).select_related(
        "employment__project").first()
    if contract is None or not contract.file:
        raise Http404("contract")
    return contract


def shutdowns(*, user, project: Project) -> QuerySet[ProjectShutdown]:
    """A project's declared shutdowns, for a person who sees the project."""
    project_get(user=user, pk=project.pk)
    return project.shutdowns.select_related("declared_by").order_by("-starts_on")


def shutdown_days(project_ids, start: datetime.date, end: datetime.date) -> dict[int, set[datetime.date]]:
    """The platform's read for the rules: each project's declared days off between `start` and `end`."""
    days = defaultdict(set)
    for project_id, first, last in ProjectShutdown.objects.filter(project_id__in=project_ids, starts_on__lte=end, ends_on__gte=start).values_list(
            "project_id", "starts_on", "ends_on"):
        day = max(first, start)
        while day <= min(last, end):
            days[project_id].add(day)
            day += datetime.timedelta(days=1)
    return days


# ---------------------------------------------------------------- the platform's reads (the rules; no person's scope)


def platform_projects(project_ids=None, *, qualifying_only: bool = False) -> QuerySet[Project]:
    """Projects on the platform (not mere proposals), with their region chain; `None`: all of them."""
    qs = Project.objects.exclude(filing_status=FilingStatus.PROPOSED).select_related("region__parent__parent")
    if qualifying_only:
        qs = qs.filter(is_qualifying=True)
    return qs if project_ids is None else qs.filter(pk__in=project_ids)


def projects_by_pk(ids) -> dict[int, Project]:
    """Projects (proposals too) with their region chain, by id."""
    return Project.objects.select_related("region__parent__parent").in_bulk(list(ids))


def roster_between(project_ids, first: datetime.date, last: datetime.date) -> QuerySet[Employment]:
    """Employments of the projects on the roster on some day between `first` and `last`."""
    return Employment.objects.filter(project_id__in=project_ids).on_roster(first, last)


def enterprises_of_projects(project_ids) -> set[int]:
    """Every enterprise taking part in these projects (owner and contractors among them)."""
    return set(Participation.objects.filter(project_id__in=list(project_ids)).values_list("enterprise_id", flat=True))


def enterprise_history_start(enterprise_ids=None) -> dict[int, datetime.date]:
    """Since when the platform knows each enterprise's conduct: the start of its earliest project, or the day it was
    registered here if that is earlier (a years-clean claim needs years of history)."""
    enterprises = Enterprise.objects.all() if enterprise_ids is None else Enterprise.objects.filter(pk__in=list(enterprise_ids))
    start = {pk: timezone.localdate(created) for pk, created in enterprises.values_list("pk", "created_at").iterator(chunk_size=10000)}
    participations = Participation.objects.filter(project__started_on__isnull=False)
    if enterprise_ids is not None:
        participations = participations.filter(enterprise_id__in=list(enterprise_ids))
    for pk, earliest in participations.values("enterprise_id").annotate(earliest=Min("project__started_on")).values_list("enterprise_id", "earliest"):
        if pk in start and earliest < start[pk]:
            start[pk] = earliest
    return start
