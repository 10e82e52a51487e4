"""The alert engine's Huey tasks: rules run on domain events, the nightly sweep, hourly escalation."""
from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wageguard.core import events

from . import engine
from .catalogue import for_event

log = logging.getLogger(__name__)


def on_event(event: str, project_ids: list[int], periods: list[str], *, now: bool = False) -> dict[str, int] | None:
    """A domain event after its commit (`core.events`): its rules run as a Huey task, or here and now when the
    event is dispatched (`now`: the alerts raised, by rule). `SWEEP` runs every rule over everything."""
    if event == events.SWEEP:
        return {code: result.raised for code, result in engine.sweep(every_rule=True).items()} if now else None
    if not for_event(event):
        return None
    if now:
        return {code: result.raised for code, result in _evaluate(event, project_ids, periods).items()}
    evaluate_event(event, project_ids, periods)
    return None


def _evaluate(event: str, project_ids: list[int], periods: list[str]) -> dict:
    scope = engine.Scope(frozenset(project_ids) if project_ids else None, frozenset(periods) if periods else None)
    return engine.evaluate([rule.code for rule in for_event(event)], scope)


@db_task()
def evaluate_event(event: str, project_ids: list[int], periods: list[str]) -> None:
    _evaluate(event, project_ids, periods)


@db_periodic_task(crontab(hour="1", minute="30"))
def nightly_sweep() -> None:
    results = engine.sweep()
    log.info("alert sweep: %s", {code: (r.raised, r.updated, r.resolved) for code, r in results.items()})


@db_periodic_task(crontab(minute="5"))
def escalate() -> int:
    return engine.escalate_overdue()
