"""Building and cross-checking monthly wage ledgers on PostgreSQL.

    python bench/payroll.py [--workers 2000] [--project-workers 2000] [--seed 2026]

1. A fresh database `wageguard_bench_payroll` (on DATABASE_URL's server) gets the demo province through the
   simulator (registry, the gates' punches and the banks' data through the signed API, earlier months'
   payrolls through the payroll services), delivered up to the evening of the last day of the month, so
   that month has attendance but no ledger yet.
2. Timed: `build_month` (the month-end task: every employer's draft, 200 per transaction) over the whole
   province's month.
3. One extra project gets `--project-workers` workers of one enterprise (registered, employed and
   contracted through the registry services) and their attendance days for that month. Timed:
   `payroll_build` (build + every cross-check + store + audit) of that project's month.

Prints seconds, lines/s and the SQL queries of the one ledger's build and of each month-end transaction
(fixed: they do not grow with the number of lines or payrolls), and as its last line one JSON object
{"project_2000_s", "province_lines_per_s", "queries_per_payroll"}.
Targets: < 2 s for the 2,000-worker project; ≥ 1,667 lines/s (3 M lines within 30 min).
"""
from __future__ import annotations

import argparse
import datetime
import json
import time

from _common import add_today, fresh_database, set_today, setup_django

DB_NAME = "wageguard_bench_payroll"


class QueryCounter:
    """Counts the SQL statements run on the default connection (no DEBUG needed)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def big_project(province, size: int, month: str):
    """A project whose one enterprise employs `size` workers all month, through the registry services; their
    attendance days (the gates' part, measured by bench/ingest_attendance.py) are loaded directly."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from wageguard.attendance.models import AttendanceDay
    from wageguard.core.models import User
    from wageguard.core.months import bounds as month_bounds
    from wageguard.registry import services
    from wageguard.registry.models import Project, ProjectStatus
    from wageguard.simulate import names
    from wageguard.simulate.generator import SIMULATOR_USERNAME, make_bank_card

    rng, sim = province.rng, User.objects.get(username=SIMULATOR_USERNAME)
    first, last = month_bounds(month)
    template = Project.objects.filter(filing_status="onboarded").select_related("region", "owner", "general_contractor").first()
    with transaction.atomic():
        project = services.project_file(actor=sim, data=services.ProjectData(
            name="基准测试安置房项目", region=template.region, industry=template.industry, owner=template.owner,
            general_contractor=template.general_contractor, contract_amount=Decimal("900000000"), labour_cost_ratio=Decimal("0.25"),
            permit_no=f"{template.region.code}BENCH0001", started_on=first - datetime.timedelta(days=200),
            planned_end=last + datetime.timedelta(days=600), status=ProjectStatus.UNDER_CONSTRUCTION, is_qualifying=True))
        for participation in project.participations.all():
            services.participation_review(actor=sim, participation=participation, approve=True)
        services.project_onboard(actor=sim, project=project)
    enterprise = project.general_contractor
    team = services.team_create(actor=sim, project=project, enterprise=enterprise, name="基准班组")
    days = []
    for n in range(size):
        with transaction.atomic():
            worker, _created = services.worker_register_from_reading(actor=sim, payload=province.reader_payload(), device_id="BENCH")
            bank, bin_prefix = rng.choice(names.BANKS)
            services.worker_set_contact(actor=sim, worker=worker, bank_card=make_bank_card(rng, bin_prefix), bank_name=bank)
            entered = first - datetime.timedelta(days=rng.randint(0, 60))
            employment = services.employment_enter(actor=sim, worker=worker, project=project, enterprise=enterprise, team=team,
                                                   trade=rng.choice(names.TRADES), entered_on=entered).employment
            basis = rng.choice(["daily"] * 6 + ["monthly"] * 3 + ["piece_rate"])
            rate = {"daily": rng.randint(200, 450), "monthly": rng.randint(5000, 11000), "piece_rate": rng.randint(20, 120)}[basis]
            services.contract_attach(actor=sim, employment=employment, signed_on=entered, wage_basis=basis, wage_rate=rate, pay_day=10)
        day = first
        while day <= last:
            if day.weekday() < 6 and rng.random() < 0.95:
                start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(7, rng.randint(0, 30))))
                end = start + datetime.timedelta(hours=10, minutes=rng.randint(0, 60))
                days.append(AttendanceDay(worker=worker, project=project, day=day, first_in=start, last_out=end, last_punch_at=end,
                                          last_direction="out", punches=2, methods="face"))
            day += datetime.timedelta(days=1)
        if (n + 1) % 500 == 0:
            print(f"  … {n + 1} workers on the bench project", flush=True)
    AttendanceDay.objects.bulk_create(days, batch_size=5000)
    return project, enterprise


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2000, help="the demo province's workers")
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--project-workers", type=int, default=2000, help="workers of the one big project")
    parser.add_argument("--seed", type=int, default=2026)
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)

    setup_django(fresh_database(DB_NAME))
    from django.db import connection
    from wageguard.core import clock
    from wageguard.payroll import services, tasks
    from wageguard.payroll.models import Payroll, PayrollLine
    from wageguard.simulate.generator import Params, Province, simulate

    today = clock.localdate().replace(day=1) - datetime.timedelta(days=1)  # the last day of last month
    month = f"{today:%Y-%m}"
    params = Params(seed=args.seed, projects=args.projects, workers=args.workers, months=3, today=today)
    started = time.perf_counter()
    print(f"set-up: the demo province ({args.projects} projects, {args.workers} workers) up to {today} …", flush=True)
    simulate(params)
    print(f"  simulated in {time.perf_counter() - started:.1f} s", flush=True)

    counter = QueryCounter()
    per_build: list[tuple[int, int]] = []  # (payrolls, queries) of each month-end transaction
    original = services.payroll_build_month

    def counted(**kwargs):
        before = counter.count
        payrolls = original(**kwargs)
        per_build.append((len(payrolls), counter.count - before))
        return payrolls

    with connection.execute_wrapper(counter):
        tasks.services.payroll_build_month = counted  # the month-end task's own loop, each transaction counted
        try:
            started = time.perf_counter()
            built = tasks.build_month(month)
            province_s = time.perf_counter() - started
        finally:
            tasks.services.payroll_build_month = original
    province_lines = PayrollLine.objects.filter(payroll__month=month).count()

    print(f"set-up: {args.project_workers} workers on one more project …", flush=True)
    project, enterprise = big_project(Province(params), args.project_workers, month)
    counter.count = 0
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        payroll = services.payroll_build(actor=None, project=project, enterprise=enterprise, month=month)
        project_s = time.perf_counter() - started
    project_queries, project_lines = counter.count, payroll.lines.count()
    rate = province_lines / province_s
    print(f"database              {connection.vendor}")
    print(f"month                 {month}")
    print(f"one project           {project_lines} lines built and checked in {project_s:.2f} s "
          f"({project_lines / project_s:.0f} lines/s), {project_queries} queries")
    print(f"province month        {built} payrolls, {province_lines} lines in {province_s:.2f} s ({rate:.0f} lines/s)")
    print(f"queries               one ledger of {project_lines} lines: {project_queries}; month-end transactions "
          f"(payrolls, queries): {per_build} — fixed, whatever the lines or payrolls")
    print(f"3 M lines at this rate {3_000_000 / rate / 60:.1f} min")
    print(f"payrolls in database  {Payroll.objects.count()}")
    print(json.dumps({"project_2000_s": round(project_s, 3), "province_lines_per_s": round(rate),
                      "queries_per_payroll": project_queries}))


if __name__ == "__main__":
    main()
