"""The data scope, written once. Every read that reaches a person goes through `visible_to`.

Rules (docs/decisions.md, "Data scope"):
- platform admin: everything;
- official: projects in their department region's subtree and their agency's industries
  (HRSS and PBOC every industry; PBOC no personal data; police no registry data);
- enterprise admin: projects their enterprise participates in; personal data of the workers
  their enterprise employs, and, as general contractor, of every worker on its projects;
- wage officer: their one project; workers as their enterprise's admin would see there;
- worker: themselves;
- bank operator: no registry data (their bank's accounts come with the accounts app).
"""
from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q

from wageguard.core.models import AGENCY_INDUSTRIES, Agency, Role

NOTHING = Q(pk__in=[])


def _official_project_q(user, prefix: str = "") -> Q:
    department = user.department
    if department is None or user.role not in (Role.OFFICIAL, Role.POLICE):
        return NOTHING
    industries = AGENCY_INDUSTRIES[department.agency]
    if not industries:
        return NOTHING
    return Q(**{f"{prefix}region__code__startswith": department.region.subtree_prefix, f"{prefix}industry__in": industries})


def _sees_personal_data(user) -> bool:
    return not (user.role == Role.OFFICIAL and user.department and user.department.agency == Agency.PBOC)


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)`: nothing for anonymous people, everything for platform admins, else `_scoped`."""

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        return self._scoped(user)

    def _scoped(self, user):
        raise NotImplementedError


class ProjectQuerySet(ScopedQuerySet):
    def _scoped(self, user):
        if user.role in (Role.OFFICIAL, Role.POLICE):
            return self.filter(_official_project_q(user))
        if user.role == Role.ENTERPRISE_ADMIN and user.enterprise_id:
            return self.filter(participations__enterprise_id=user.enterprise_id).distinct()
        if user.role == Role.WAGE_OFFICER and user.project_id and user.enterprise_id:
            return self.filter(pk=user.project_id, participations__enterprise_id=user.enterprise_id).distinct()
        if user.role == Role.WORKER and user.worker_id:
            return self.filter(employments__worker_id=user.worker_id).distinct()
        return self.none()


class EmploymentQuerySet(ScopedQuerySet):
    def _scoped(self, user):
        if user.role in (Role.OFFICIAL, Role.POLICE):
            if not _sees_personal_data(user):
                return self.none()
            return self.filter(_official_project_q(user, prefix="project__"))
        if user.role in (Role.ENTERPRISE_ADMIN, Role.WAGE_OFFICER) and user.enterprise_id:
            own = Q(enterprise_id=user.enterprise_id) | Q(project__general_contractor_id=user.enterprise_id)
            if user.role == Role.WAGE_OFFICER:
                return self.filter(own, project_id=user.project_id) if user.project_id else self.none()
            return self.filter(own)
        if user.role == Role.WORKER and user.worker_id:
            return self.filter(worker_id=user.worker_id)
        return self.none()

    def on_roster(self, first: datetime.date, last: datetime.date):
        """Employments on the roster on at least one day of first..last."""
        return self.filter(Q(exited_on__isnull=True) | Q(exited_on__gte=first), entered_on__lte=last)

    def with_overlap(self):
        """Annotate `overlapping`: the same worker open on another project on overlapping days."""
        from .models import Employment

        far = datetime.date(9999, 12, 31)
        other = Employment.objects.filter(worker_id=OuterRef("worker_id")).exclude(project_id=OuterRef("project_id"))
        other = other.filter(entered_on__lte=models.functions.Coalesce(OuterRef("exited_on"), models.Value(far)))
        other = other.filter(Q(exited_on__isnull=True) | Q(exited_on__gte=OuterRef("entered_on")))
        return self.annotate(overlapping=Exists(other))


class WorkerQuerySet(ScopedQuerySet):
    def _scoped(self, user):
        from .models import Employment

        if user.role == Role.WORKER:
            return self.filter(pk=user.worker_id) if user.worker_id else self.none()
        employments = Employment.objects.visible_to(user).filter(worker_id=OuterRef("pk"))
        return self.filter(Exists(employments))


class EnterpriseQuerySet(ScopedQuerySet):
    def _scoped(self, user):
        from .models import Participation, Project

        if user.role in (Role.ENTERPRISE_ADMIN, Role.WAGE_OFFICER):
            return self.filter(pk=user.enterprise_id) if user.enterprise_id else self.none()
        projects = Project.objects.visible_to(user)
        return self.filter(Exists(Participation.objects.filter(enterprise_id=OuterRef("pk"), project__in=projects)))
