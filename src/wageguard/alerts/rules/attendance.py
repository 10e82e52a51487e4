"""The rules on the gates' punches: silent sites and low update rates (`no_attendance`), punches that arrived after
their deadline, proxy clock-ins, too many manual punches."""
from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.attendance import selectors as attendance_reads
from wageguard.attendance.models import MANUAL_METHODS
from wageguard.core import months
from wageguard.core import rules as thresholds
from wageguard.registry import selectors as registry

from ..findings import Finding
from . import LOOKBACK_DAYS, days, midnight, off_days, per_region, projects
from .payroll import shared_cards

UPDATE_RATE_MIN_WORKERS = 5  # a rate over fewer people on the roster all the window says little
UPDATE_RATE_MIN_WORKING_DAYS = 3  # nor a window of a day or two between days off
MIN_PUNCHES_FOR_A_SHARE = 20  # a share of a handful of punches means nothing


def _silent_runs(project, days_with_data: set, spans, first: datetime.date, last_complete: datetime.date, need: int, not_working: set):
    """Runs of at least `need` staffed days without data, from `first` up to the last day judged; a run that
    stopped is an ended finding. A day off (a public holiday, a declared shutdown) without data is not judged:
    it neither extends a run nor ends it."""
    found, run, day = [], [], first
    while day <= last_complete + datetime.timedelta(days=1):
        staffed = any(entered <= day and (exited is None or day <= exited) for entered, exited in spans)
        silent = day <= last_complete and staffed and day not in days_with_data
        if silent and day in not_working:
            pass
        elif silent:
            run.append(day)
        else:
            if len(run) >= need:
                ongoing = day > last_complete
                found.append(Finding(
                    "project", str(project.pk), run[0].isoformat(), project.pk,
                    {"from": run[0].isoformat(), "to": run[-1].isoformat(), "days": len(run)},
                    enterprise_id=project.general_contractor_id,
                    ended="" if ongoing else _("Attendance resumed on %(day)s.") % {"day": day}))
            run = []
        day += datetime.timedelta(days=1)
    return found


def no_attendance(scope, today):
    """Runs of at least N days without any attendance on a project with registered workers, and windows (a week by
    default) in which fewer than 85 % of the workers on the roster all the window were seen at the gate (days whose
    data is still due are not judged, nor days off); a run or window that is over is recorded as ended."""
    need = per_region("alert.no_attendance_days")
    rate = per_region("alert.attendance_update_rate")
    window = per_region("alert.attendance_window_days")
    last_complete = today - datetime.timedelta(days=2)
    start = today - datetime.timedelta(days=LOOKBACK_DAYS)
    sites = list(projects(scope))
    ids = [p.pk for p in sites]
    seen, seen_workers = defaultdict(set), defaultdict(set)
    for project_id, worker_id, day in attendance_reads.attendance_days_between(ids, start, last_complete).values_list(
            "project_id", "worker_id", "day"):
        seen[project_id].add(day)
        seen_workers[(project_id, worker_id)].add(day)
    rosters = defaultdict(list)
    for project_id, worker_id, entered, exited in registry.roster_between(ids, start, last_complete).values_list(
            "project_id", "worker_id", "entered_on", "exited_on"):
        rosters[project_id].append((worker_id, entered, exited))
    off = off_days(ids, start, last_complete)
    found = []
    for project in sites:
        spans = [(entered, exited) for _worker, entered, exited in rosters[project.pk]]
        if spans:  # from the first day someone was on the roster in the window
            first = max(start, min(entered for entered, _exited in spans))
            found += _silent_runs(project, seen[project.pk], spans, first, last_complete, int(need(project.region)), off[project.pk])
            found += _low_update_windows(project, rosters[project.pk], seen_workers, start, last_complete, rate(project.region),
                                         off[project.pk], int(window(project.region)))
    return found


def window_update(roster, attended, first: datetime.date, length: int) -> tuple[int, int]:
    """(workers on the roster the whole window, of them seen at the gate at least once in it). `roster`: (worker,
    entered, exited); `attended(worker)`: the days the worker was seen."""
    last = first + datetime.timedelta(days=length - 1)
    window = set(days(first, last))
    registered = {w for w, entered, exited in roster if entered <= first and (exited is None or exited >= last)}
    return len(registered), sum(1 for w in registered if attended(w) & window)


def _low_update_windows(project, roster, seen_workers, start, last_complete, limit, not_working: set, length: int):
    """Windows of `length` days (a week by default, from a Monday) with too few of the workers on the roster the
    whole window seen; a window of fewer than three working days (the rest days off) is not judged."""
    found = []
    first = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    step = datetime.timedelta(days=length)
    while first + step - datetime.timedelta(days=1) <= last_complete:
        registered, updated = window_update(roster, lambda w: seen_workers.get((project.pk, w), set()), first, length)
        working = sum(1 for day in days(first, first + step - datetime.timedelta(days=1)) if day not in not_working)
        if working >= UPDATE_RATE_MIN_WORKING_DAYS and registered >= UPDATE_RATE_MIN_WORKERS and Decimal(updated) / registered < limit:
            latest = first + 2 * step - datetime.timedelta(days=1) > last_complete
            found.append(Finding(
                "project", f"{project.pk}:update-rate", first.isoformat(), project.pk,
                {"week": first.isoformat(), "days": length, "registered": registered, "seen": updated,
                 "rate": f"{Decimal(updated) / registered:.2f}", "limit": str(limit)}, enterprise_id=project.general_contractor_id,
                ended="" if latest else _("The week is over; the following weeks are judged on their own.")))
        first += step
    return found


