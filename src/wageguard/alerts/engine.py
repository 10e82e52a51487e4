"""Running rules and keeping alerts in step with what they find.

A rule's evaluator returns `Finding`s for a `Scope` (some projects and/or periods, or everything within the
horizon). `sync` then, in one transaction per rule:
- raises an alert for each new (rule, subject, period), routed to the department of the project's county
  and industry, with its SLA deadline;
- updates the facts of an alert still open (recorded as an action when they change);
- resolves automatically, with the reason recorded, each open alert of the scope the rule no longer finds;
- records an episode that already ended (`Finding.ended`, e.g. an account opened late, an outage that
  stopped) as an alert raised and resolved at once, so that it is never silently lost.
A person's closing (resolved or dismissed) is not undone by the next run while the facts stay the same.
"""
from __future__ import annotations

import datetime
import json
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core import clock, events
from wageguard.core import rules as thresholds
from wageguard.core.models import INDUSTRY_AGENCY, Department, Region
from wageguard.core.workdays import end_of_working_day
from wageguard.registry.models import Project

from . import notify
from .catalogue import RULES
from .findings import HORIZON_MONTHS, Finding, Scope, horizon  # noqa: F401 (Scope, HORIZON_MONTHS: the engine's interface)
from .models import OPEN_STATUSES, ActionKind, Alert, AlertAction, AlertStatus, Level
from .rules import LOOKBACK_DAYS

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    raised: int = 0
    updated: int = 0
    resolved: int = 0
    raised_ids: list[int] = field(default_factory=list)


def evaluate(rule_codes, scope: Scope, today: datetime.date | None = None) -> dict[str, SyncResult]:
    """Run the rules on the scope and sync their alerts; one transaction per rule."""
    today = today or clock.localdate()
    results = {}
    with thresholds.remembered():
        for code in rule_codes:
            results[code] = _evaluate_one(RULES[code], scope, today)
    return results


def _evaluate_one(rule, scope: Scope, today: datetime.date) -> SyncResult:
    with transaction.atomic():
        oldest = since(rule, today)
        findings = [f for f in rule.evaluate(scope, today) if scope.covers(f) and f.period >= oldest]
        return sync(rule, findings, scope, today)


def sweep(today: datetime.date | None = None, *, every_rule: bool = False) -> dict[str, SyncResult]:
    """The nightly sweep: every nightly rule over everything within the horizon (`every_rule`: the rules that
    only their events run, too — what a replay of all the events would do)."""
    return evaluate([code for code, rule in RULES.items() if rule.nightly or every_rule], Scope.everything(), today)


def since(rule, today: datetime.date) -> str:
    """The oldest period a run of the rule judges: its evaluators look no further back, so older alerts are
    neither re-raised nor resolved by it (periods compare as text: "2026-09" and "2026-09-13" sort by date)."""
    if rule.periods == "day":
        return (today - datetime.timedelta(days=LOOKBACK_DAYS)).isoformat()
    return horizon(today) if rule.periods == "month" else ""


def _covered(rule, scope: Scope, today: datetime.date):
    qs = Alert.objects.filter(rule=rule.code, status__in=OPEN_STATUSES, period__gte=since(rule, today))
    if scope.project_ids is not None:
        qs = qs.filter(project_id__in=scope.project_ids)
    if scope.periods is not None:
        within = Q(period__in=scope.periods)
        for month in {p for p in scope.periods if len(p) == 7}:
            within |= Q(period__startswith=f"{month}-")
        qs = qs.filter(within)
    return qs


def sync(rule, findings: list[Finding], scope: Scope, today: datetime.date) -> SyncResult:
    result = SyncResult()
    now = clock.now()
    open_alerts = {(a.subject_type, a.subject_id, a.period): a for a in _covered(rule, scope, today).select_for_update()}
    keys = {f.key for f in findings}
    closed_by_people = {}
    candidates = [f for f in findings if f.key not in open_alerts]
    if candidates:
        for alert in (Alert.objects.filter(rule=rule.code, subject_id__in={f.key[1] for f in candidates})
                      .exclude(status__in=OPEN_STATUSES).order_by("closed_at", "id")):
            closed_by_people[(alert.subject_type, alert.subject_id, alert.period)] = alert
    router = Router()
    for finding in findings:
        alert = open_alerts.get(finding.key)
        if alert is not None:
            if finding.ended:
                close(alert, AlertStatus.RESOLVED, ActionKind.AUTO_RESOLVED, finding.ended, None, now)
                result.resolved += 1
            elif alert.facts != _json(finding.facts):
                alert.facts, alert.updated_at = _json(finding.facts), now
                alert.save(update_fields=["facts", "updated_at"])
                AlertAction.objects.create(alert=alert, at=now, kind=ActionKind.UPDATED, to_status=alert.status)
                result.updated += 1
            continue
        previous = closed_by_people.get(finding.key)
        if previous is not None and (finding.ended or (not previous.closed_automatically and previous.facts == _json(finding.facts))):
            continue  # an ended episode already recorded, or closed by a person with nothing new since
        alert = _raise(rule, finding, router, now, today)
        result.raised += 1
        result.raised_ids.append(alert.pk)
        if finding.ended:
            close(alert, AlertStatus.RESOLVED, ActionKind.AUTO_RESOLVED, finding.ended, None, now)
    for key, alert in open_alerts.items():
        if key not in keys:
            close(alert, AlertStatus.RESOLVED, ActionKind.AUTO_RESOLVED, _("The condition no longer holds on re-evaluation."), None, now)
            result.resolved += 1
    return result


