"""Screening complaints against the records on arrival.

    python bench/complaints.py [--complaints 10000] [--workers 3000] [--projects 60] [--seed 2026] [--today D] [--sqlite]

1. A fresh database `wageguard_bench_complaints` (on DATABASE_URL's PostgreSQL server) gets the demo province
   through the simulator: `--workers` workers on `--projects` projects over 3 months, their gates' punches and the
   banks' data through the signed API, their ledgers paid (or not) by the simulated banks.
2. `--complaints` complaints drawn at random (a worker's employment, one or two of its months, kinds with the pay
   claims always among them), each screened as a complaint is on arrival: the worker's facts pre-filled and a
   verdict per claim (`complaints.records.prefill` + `screen`: attendance days, ledger lines and the bank's results,
   debits from the account to the worker's card). Timed one by one.
3. Baseline in the same run: one indexed read of one worker's attendance days for a month (raw SQL).

Prints the verdicts' mix, p50/p95/max, and as its last line one JSON object {"complaints", "p50_ms", "p95_ms"}.
Target: p95 < 200 ms on PostgreSQL.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from _common import add_today, fresh_database, set_today, setup_django

DB_NAME = "wageguard_bench_complaints"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=3000)
    parser.add_argument("--projects", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true")
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    setup_django(fresh_database(DB_NAME, sqlite=args.sqlite))
    from django.db import connection

    from wageguard.complaints import records
    from wageguard.core import clock, months
    from wageguard.registry.models import Employment
    from wageguard.simulate.generator import Params, simulate

    started = time.perf_counter()
    summary = simulate(Params(seed=args.seed, projects=args.projects, workers=args.workers, months=3))
    print(f"province in {time.perf_counter() - started:.0f} s: {summary.projects} projects, {summary.workers} workers")
    rng = random.Random(args.seed)
    employments = list(Employment.objects.select_related("worker", "project"))
    last = months.shift(months.of(clock.localdate()), -1)
    window = [months.shift(last, -k) for k in range(3)]
    kinds_pool = [["unpaid"], ["unpaid", "not_through_bank"], ["unpaid", "no_contract"], ["not_through_bank", "deductions"]]
    timings, verdicts = [], {}
    for _n in range(args.complaints):
        employment = rng.choice(employments)
        wanted = sorted(rng.sample(window, rng.choice([1, 1, 2])))
        kinds = rng.choice(kinds_pool)
        began = time.perf_counter()
        records.prefill(employment.worker, employment.project, wanted)
        for verdict in records.screen(worker=employment.worker, project=employment.project, kinds=kinds, wanted=wanted):
            verdicts[verdict["verdict"]] = verdicts.get(verdict["verdict"], 0) + 1
        timings.append((time.perf_counter() - began) * 1000)
    first, end = months.bounds(window[0])
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for employment in employments[:200]:
            cursor.execute("SELECT day, first_in, last_out FROM attendance_attendanceday WHERE worker_id = %s AND day BETWEEN %s AND %s",
                           [employment.worker_id, first, end])
            cursor.fetchall()
    baseline_ms = (time.perf_counter() - began) * 1000 / 200
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95) - 1]
    print(f"database {connection.vendor}; {len(timings)} complaints screened; verdicts {verdicts}")
    print(f"per complaint: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms; baseline (one worker's month of "
          f"attendance days, raw SQL) {baseline_ms:.2f} ms; p95 / baseline = {p95 / max(baseline_ms, 1e-6):.0f}")
    print(f"target p95 < 200 ms: {'met' if p95 < 200 else 'NOT met'}")
    print(json.dumps({"complaints": len(timings), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}))


if __name__ == "__main__":
    main()
