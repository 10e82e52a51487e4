"""Credit's Huey tasks: ratings and proposals follow the domain events; the nightly recompute and removal."""
from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wageguard.core import events
from wageguard.registry import selectors as registry_selectors

from . import services

log = logging.getLogger(__name__)

# The events whose facts the rating reads (payroll: arrears; deposits; alerts: raised, closed, escalated).
RATED_EVENTS = (events.PAYROLL_CHANGED, events.DEPOSIT_CHANGED, events.ALERT_CHANGED)


def on_event(event: str, project_ids: list[int], periods: list[str], *, now: bool = False) -> None:
    """After a commit: the ratings of the enterprises of the touched projects, and the proposals their alerts call
    for (as a Huey task, or here and now when dispatched). `SWEEP`: everything. (It answers nothing: a dispatch's
    answers are the alerts raised, by rule.)"""
    if event == events.SWEEP:
        if now:
            follow(None)
    elif event in RATED_EVENTS:
        if now:
            follow(project_ids)
        else:
            follow_task(project_ids)


def follow(project_ids: list[int] | None) -> dict:
    proposed = services.proposals_from_alerts(project_ids=project_ids)
    enterprise_ids = None if project_ids is None else registry_selectors.enterprises_of_projects(project_ids)
    result = services.ratings_refresh(enterprise_ids=enterprise_ids)
    return {"proposed": proposed, "rated": result.rated, "changed": result.changed}


@db_task()
def follow_task(project_ids: list[int]) -> None:
    follow(project_ids)


@db_periodic_task(crontab(hour="2", minute="15"))
def nightly() -> None:
    """Records whose period ended leave the lists; every rating is recomputed (facts age out of the window)."""
    removed = services.remove_expired()
    result = services.ratings_refresh()
    log.info("credit nightly: %d removed, %d rated, %d changed", removed, result.rated, result.changed)
