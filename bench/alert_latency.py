"""How soon an alert is visible after the data that triggers it, and how long the nightly sweep takes.

    python bench/alert_latency.py [--projects 40 --workers 2000 --samples 30 --seed 2026]

1. A fresh PostgreSQL database `wageguard_bench_latency` gets the demo province through the simulator.
2. A Huey consumer runs as in production (Redis queue `WAGEGUARD_HUEY_URL`, default redis://127.0.0.1:6379/15,
   two worker threads, a separate process).
3. Real time: `--samples` times, a gate batch in which one card punches three workers in within a minute
   (proxy clock-in) is ingested through the attendance service; its transaction commits, the domain event
   enqueues the rules, and this process polls the database until the alert is there. Latency = visible −
   committed.
4. The nightly sweep (every nightly rule over the whole province) is timed in this process, and its rate
   extrapolated to 30,000 projects.

Prints p50/p95 latency and the sweep's seconds, projects/s and the extrapolation, and as its last line one
JSON object {"p50_s", "p95_s", "sweep_s", "sweep_projects"}. Targets: p95 < 5 s; sweep of 30 k projects < 10 min.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from _common import ROOT, add_today, fresh_database, set_today, setup_django

QUEUE = os.environ.get("WAGEGUARD_HUEY_URL", "redis://127.0.0.1:6379/15")


def proxy_batch(employments, day: datetime.date, n: int) -> bytes:
    from django.utils import timezone

    base = timezone.make_aware(datetime.datetime.combine(day, datetime.time(6, 40)))
    records = [{"client_record_id": f"lat-{n}-{i}", "id_number": e.worker.id_number, "project_code": e.project.code,
                "device_id": f"LAT-{n}", "occurred_at": (base + datetime.timedelta(seconds=12 * i)).isoformat(), "direction": "in",
                "method": "card", "card_hash": f"latency-card-{n}"} for i, e in enumerate(employments)]
    return json.dumps({"batch_id": f"latency-{n}", "mode": "partial", "records": records}).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    os.environ["WAGEGUARD_HUEY_URL"] = QUEUE
    database_url = fresh_database("wageguard_bench_latency")
    setup_django(database_url)
    from django.db.models import Count, Q

    from wageguard.alerts import engine
    from wageguard.core import clock
    from wageguard.alerts.models import Alert
    from wageguard.attendance.ingest import ingest_batch
    from wageguard.exchange.models import ClientKind
    from wageguard.exchange.services import apiclient_create
    from wageguard.registry.models import Employment, Project
    from wageguard.simulate.generator import Params, simulate

    from huey.contrib.djhuey import HUEY

    HUEY.storage.flush_queue()
    print(f"set-up: the demo province ({args.projects} projects, {args.workers} workers) …", flush=True)
    simulate(Params(seed=args.seed, projects=args.projects, workers=args.workers, months=3))
    client, _secret = apiclient_create(actor=None, kind=ClientKind.GATE_SYSTEM, name="latency bench",
                                       project_codes=list(Project.objects.values_list("code", flat=True)))
    env = dict(os.environ, DATABASE_URL=database_url, WAGEGUARD_HUEY_URL=QUEUE, WAGEGUARD_LOG_LEVEL="WARNING")
    consumer = subprocess.Popen([str(ROOT / ".venv/bin/wageguard"), "run_huey", "--workers", "2", "--worker-type", "thread"], env=env)
    try:
        time.sleep(3)  # the consumer's start
        today = clock.localdate()
        day = today - datetime.timedelta(days=3)  # a closed day: its data deadline has passed
        crews = []
        for project in (Project.objects.annotate(staff=Count("employments", filter=Q(employments__entered_on__lte=day) & (
                Q(employments__exited_on__isnull=True) | Q(employments__exited_on__gte=day)))).filter(staff__gte=3).order_by("id")):
            crews.append(list(Employment.objects.filter(project=project, entered_on__lte=day).filter(
                Q(exited_on__isnull=True) | Q(exited_on__gte=day)).select_related("worker", "project").order_by("id")[:3]))
        latencies = []
        for n in range(args.samples):
            crew = crews[n % len(crews)]
            sample_day = day - datetime.timedelta(days=n // len(crews))
            ingest_batch(client=client, body=proxy_batch(crew, sample_day, n))
            committed = time.perf_counter()
            wanted = Alert.objects.filter(rule="proxy_clockin", project=crew[0].project, period=sample_day.isoformat(),
                                          subject_id__endswith=":latency-card")  # the finding keeps 12 characters of the card
            while not wanted.exists():
                if time.perf_counter() - committed > 60:
                    sys.exit(f"no alert 60 s after sample {n}: is the Huey consumer running?")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - committed)
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
    projects = Project.objects.count()
    started = time.perf_counter()
    engine.sweep()
    sweep_s = time.perf_counter() - started
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies)
    print("database             postgresql; Huey on Redis, 2 worker threads")
    print(f"real time            {len(latencies)} proxy clock-ins: p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(latencies):.2f} s")
    print(f"nightly sweep        {projects} projects in {sweep_s:.2f} s ({projects / sweep_s:.1f} projects/s)")
    print(f"30 k projects        {sweep_s / projects * 30000 / 60:.1f} min at this rate")
    print(json.dumps({"p50_s": round(p50, 3), "p95_s": round(p95, 3), "sweep_s": round(sweep_s, 2), "sweep_projects": projects}))


if __name__ == "__main__":
    main()
