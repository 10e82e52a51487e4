"""Recomputing every enterprise's credit rating of a province.

    python bench/credit.py [--enterprises 30000] [--seed 2026] [--today D] [--sqlite]

1. A fresh database `wageguard_bench_credit` (on DATABASE_URL's PostgreSQL server; `--sqlite` for a temporary
   file) gets, in bulk, `--enterprises` enterprises across Shandong's counties, half as many projects (an owner and
   a general contractor each, some with a labour subcontractor), about two alerts per project over the last year
   (red and yellow, some escalated, some still open past their deadline, some late data), wage deposits drawn to
   pay wages, and credit records in force (arrears found with their amounts, blacklist entries, commendations).
2. Baseline, same run: one raw SQL aggregate of the same alerts per enterprise (what any rating must at least read).
3. Timed: `credit.services.ratings_refresh()` — every rating computed, explained line by line and stored (the
   first run creates them all), then again with nothing changed.

Prints the figures, and as its last line one JSON object {"enterprises", "seconds", "per_s"} (the first, full
recompute). Target: < 60 s for 30,000 enterprises.
"""
from __future__ import annotations

import argparse
import datetime
import json
import random
import resource
import time
from decimal import Decimal

from _common import add_today, fresh_database, set_today, setup_django

DB_NAME = "wageguard_bench_credit"


