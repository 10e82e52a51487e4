"""The rules' evaluators, by domain (`payroll`, `attendance`, `accounts`, `senders`): each reads the stored data of
a scope through the apps' selectors, set-based, and returns `Finding`s.

Each evaluator looks back over history (not only at "now"), so an episode that began and ended between two
runs — an account opened late, a gate outage, a month paid late — is still found, as an ended finding.
Grace: a month's ledger lines count only once the month's data deadline has passed; attendance days only
once their one-day deadline has. Days off — public holidays and a project's declared shutdowns — are not
judged by the attendance rules. Every threshold is read for the project's region (`core.rules`).
"""
from __future__ import annotations

import datetime

from django.utils import timezone

from wageguard.core import months, workdays
from wageguard.core import rules as thresholds
from wageguard.registry import selectors as registry

LOOKBACK_DAYS = 124  # daily rules look back four months (the demo's window and more)


def closed_month(today: datetime.date) -> str:
    """The latest month whose data deadline has passed: its last day's data was due by the end of the next day."""
    day = today - datetime.timedelta(days=2)
    month = months.of(day)
    return month if day == months.last_day(month) else months.previous(month)


def per_region(key: str):
    """The threshold `key` as a function of the region (a region's own value, else its city's, …); within
    `engine.evaluate` each region's value is read once (`core.rules.remembered`)."""
    return lambda region: thresholds.value(key, region)


lowest = thresholds.lowest


def projects(scope, *, qualifying_only: bool = False):
    """Projects on the platform (not mere proposals). The obligations to open an account apply to qualifying
    projects only; data that exists (an account's money, a site's punches) is judged wherever it comes from."""
    return registry.platform_projects(scope.project_ids, qualifying_only=qualifying_only)


def days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def off_days(project_ids, first: datetime.date, last: datetime.date) -> dict[int, set[datetime.date]]:
    """Each project's days off between `first` and `last`: the public holidays and its declared shutdowns."""
    holidays = {day for day in days(first, last) if workdays.public_holiday(day)}
    shutdowns = registry.shutdown_days(project_ids, first, last)
    return {project_id: holidays | shutdowns.get(project_id, set()) for project_id in project_ids}


def midnight(day: datetime.date) -> datetime.datetime:
    """The start of a local day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def local(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
