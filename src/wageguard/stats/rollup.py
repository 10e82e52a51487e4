"""The rollups: `refresh(project_ids)` recomputes the month rows of those projects and the cells they fall in
(after each domain event); `rebuild()` recomputes everything from scratch with the same code (nightly, and
`wageguard stats_rebuild`). A month row counts the project's records of that month; the months kept are the
last `HISTORY_MONTHS` up to the current one, from the project's start."""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum

from wageguard.core import clock, months
from wageguard.core import rules as thresholds
from wageguard.registry.models import Project

from . import sources
from .indicators import MEASURES
from .models import Cell, ProjectMonth, SenderMonth

HISTORY_MONTHS = 24
CHUNK = 500  # projects per read in a rebuild (bounded memory at the province's size)
ROLLUP_LOCK = 0x57A75  # the advisory lock of the rollups' writers


def window() -> tuple[str, str]:
    current = months.of(clock.localdate())
    return months.shift(current, -(HISTORY_MONTHS - 1)), current


def month_rows(facts: sources.ProjectFacts, read: dict, first: str, last: str) -> list[ProjectMonth]:
    rows = []
    for month in months.span(months.first_day(max(first, months.of(facts.start))), months.first_day(last)):
        start, end = months.bounds(month)
        on_roster = [e for e in facts.employments if e[0] <= end and (e[1] is None or e[1] >= start)]
        counts = {
            "projects": 1,
            "qualifying": int(facts.qualifying),
            "onboarded": int(facts.qualifying and facts.onboarded_on is not None and facts.onboarded_on <= end),
            "accounts_opened": int(facts.opened_on is not None and facts.opened_on <= end),
            "accounts_in_time": int(facts.opened_on is not None and facts.opened_on <= end
                                    and (facts.account_due is None or facts.opened_on <= facts.account_due)),
            "employments": len(on_roster),
            "contracts": sum(1 for e in on_roster if e[3] is not None and e[3] <= end),
            "real_name": sum(1 for e in on_roster if e[2] in read and read[e[2]] <= end),
            "attended": sum(1 for e in on_roster if (e[2], month) in facts.attended),
            "balance": sources.balance_at(facts, month),
        } | facts.monthly.get(month, {})
        rows.append(ProjectMonth(project_id=facts.pk, month=month, county=facts.county, industry=facts.industry, **counts))
    return rows


def sender_rows(facts: sources.ProjectFacts, first: str, last: str) -> list[SenderMonth]:
    return [SenderMonth(project_id=facts.pk, month=month, county=facts.county, industry=facts.industry, sender=sender,
                        received=counts[0], late=counts[1], rejected=counts[2])
            for (month, sender), counts in sorted(facts.senders.items()) if first <= month <= last]


def _project_rows(project_ids, first: str, last: str) -> tuple[list[ProjectMonth], list[SenderMonth]]:
    with thresholds.remembered():  # each region's deadlines read once
        facts, read = sources.facts_of(project_ids)
    return ([row for pk in sorted(facts) for row in month_rows(facts[pk], read, first, last)],
            [row for pk in sorted(facts) for row in sender_rows(facts[pk], first, last)])


def _cells(area: Q | None) -> int:
    """Recompute the cells of an area (None: all) from the month rows."""
    Cell.objects.filter(area or Q()).delete()
    rows = (ProjectMonth.objects.filter(area or Q()).values("county", "industry", "month")
            .annotate(**{f"sum_{m}": Sum(m) for m in MEASURES}).order_by())
    cells = [Cell(county=r["county"], industry=r["industry"], month=r["month"], **{m: r[f"sum_{m}"] for m in MEASURES}) for r in rows]
    Cell.objects.bulk_create(cells, batch_size=2000)
    return len(cells)


def _exclusive() -> None:
    """One writer of the rollups at a time (two refreshes of one cell, or a refresh during the rebuild, would
    each delete and insert it): a transaction-level advisory lock on PostgreSQL; SQLite's writes are serial."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])


@transaction.atomic
def refresh(project_ids) -> int:
    """The month rows of these projects and the cells of their counties × industries (old ones too, should a
    project have moved), recomputed; returns the rows written."""
    ids = sorted(set(project_ids))
    if not ids:
        return 0
    _exclusive()
    first, last = window()
    old = set(ProjectMonth.objects.filter(project_id__in=ids).values_list("county", "industry").distinct())
    ProjectMonth.objects.filter(project_id__in=ids).delete()
    SenderMonth.objects.filter(project_id__in=ids).delete()
    rows, senders = _project_rows(ids, first, last)
    ProjectMonth.objects.bulk_create(rows, batch_size=2000)
    SenderMonth.objects.bulk_create(senders, batch_size=2000)
    areas = old | {(r.county, r.industry) for r in rows}
    if areas:
        _cells(Q(county__in={a[0] for a in areas}, industry__in={a[1] for a in areas}))
    return len(rows)


@dataclass
class Rebuilt:
    projects: int
    rows: int
    cells: int
    seconds: float


@transaction.atomic
def rebuild(progress=None) -> Rebuilt:
    """Everything from scratch, in one transaction (readers see the old numbers until it commits)."""
    started = time.monotonic()
    _exclusive()
    first, last = window()
    ProjectMonth.objects.all().delete()
    SenderMonth.objects.all().delete()
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for at in range(0, len(ids), CHUNK):
        rows, senders = _project_rows(ids[at:at + CHUNK], first, last)
        ProjectMonth.objects.bulk_create(rows, batch_size=5000)
        SenderMonth.objects.bulk_create(senders, batch_size=5000)
        written += len(rows)
        if progress:
            progress(min(at + CHUNK, len(ids)), len(ids))
    cells = _cells(None)
    return Rebuilt(len(ids), written, cells, time.monotonic() - started)
