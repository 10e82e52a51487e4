"""Statistics' Huey tasks: the touched projects' rollups after each domain event; the nightly rebuild (the
rows of a new month, and a reconciliation); the monthly reports on the 1st."""
from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wageguard.core import events

from . import forecast, reports, rollup

log = logging.getLogger(__name__)


def on_event(event: str, project_ids: list[int], periods: list[str], *, now: bool = False) -> None:
    """Every event names the projects it touched: their rows are recomputed (a Huey task, or here when
    dispatched). `SWEEP`: everything. (It answers nothing: a dispatch's answers are the alerts raised.)"""
    if event == events.SWEEP:
        if now:
            rollup.rebuild()
    elif now:
        rollup.refresh(project_ids)
    else:
        refresh_task(project_ids)


@db_task()
def refresh_task(project_ids: list[int]) -> None:
    rollup.refresh(project_ids)


@db_periodic_task(crontab(hour="3", minute="0"))
def nightly() -> None:
    """The rollups rebuilt (a new month's rows; a reconciliation of the day's events), the last month's forecast
    scored, and the forecast's yellow alerts raised or ended."""
    from wageguard.alerts import engine

    result = rollup.rebuild()
    scored = forecast.refresh()
    raised = engine.evaluate(["arrears_risk"], engine.Scope(None, None))["arrears_risk"].raised
    log.info("stats nightly: %d projects, %d rows, %d cells in %.1f s; %d scored, %d risk alerts raised",
             result.projects, result.rows, result.cells, result.seconds, scored, raised)


@db_periodic_task(crontab(day="1", hour="6", minute="0"))
def monthly_reports() -> None:
    """通报 of the month before, on the 1st (after the nightly rebuild has added the new month)."""
    from wageguard.core import clock, months

    made = reports.generate(months.previous(months.of(clock.localdate())))
    log.info("stats monthly reports: %d generated", len(made))
