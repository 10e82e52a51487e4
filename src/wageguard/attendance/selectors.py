"""Reads of attendance, scoped through the registry's data scope."""
from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, Max, QuerySet, Sum

from wageguard.core import clock
from wageguard.registry.models import Employment, Project

from .models import AttendanceDay, AttendanceRecord, BatchProjectCount, Direction, GateDevice, IngestionRejection


@dataclass
class OnSite:
    day: datetime.date
    present: list[AttendanceDay]
    on_site_now: int
    by_team: list[tuple[str, int]]
    by_trade: list[tuple[str, int]]
    rostered: int


def on_site_today(*, project: Project, employments: QuerySet[Employment], day: datetime.date | None = None) -> OnSite:
    """Who punched today on this project, among the employments the person may see."""
    day = day or clock.localdate()
    visible_workers = employments.filter(project=project).values("worker_id")
    present = list(
        AttendanceDay.objects.filter(project=project, day=day, worker_id__in=visible_workers).select_related("worker").order_by("first_in")
    )
    employment_of = {
        e.worker_id: e for e in employments.filter(project=project).on_roster(day, day).select_related("team")
    }
    teams, trades = Counter(), Counter()
    for d in present:
        e = employment_of.get(d.worker_id)
        d.employment = e
        teams[e.team.name if e and e.team else "—"] += 1
        trades[e.trade if e else "—"] += 1
    return OnSite(day, present, sum(1 for d in present if d.last_direction != Direction.OUT),
                  teams.most_common(), trades.most_common(), len(employment_of))


def gate_devices(*, project: Project, now: datetime.datetime | None = None) -> list[GateDevice]:
    """Each device's last punch; silent for a working day while workers are on the roster = offline."""
    now = now or clock.now()
    rostered = Employment.objects.filter(project=project, exited_on__isnull=True).exists()
    devices = list(GateDevice.objects.filter(project=project).order_by("device_id"))
    for device in devices:
        device.offline = rostered and now - device.last_punch_at > datetime.timedelta(hours=24)
    return devices


QUALITY_PERIOD = datetime.timedelta(days=30)


def sender_quality(*, projects: QuerySet[Project], since: datetime.datetime | None = None) -> list[dict]:
    """Per sender, over the last 30 days and only what it sent for the person's projects: batches, records,
    rejections by reason, late rate, last data received."""
    since = since or clock.now() - QUALITY_PERIOD
    rows = list(
        BatchProjectCount.objects.filter(project__in=projects, received_at__gte=since)
        .values(sender_id=F("batch__sender_id"), sender__key_id=F("batch__sender__key_id"), sender__name=F("batch__sender__name"))
        .annotate(batches=Count("batch", distinct=True), accepted=Sum("accepted"), duplicate=Sum("duplicate"),
                  rejected=Sum("rejected"), late=Sum("late"), last_received=Max("received_at"))
        .order_by("sender__key_id")
    )
    reasons: dict[int, Counter] = {}
    for sender_id, reason, n in IngestionRejection.objects.filter(project__in=projects, batch__received_at__gte=since).values_list(
            "batch__sender_id", "reason").annotate(n=Count("id")):
        reasons.setdefault(sender_id, Counter())[reason] += n
    for row in rows:
        row["records"] = row["accepted"] + row["duplicate"] + row["rejected"]
        row["late_rate"] = (row["late"] or 0) / row["accepted"] if row["accepted"] else 0.0
        row["reasons"] = reasons.get(row["sender_id"], Counter()).most_common()
    return rows


def rejections(*, projects: QuerySet[Project], limit: int = 200) -> QuerySet[IngestionRejection]:
    return IngestionRejection.objects.filter(project__in=projects).select_related("project", "batch__sender").order_by("-batch__received_at")[:limit]


def enterprise_quality(*, projects: QuerySet[Project]) -> list[dict]:
    """Per enterprise (by the employments of rejected workers and by project): not_registered counts."""
    return list(
        IngestionRejection.objects.filter(project__in=projects, reason="not_registered")
        .values("project__general_contractor__name").annotate(count=Count("id")).order_by("-count")
    )


PUNCHES_MAX_DAYS = 62  # a page of raw punches covers at most two months


def punches(*, project: Project, employments: QuerySet[Employment], first: datetime.date, last: datetime.date,
            worker_ids: list[int] | None = None, late_only: bool = False) -> QuerySet:
    """The raw punches of a project over some days (the evidence behind an alert), of the workers whose
    employments the person may see."""
    last = min(last, first + datetime.timedelta(days=PUNCHES_MAX_DAYS - 1))
    qs = AttendanceRecord.objects.filter(project=project, day__range=(first, last),
                                         worker_id__in=employments.filter(project=project).values("worker_id"))
    if worker_ids:
        qs = qs.filter(worker_id__in=worker_ids)
    if late_only:
        qs = qs.filter(is_late=True)
    return qs.select_related("worker", "sender").order_by("occurred_at", "id")


# ---------------------------------------------------------------- the platform's reads (the rules; no person's scope)


def attendance_days_between(project_ids, first: datetime.date, last: datetime.date) -> QuerySet[AttendanceDay]:
    return AttendanceDay.objects.filter(project_id__in=project_ids, day__range=(first, last))


def punches_between(first: datetime.date, last: datetime.date) -> QuerySet[AttendanceRecord]:
    return AttendanceRecord.objects.filter(day__range=(first, last))


def projects_with_late_punches(since: datetime.datetime) -> QuerySet[BatchProjectCount]:
    """The projects (as `project_id` values) some of whose punches arrived late since then."""
    return BatchProjectCount.objects.filter(late__gt=0, received_at__gte=since).values("project_id")


def days_of_worker(worker_id: int, first: datetime.date, last: datetime.date, project_ids=None) -> QuerySet[AttendanceDay]:
    """A worker's own attendance days (their calendar, a complaint's screening)."""
    days = AttendanceDay.objects.filter(worker_id=worker_id, day__gte=first, day__lte=last)
    return days.filter(project_id__in=list(project_ids)) if project_ids is not None else days
