"""Reads of alerts, always through the data scope (`Alert.objects.visible_to`)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.http import Http404

from wageguard.core import clock, months
from wageguard.accounts.models import WageAccount, WageDeposit
from wageguard.core.models import Agency, Region, RegionLevel, User

from .models import ACCOUNT_RULES, OPEN_STATUSES, ActionKind, Alert, AlertAction, AlertStatus, Severity


@dataclass
class InboxFilters:
    severity: str = ""
    rule: str = ""
    region: str = ""
    status: str = "active"   # active (not closed) / closed / all / one status
    older_than_days: int | None = None
    mine: bool = True        # routed to my department now (officials)


def alerts_for(user) -> QuerySet[Alert]:
    return Alert.objects.visible_to(user)


def mine_q(user) -> Q:
    """An official's work list: alerts handled by their department or by a department of their agency below it
    (a city's housing bureau follows its counties'); HRSS, which oversees every alert of its region, and PBOC,
    to which none is routed, all they see."""
    department = user.department if user.department_id else None
    if department is None or department.agency in (Agency.HRSS, Agency.PBOC):
        return Q(pk__isnull=False)
    return Q(department__agency=department.agency, department__region__code__startswith=department.region.subtree_prefix)


def inbox(*, user, filters: InboxFilters | None = None) -> QuerySet[Alert]:
    f = filters or InboxFilters()
    qs = alerts_for(user).select_related("project", "enterprise", "region__parent", "department__region")
    if f.mine:
        qs = qs.filter(mine_q(user))
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.rule:
        qs = qs.filter(rule=f.rule)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(region__code__startswith=region.subtree_prefix) if region else qs.none()
    if f.status == "active":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.older_than_days:
        qs = qs.filter(raised_at__lte=clock.now() - datetime.timedelta(days=f.older_than_days))
    return qs.order_by("due_at", "-severity", "id")


def alert_get(*, user, pk: int) -> Alert:
    alert = alerts_for(user).select_related("project__region__parent", "enterprise", "worker", "department__region", "assignee").filter(pk=pk).first()
    if alert is None:
        raise Http404("alert")
    return alert


def counts(*, user) -> dict:
    """Open alerts in scope: total, red, routed to my department, overdue — for the home page."""
    qs = alerts_for(user).filter(status__in=OPEN_STATUSES)
    mine = mine_q(user) if user.department_id else Q(pk__in=[])
    return qs.aggregate(open=Count("id"), red=Count("id", filter=Q(severity="red")), mine=Count("id", filter=mine),
                        overdue=Count("id", filter=Q(due_at__lt=clock.now())))


def by_region(*, user) -> list[dict]:
    """Open alerts per region in scope (the heat map and its table): counties, and the cities or the province
    for alerts about senders that serve several counties."""
    rows = (alerts_for(user).filter(status__in=OPEN_STATUSES).values("region__code", "region__name", "region__level", "region__parent__code",
                                                                         "region__parent__name")
            .annotate(total=Count("id"), red=Count("id", filter=Q(severity="red"))).order_by("-total", "region__code"))
    return list(rows)


# The province's map (../shared/data/shandong_map_echarts.json) predates 2019: 莱芜 is still drawn as a city, where
# Jinan's 莱芜区 and 钢城区 now are. Their alerts colour that outline; Jinan's other counties colour Jinan's.
OLD_OUTLINES = {"370116": "莱芜市", "370117": "莱芜市"}


def by_outline(rows: list[dict]) -> dict[str, int]:
    """Open alerts per outline of the province's map (its cities, and 莱芜), every outline present."""
    totals = {region.name: 0 for region in cities()} | {name: 0 for name in OLD_OUTLINES.values()}
    for row in rows:
        if row["region__level"] == RegionLevel.COUNTY:
            totals[OLD_OUTLINES.get(row["region__code"], row["region__parent__name"])] += row["total"]
        elif row["region__level"] == RegionLevel.CITY:  # about a sender serving several of the city's counties
            totals[row["region__name"]] += row["total"]
    return totals


def county_tree(rows: list[dict]) -> list[dict]:
    """The counties with open alerts grouped by city, for the county heat map (a treemap: the map file has no
    county outlines)."""
    tree: dict[str, dict] = {}
    for row in (r for r in rows if r["region__level"] == RegionLevel.COUNTY):
        city = tree.setdefault(row["region__parent__code"], {"name": row["region__parent__name"], "value": 0, "children": []})
        city["value"] += row["total"]
        city["children"].append({"name": row["region__name"], "value": row["total"], "red": row["red"], "code": row["region__code"]})
    return [tree[code] for code in sorted(tree)]