def generate(enterprises: int, seed: int) -> dict:
    """The province's facts, in bulk (no services: the bench times the rating, not the data entry)."""
    from django.db import transaction
    from django.utils import timezone

    from wageguard.accounts.models import DepositMovement, WageDeposit
    from wageguard.alerts.models import ActionKind, Alert, AlertAction
    from wageguard.core import clock
    from wageguard.core.models import INDUSTRY_AGENCY, Agency, Department, Industry, Region, User
    from wageguard.credit.models import CreditRecord, RecordStatus
    from wageguard.registry.models import Enterprise, Participation, ParticipationRole, Project
    from wageguard.simulate.generator import make_uscc

    rng = random.Random(seed)
    now = clock.now()
    today = timezone.localdate(now)
    counties = list(Region.objects.filter(level="county"))
    departments = {(d.region_id, d.agency): d for d in Department.objects.all()}
    with transaction.atomic():
        people = Enterprise.objects.bulk_create(
            [Enterprise(uscc=make_uscc(rng, rng.choice(counties).code), name=f"基准建设{i:05d}有限公司", region=rng.choice(counties))
             for i in range(enterprises)], batch_size=5000)
        industries = [Industry.BUILDING, Industry.MUNICIPAL, Industry.TRANSPORT, Industry.WATER]
        projects = []
        for i in range(enterprises // 2):
            county = rng.choice(counties)
            projects.append(Project(code=f"BENCH{i:07d}", name=f"基准项目{i}", region=county, industry=rng.choice(industries),
                                    owner=rng.choice(people), general_contractor=rng.choice(people), contract_amount=Decimal("12000000"),
                                    labour_cost_ratio=Decimal("0.25"), started_on=today - datetime.timedelta(days=rng.randint(30, 1500))))
        projects = Project.objects.bulk_create(projects, batch_size=5000)
        participations = []
        for project in projects:
            participations += [Participation(project=project, enterprise_id=project.owner_id, role=ParticipationRole.OWNER),
                               Participation(project=project, enterprise_id=project.general_contractor_id, role=ParticipationRole.GENERAL_CONTRACTOR)]
            if rng.random() < 0.4:
                participations.append(Participation(project=project, enterprise=rng.choice(people), role=ParticipationRole.LABOUR_SUBCONTRACTOR))
        Participation.objects.bulk_create(participations, batch_size=5000, ignore_conflicts=True)
        alerts = []
        rules = [("pay_without_attendance", "red"), ("arrears", "red"), ("no_attendance", "yellow"), ("late_data", "yellow"),
                 ("deposit_missing", "red"), ("large_payment", "yellow"), ("labour_cost_missing", "red")]
        for project in projects:
            for n in range(rng.choice([0, 1, 2, 2, 3, 4])):
                rule, severity = rng.choice(rules)
                raised = now - datetime.timedelta(days=rng.randint(1, 365), hours=rng.randint(0, 23))
                due = raised + datetime.timedelta(days=5)
                closed = rng.random() < 0.7
                department = departments[(project.region_id, INDUSTRY_AGENCY[project.industry])]
                alerts.append(Alert(rule=rule, severity=severity, subject_type="project", subject_id=f"{project.pk}-{n}",
                                    period=f"{raised:%Y-%m}", project=project, region_id=project.region_id, industry=project.industry,
                                    department=department, facts={}, status="resolved" if closed else "open", raised_at=raised,
                                    updated_at=raised, due_at=due, closed_at=(raised + datetime.timedelta(days=rng.randint(1, 9))) if closed else None))
        alerts = Alert.objects.bulk_create(alerts, batch_size=5000)
        AlertAction.objects.bulk_create([AlertAction(alert=a, at=a.due_at, kind=ActionKind.ESCALATED) for a in alerts if rng.random() < 0.2],
                                        batch_size=5000)
        system = User.objects.get_or_create(username="bench")[0]
        deposits = WageDeposit.objects.bulk_create(
            [WageDeposit(project=p, enterprise_id=p.general_contractor_id, contract_amount=p.contract_amount, contract_signed_on=p.started_on,
                         required_amount=Decimal("240000.00"), required_rate=Decimal("0.02"), basis="standard", due_on=p.started_on)
             for p in rng.sample(projects, len(projects) // 10)], batch_size=5000)
        DepositMovement.objects.bulk_create(
            [DepositMovement(deposit=d, kind="drawdown", amount=Decimal("30000"), on=today - datetime.timedelta(days=rng.randint(1, 600)),
                             recorded_by=system) for d in rng.sample(deposits, len(deposits) // 5)], batch_size=5000)
        records = []
        for enterprise in rng.sample(people, enterprises // 20):
            kind = rng.choices(["arrears_found", "blacklist", "commendation", "major_violation"], [6, 1, 3, 1])[0]
            decided = today - datetime.timedelta(days=rng.randint(1, 900))
            published = kind in ("blacklist", "major_violation")
            records.append(CreditRecord(
                kind=kind, status=RecordStatus.PUBLISHED if published else RecordStatus.DECIDED, enterprise=enterprise,
                department=departments[(enterprise.region_id, Agency.HRSS)], facts="基准", legal_basis="基准",
                amount=Decimal(rng.randint(5000, 900000)) if kind == "arrears_found" else None, decided_on=decided,
                objection_due_on=decided - datetime.timedelta(days=3), proposed_at=now,
                published_on=decided if published else None, removal_on=decided + datetime.timedelta(days=1095) if published else None))
        CreditRecord.objects.bulk_create(records, batch_size=5000)
    return {"enterprises": len(people), "projects": len(projects), "alerts": len(alerts), "records": len(records), "deposits": len(deposits)}


def baseline_seconds() -> float:
    """A raw aggregate of the alerts per enterprise (the general contractor's), as SQL would do it at best."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.general_contractor_id, a.severity, count(*) FROM alerts_alert a JOIN registry_project p ON p.id = a.project_id "
                       "GROUP BY p.general_contractor_id, a.severity")
        cursor.fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    setup_django(fresh_database(DB_NAME, sqlite=args.sqlite))
    from wageguard.credit.services import ratings_refresh

    started = time.perf_counter()
    sizes = generate(args.enterprises, args.seed)
    print(f"generated in {time.perf_counter() - started:.1f} s: {sizes}")
    baseline = baseline_seconds()
    started = time.perf_counter()
    first = ratings_refresh()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = ratings_refresh()
    unchanged = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full recompute: {first.rated} rated, {first.changed} stored in {seconds:.1f} s ({first.rated / seconds:,.0f}/s); bands {first.bands}")
    print(f"again, nothing changed: {again.changed} stored in {unchanged:.1f} s")
    print(f"baseline (raw SQL aggregate of the alerts per enterprise): {baseline:.2f} s; recompute / baseline = {seconds / max(baseline, 1e-6):.0f}")
    print(f"peak RSS {rss:.0f} MB; target < 60 s for 30,000 enterprises: {'met' if seconds < 60 * args.enterprises / 30000 else 'NOT met'}")
    print(json.dumps({"enterprises": first.rated, "seconds": round(seconds, 2), "per_s": round(first.rated / seconds, 1)}))


if __name__ == "__main__":
    main()
