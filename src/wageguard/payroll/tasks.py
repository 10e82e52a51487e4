"""The month-end build: on the first of each month every enterprise with workers on a project gets its draft
ledger for the month just ended (rebuilt while still a draft), ready for the team's entries."""
from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wageguard.core import clock, months
from wageguard.core.errors import ServiceError
from wageguard.registry.models import Employment, Enterprise, Participation, Project

from . import services

log = logging.getLogger(__name__)


def build_month(month: str, chunk: int = 200) -> int:
    """Draft ledgers for every (project, enterprise) with an employment in the month, `chunk` pairs per
    transaction; returns how many were built. A chunk that fails is logged and the others go on."""
    first, last = months.bounds(month)
    pairs = list(Employment.objects.proven().on_roster(first, last).values_list("project", "enterprise").distinct().order_by("project", "enterprise"))
    participating = set(Participation.objects.values_list("project", "enterprise"))
    left = [pair for pair in pairs if pair not in participating]
    if left:  # e.g. the enterprise no longer takes part: logged, the others go on
        log.warning("month-end build %s: %d (project, enterprise) pairs no longer take part, e.g. %s", month, len(left), left[0])
    pairs = [pair for pair in pairs if pair in participating]
    projects = Project.objects.in_bulk({p for p, _e in pairs})
    enterprises = Enterprise.objects.in_bulk({e for _p, e in pairs})
    built = 0
    for start in range(0, len(pairs), chunk):
        part = [(projects[p], enterprises[e]) for p, e in pairs[start:start + chunk]]
        try:
            built += len(services.payroll_build_month(month=month, pairs=part))
        except ServiceError as error:
            log.warning("month-end build %s, pairs %d–%d: %s", month, start, start + len(part), error.message)
    return built


@db_periodic_task(crontab(day="1", hour="2", minute="0"))
def month_end_build():
    return build_month(months.before(clock.localdate()))