def records_behind(alert: Alert) -> dict[str, int]:
    """Ids of the records behind an alert, for links: its ledger, the project's dedicated account (the money
    rules, or the debit's account), its wage deposit."""
    behind = {}
    payroll = alert.facts.get("payroll") or (alert.subject_id if alert.subject_type == "payroll" and alert.subject_id.isdigit() else None)
    if payroll:
        behind["payroll"] = int(payroll)
    if alert.facts.get("account"):
        behind["account"] = int(alert.facts["account"])
    elif alert.rule in ACCOUNT_RULES and alert.project_id:
        account = WageAccount.objects.filter(project_id=alert.project_id).order_by("-opened_on").values_list("pk", flat=True).first()
        deposit = WageDeposit.objects.filter(project_id=alert.project_id).values_list("pk", flat=True).first()
        behind |= {k: v for k, v in (("account", account), ("deposit", deposit)) if v}
    return behind


PUNCH_RULES = ("pay_without_attendance", "days_over_claimed", "ghost_worker", "exit_without_settlement", "proxy_clockin",
               "no_attendance", "late_data", "manual_punch_rate")


def punches_behind(alert: Alert) -> dict:
    """The filter of the punches behind an attendance alert (for the project's punch list): its days — a run,
    a week, a day or the month — and its workers, if it names them."""
    if alert.rule not in PUNCH_RULES or not alert.project_id or not alert.period:
        return {}
    facts = alert.facts
    if facts.get("from") and facts.get("to"):
        first, last = facts["from"], facts["to"]
    elif facts.get("week"):
        first = facts["week"]
        last = (datetime.date.fromisoformat(first) + datetime.timedelta(days=6)).isoformat()
    elif len(alert.period) == 10:
        first = last = alert.period
    elif len(alert.period) == 7:
        first, last = (day.isoformat() for day in months.bounds(alert.period))
    else:
        return {}
    workers = [alert.worker_id] if alert.worker_id else []
    if not workers and isinstance(facts.get("workers"), list):  # proxy clock-in, one card for several workers
        workers = facts["workers"]
    query = {"first": first, "last": last, "worker": workers}
    if alert.rule == "late_data":
        query["late"] = "on"
    return query


def handlers(alert: Alert) -> QuerySet:
    """Officials who may be assigned: those of the handling department."""
    return User.objects.filter(department_id=alert.department_id, is_active=True).order_by("username")


def cities() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.CITY).order_by("code")


def attachment_get(*, user, pk: int) -> AlertAction:
    """An answer's attachment, of an alert the person may see."""
    action = AlertAction.objects.filter(alert__in=alerts_for(user), pk=pk).exclude(attachment="").first()
    if action is None:
        raise Http404("attachment")
    return action


# ---------------------------------------------------------------- for the credit app (the platform's reads, no person)

SENDER_RULES = ("late_data",)          # data timeliness as a sender
DEPOSIT_RULES = ("deposit_missing",)   # the deposit history


@dataclass(frozen=True)
class AlertFact:
    enterprise_id: int   # whose conduct it is: the owner for labour cost, else the enterprise named or the general contractor
    alert_id: int
    rule: str
    severity: str
    overdue: bool        # escalated, or still open past its deadline


# Labour cost is the owner's to allocate (条例第二十九条): these alerts name the general contractor, which answers
# them in the inbox, but they count against the owner.
OWNER_RULES = ("labour_cost_missing", "labour_cost_late", "labour_cost_low")


def _party():
    return Case(When(rule__in=OWNER_RULES, project__isnull=False, then=F("project__owner_id")),
                default=Coalesce("enterprise_id", "project__general_contractor_id"))


def credit_facts(*, since: datetime.datetime, enterprise_ids=None) -> list[AlertFact]:
    """Alerts raised since `since` and not dismissed (a dismissal says there was nothing), with their party and
    whether their handling ran late."""
    now = clock.now()
    escalated = AlertAction.objects.filter(alert_id=OuterRef("pk"), kind=ActionKind.ESCALATED)
    qs = (Alert.objects.filter(raised_at__gte=since).exclude(status=AlertStatus.DISMISSED)
          .annotate(party=_party(), was_escalated=Exists(escalated)).filter(party__isnull=False))
    if enterprise_ids is not None:
        qs = qs.filter(party__in=list(enterprise_ids))
    return [AlertFact(party, pk, rule, severity, bool(was_escalated) or (status in OPEN_STATUSES and due < now))
            for party, pk, rule, severity, was_escalated, status, due
            in qs.values_list("party", "pk", "rule", "severity", "was_escalated", "status", "due_at").iterator(chunk_size=5000)]


def credit_candidates(*, project_ids=None) -> list[Alert]:
    """Alerts that call for a credit record: a red alert still open after its first deadline (escalated), and
    arrears an official confirmed (resolved by a person, not dismissed, not cleared by the data itself)."""
    escalated = AlertAction.objects.filter(alert_id=OuterRef("pk"), kind=ActionKind.ESCALATED)
    overdue_red = Q(severity=Severity.RED, status__in=OPEN_STATUSES) & Q(Exists(escalated))
    confirmed_arrears = Q(rule="arrears", status=AlertStatus.RESOLVED, closed_automatically=False)
    qs = (Alert.objects.filter(overdue_red | confirmed_arrears).annotate(party=_party()).filter(party__isnull=False)
          .select_related("project__region", "region"))
    if project_ids is not None:
        qs = qs.filter(project_id__in=list(project_ids))
    return list(qs)
