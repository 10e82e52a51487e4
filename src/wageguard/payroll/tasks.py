"""The month-end build: on the first of each month every enterprise with workers on a project gets its draft
ledger for the month just ended (rebuilt while still a draft), ready for the team's entries."""
from __future__ import annotations

import datetime
import logging

from django.db.models import Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wageguard.core import clock
from wageguard.core.errors import ServiceError
from wageguard.registry.models import Employment, Enterprise, Project

from . import services
from .ledger import month_bounds
from .models import Payroll, PayrollStatus

log = logging.getLogger(__name__)


def previous_month(today: datetime.date) -> str:
    return (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


def build_month(month: str) -> int:
    """Draft ledgers for every (project, enterprise) with an employment in the month; returns how many were built."""
    first, last = month_bounds(month)
    pairs = (Employment.objects.filter(entered_on__lte=last).filter(Q(exited_on__isnull=True) | Q(exited_on__gte=first))
             .values_list("project", "enterprise").distinct().order_by("project", "enterprise"))
    settled = set(Payroll.objects.filter(month=month).exclude(status=PayrollStatus.DRAFT).values_list("project", "enterprise"))
    pairs = [pair for pair in pairs if pair not in settled]
    projects = Project.objects.in_bulk({p for p, _e in pairs})
    enterprises = Enterprise.objects.in_bulk({e for _p, e in pairs})
    built = 0
    for project_id, enterprise_id in pairs:
        try:
            services.payroll_build(actor=None, project=projects[project_id], enterprise=enterprises[enterprise_id], month=month)
        except ServiceError as error:  # e.g. the enterprise no longer takes part: logged, the others go on
            log.warning("month-end build %s project=%s enterprise=%s: %s", month, project_id, enterprise_id, error.message)
            continue
        built += 1
    return built


@db_periodic_task(crontab(day="1", hour="2", minute="0"))
def month_end_build():
    return build_month(previous_month(clock.localdate()))
