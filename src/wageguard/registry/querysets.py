"""Querysets of the registry. Every read that reaches a person goes through `visible_to`, whose rules are
written once in `core.access`:
projects, employments (the personal data of workers), workers and enterprises (docs/decisions.md, "Data scope").
"""
from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q

from wageguard.core import access


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)`: the rows of the person's data scope (`core.access`), nothing for anonymous people."""

    scope = staticmethod(lambda user: access.NOTHING)

    def visible_to(self, user):
        return self.filter(type(self).scope(user))


class ProjectQuerySet(ScopedQuerySet):
    scope = staticmethod(access.project_q)


class EmploymentQuerySet(ScopedQuerySet):
    scope = staticmethod(access.employment_q)

    def proven(self):
        """Employments whose worker is known to be there (the card read for the project, registered by the
        enterprise, or recorded by an official): the only ones a ledger pays."""
        return self.exclude(proof="")

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
    scope = staticmethod(access.worker_q)


class EnterpriseQuerySet(ScopedQuerySet):
    scope = staticmethod(access.enterprise_q)