def deadline(region) -> datetime.timedelta:
    """Data of a day is due by the end of the next day (the region may allow more or fewer hours)."""
    return datetime.timedelta(hours=24 + int(thresholds.value("alert.late_data_hours", region)))


def late_punches(scope, today):
    """A project's punches of a day that arrived after the day's deadline (marked late on arrival)."""
    start = midnight(today - datetime.timedelta(days=LOOKBACK_DAYS))
    sites = {p.pk: p for p in projects(scope).filter(pk__in=attendance_reads.projects_with_late_punches(start))}  # few projects
    found = []
    rows = (punches(scope, today, grace=0).filter(project_id__in=sites, is_late=True).values("project_id", "day")
            .annotate(punches=Count("id"), first_received=Min("received_at"), last_received=Max("received_at")).order_by("project_id", "day"))
    for row in rows:
        project = sites[row["project_id"]]
        due = midnight(row["day"]) + deadline(project.region)
        if row["last_received"] > due:
            found.append(Finding("project", str(project.pk), row["day"].isoformat(), project.pk,
                                 {"day": row["day"].isoformat(), "punches": row["punches"],
                                  "received": timezone.localtime(row["last_received"]).strftime("%Y-%m-%d %H:%M")},
                                 enterprise_id=project.general_contractor_id))
    return found


def punches(scope, today, *, grace: int = 2):
    """Punches of the look-back window, up to the last day whose data is no longer due (`grace` days back)."""
    qs = attendance_reads.punches_between(today - datetime.timedelta(days=LOOKBACK_DAYS), today - datetime.timedelta(days=grace))
    if scope.periods is not None:
        within = Q(pk__in=[])
        for period in scope.periods:
            within |= Q(day__range=months.bounds(period)) if len(period) == 7 else Q(day=period)
        qs = qs.filter(within)
    return qs.filter(project_id__in=scope.project_ids) if scope.project_ids is not None else qs


def proxy_clockin(scope, today):
    """One card or face punching for several workers within a minute (a foreman holding their cards), and
    several workers of one ledger paid to one card."""
    window = per_region("alert.proxy_window_seconds")
    regions = {}
    found = []
    for field in ("card_hash", "face_hash"):
        recent = punches(scope, today).exclude(**{field: ""})
        shared = (recent.values("project_id", "day", field).annotate(workers=Count("worker_id", distinct=True)).filter(workers__gt=1))
        groups = {(g["project_id"], g["day"], g[field]) for g in shared}
        if not groups:
            continue
        records = defaultdict(list)
        for project_id, day, value, worker_id, at in (recent.filter(project_id__in={g[0] for g in groups}, day__in={g[1] for g in groups})
                                                      .values_list("project_id", "day", field, "worker_id", "occurred_at").order_by("occurred_at")):
            if (project_id, day, value) in groups:
                records[(project_id, day, value)].append((at, worker_id))
        regions |= {pk: p.region for pk, p in registry.projects_by_pk({g[0] for g in records} - set(regions)).items()}
        for (project_id, day, value), rows in sorted(records.items()):
            seconds = int(window(regions[project_id]))
            workers = set()
            for (at, worker), (next_at, next_worker) in zip(rows, rows[1:]):
                if worker != next_worker and (next_at - at).total_seconds() <= seconds:
                    workers |= {worker, next_worker}
            if len(workers) > 1:
                found.append(Finding("project", f"{project_id}:{day}:{value[:12]}", day.isoformat(), project_id,
                                     {"workers": sorted(workers), "by": field, "day": day.isoformat()}))
    return found + shared_cards(scope, today)


def manual_punch_rate(scope, today):
    """A project-month whose manual and supplementary punches exceed the allowed share."""
    share = per_region("alert.manual_punch_share")
    sites = {p.pk: p for p in projects(scope)}
    found = []
    rows = (punches(scope, today).filter(project_id__in=sites).annotate(month=TruncMonth("day")).values("project_id", "month")
            .annotate(total=Count("id"), manual=Count("id", filter=Q(method__in=MANUAL_METHODS))).filter(manual__gt=0))
    for row in rows.order_by("project_id", "month"):
        project = sites[row["project_id"]]
        rate = Decimal(row["manual"]) / Decimal(row["total"])
        if row["total"] >= MIN_PUNCHES_FOR_A_SHARE and rate > share(project.region):
            found.append(Finding("project", str(project.pk), f"{row['month']:%Y-%m}", project.pk,
                                 {"punches": row["total"], "manual": row["manual"], "share": f"{rate:.2f}",
                                  "limit": str(share(project.region))}, enterprise_id=project.general_contractor_id))
    return found