def _json(facts: dict) -> dict:
    """The facts as the JSON column gives them back (dates as text), so that stored and fresh facts compare."""
    return json.loads(json.dumps(facts, default=str))


def _raise(rule, finding: Finding, router: "Router", now, today: datetime.date) -> Alert:
    project = router.project(finding.project_id) if finding.project_id else None
    region, industry = (project.region, project.industry) if project else (router.region(finding.region_id), finding.industry)
    alert = Alert.objects.create(
        rule=rule.code, severity=rule.severity, subject_type=finding.subject_type, subject_id=str(finding.subject_id),
        period=finding.period, project=project, enterprise_id=finding.enterprise_id, worker_id=finding.worker_id,
        region=region, industry=industry, department=router.department(region, industry, region.level), level=region.level,
        facts=_json(finding.facts), raised_at=now, updated_at=now, due_at=due_at(rule.severity, region, today))
    AlertAction.objects.create(alert=alert, at=now, kind=ActionKind.RAISED, to_status=AlertStatus.OPEN)
    events.emit(events.ALERT_CHANGED, project_ids={alert.project_id} - {None})
    if not finding.ended and not events.is_suppressed():
        transaction.on_commit(lambda: notify.alert_raised(alert))
    return alert


def close(alert: Alert, status: str, kind: str, reason: str, actor, now) -> None:
    """Every closing: automatic (the rule found the condition cleared) or by a person (`services`)."""
    before = alert.status
    alert.status, alert.closed_at, alert.resolution, alert.updated_at = status, now, reason, now
    alert.closed_automatically = kind == ActionKind.AUTO_RESOLVED
    alert.save(update_fields=["status", "closed_at", "resolution", "updated_at", "closed_automatically"])
    AlertAction.objects.create(alert=alert, at=now, actor=actor, kind=kind, note=reason, from_status=before, to_status=status)
    events.emit(events.ALERT_CHANGED, project_ids={alert.project_id} - {None})


def due_at(severity: str, region: Region, today: datetime.date) -> datetime.datetime:
    """The end of the SLA's last working day (the region's own SLA if it set one)."""
    return end_of_working_day(today, int(thresholds.value(f"alert.sla_working_days.{severity}", region)))


class Router:
    """The department handling an alert: the agency that supervises the project's industry (HRSS for
    "other"), at the county, then the city, then the province. HRSS sees every alert of its region anyway.
    An alert about a subject above projects (a sender serving a city) starts at its region's own level."""

    def __init__(self):
        self._projects: dict[int, Project] = {}
        self._regions: dict[int, Region] = {}
        self._departments: dict[tuple[int, str], Department] = {}

    def project(self, pk: int) -> Project:
        if pk not in self._projects:
            self._projects[pk] = Project.objects.select_related("region__parent__parent").get(pk=pk)
        return self._projects[pk]

    def region(self, pk: int) -> Region:
        if pk not in self._regions:
            self._regions[pk] = Region.objects.select_related("parent__parent").get(pk=pk)
        return self._regions[pk]

    def department(self, region: Region, industry: str, level: str) -> Department:
        while region.level != level and region.parent is not None:  # county → its city → the province
            region = region.parent
        agency = INDUSTRY_AGENCY.get(industry, "hrss")
        key = (region.pk, agency)
        if key not in self._departments:
            self._departments[key], _created = Department.objects.get_or_create(region=region, agency=agency)
        return self._departments[key]


LEVELS = [Level.COUNTY, Level.CITY, Level.PROVINCE]
NEXT_LEVEL = dict(zip(LEVELS, LEVELS[1:]))


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Alerts not closed by their deadline go up a level (county → city → province), with a new deadline."""
    now = now or clock.now()
    today = timezone.localdate(now)
    router, moved = Router(), 0
    with transaction.atomic():
        for alert in (Alert.objects.select_for_update(of=("self",)).filter(status__in=OPEN_STATUSES, due_at__lt=now)
                      .exclude(level=Level.PROVINCE).select_related("region__parent__parent", "department__region")):
            level = NEXT_LEVEL[alert.level]
            department = router.department(alert.region, alert.industry, level)
            before = str(alert.department)
            alert.level, alert.department, alert.updated_at = level, department, now
            alert.due_at = due_at(alert.severity, alert.region, today)
            alert.save(update_fields=["level", "department", "due_at", "updated_at"])
            AlertAction.objects.create(alert=alert, at=now, kind=ActionKind.ESCALATED, from_status=alert.status, to_status=alert.status,
                                       note=_("Not handled in time at %(before)s; escalated to %(after)s.") % {
                                           "before": before, "after": str(department)})
            transaction.on_commit(lambda a=alert: notify.alert_escalated(a))
            events.emit(events.ALERT_CHANGED, project_ids={alert.project_id} - {None})
            moved += 1
    return moved
