"""Attendance ingestion end to end: signed 1,000-record batches into gunicorn on PostgreSQL.

    python bench/ingest_attendance.py [--records 200000] [--connections 4] [--workers 2000] [--server-workers N]

1. A fresh database `wageguard_bench_ingest` (on DATABASE_URL's server) gets a simulated province's
   registry through the real services, and one gate client in scope of every project.
2. The server runs as in production: gunicorn, one sync worker per core (or --server-workers),
   WAGEGUARD_ENV=production with keys generated for the run (DEBUG off).
3. A separate sender process signs batches of 1,000 punches with the shipped client and posts them from
   several keep-alive connections at once; it times each batch.
4. The same rows are then loaded by raw COPY into an empty copy of the punch table, as the baseline.

Prints records/s end to end, the ratio to COPY, p50/p95 batch latency and each server process's peak
RSS, and as its last line one JSON object
{"records_per_s", "copy_records_per_s", "ratio_to_copy", "p50_ms", "p95_ms", "rss_mb"}.
"""
from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, add_today, fresh_database, set_today  # the bench directory is on sys.path when run as a script

BATCH_PATH = "/api/v1/attendance/batches"
DB_NAME = "wageguard_bench_ingest"


# ---------------------------------------------------------------- set-up (this process)


def production_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(WAGEGUARD_ENV="production", DATABASE_URL=database_url,
               WAGEGUARD_SECRET_KEY=os.environ.get("WAGEGUARD_SECRET_KEY") or secrets.token_urlsafe(40),
               WAGEGUARD_FIELD_KEY=os.environ.get("WAGEGUARD_FIELD_KEY") or secrets.token_hex(16),
               WAGEGUARD_AUDIT_KEY=os.environ.get("WAGEGUARD_AUDIT_KEY") or secrets.token_urlsafe(32),
               WAGEGUARD_EVIDENCE_KEY=os.environ.get("WAGEGUARD_EVIDENCE_KEY") or secrets.token_urlsafe(32),
               WAGEGUARD_SMS_LOG_ONLY="1",  # no worker signs in during the bench
               # plain HTTP on localhost, and the raw ingest rate (rate limits measured on their own)
               WAGEGUARD_SSL_REDIRECT="0", WAGEGUARD_RATELIMIT="0",
               # the run's moment (--today) for every process: this one, gunicorn's workers and the sender
               **({"WAGEGUARD_CLOCK": os.environ["WAGEGUARD_CLOCK"]} if os.environ.get("WAGEGUARD_CLOCK") else {}),
               WAGEGUARD_ALLOWED_HOSTS="127.0.0.1,localhost",
               WAGEGUARD_VAR_DIR=tempfile.mkdtemp(prefix="wg-bench-"))
    return env


def build_province(workers: int, records: int) -> tuple[dict, list[list[dict]]]:
    """Registry through the simulator, a gate client, and the punches to send (grouped in batches)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from wageguard.core import clock
    from wageguard.exchange.models import ClientKind
    from wageguard.exchange.services import apiclient_create
    from wageguard.registry.models import Employment, Project
    from wageguard.simulate.generator import Params, simulate

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=io.StringIO())
    today = clock.localdate()
    # enough months of history for the punches asked for (two a staffed day), whatever the day of the run
    months = max(3, records // (workers * 30) + 2)
    simulate(Params(seed=99, projects=max(5, workers // 50), workers=workers, months=months), attendance=False)
    client, secret = apiclient_create(actor=None, kind=ClientKind.GATE_SYSTEM, name="bench gates",
                                      project_codes=list(Project.objects.values_list("code", flat=True)))
    employments = [(e.worker.id_number, e.project.code, e.entered_on, e.exited_on)
                   for e in Employment.objects.select_related("worker", "project").order_by("id")]
    punches = []
    day = today - datetime.timedelta(days=1)
    earliest = min((entered for _n, _c, entered, _x in employments), default=today)
    while len(punches) < records:
        if day < earliest:
            sys.exit(f"the province holds only {len(punches)} punches of the {records} asked for: give --workers more")
        for n, (id_number, code, entered, exited) in enumerate(employments):
            if entered <= day and (exited is None or day <= exited):
                for direction, hour in (("in", 7), ("out", 18)):
                    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, n % 60, n % 59)))
                    punches.append({"client_record_id": f"{code}-{day:%Y%m%d}-{n}-{direction}", "id_number": id_number,
                                    "project_code": code, "device_id": f"{code}-G{n % 3 + 1}", "occurred_at": at.isoformat(),
                                    "direction": direction, "method": "face", "face_hash": f"{n:040x}", "liveness_score": 0.97})
        day -= datetime.timedelta(days=1)
    punches = punches[:records]
    batches = [punches[i:i + 1000] for i in range(0, len(punches), 1000)]
    return {"key_id": client.key_id, "secret": secret}, batches


# ---------------------------------------------------------------- the sender (a separate process)


def sender(plan_path: str, url: str, connections: int) -> None:
    from wageguard.exchange.client import Client

    moment = os.environ.get("WAGEGUARD_CLOCK")  # the server runs at the run's moment: sign with the same clock
    offset = (datetime.datetime.fromisoformat(moment if "T" in moment else f"{moment}T20:30").replace(
        tzinfo=datetime.timezone(datetime.timedelta(hours=8))).timestamp() - time.time()) if moment else 0.0

    plan = json.loads(Path(plan_path).read_text())
    batches = plan["batches"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(enumerate(batches))

    def run() -> None:
        client = Client(url, plan["key_id"], plan["secret"], timeout=300, clock=lambda: time.time() + offset)
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            n, records = item
            body = {"batch_id": f"bench-{n}", "mode": "partial", "records": records}
            started = time.perf_counter()
            response = client.post_json(BATCH_PATH, body)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    failures.append(f"{response.status} {response.body[:200]!r}")
                    continue
                for verdict, count in response.json()["counts"].items():
                    statuses[verdict] = statuses.get(verdict, 0) + count
        client.close()

    threads = [threading.Thread(target=run) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "latencies": latencies, "counts": statuses, "failures": failures[:5]}))


# ---------------------------------------------------------------- measuring


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url_host: str, port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        try:
            socket.create_connection((url_host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_processes(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [master] + [int(pid) for pid in children.read_text().split()] if children.exists() else [master]


def copy_baseline(batches: list[list[dict]]) -> float:
    """Rows per second of a raw COPY of the same punches into an empty copy of the punch table."""
    from django.db import connection

    from wageguard.core import clock
    from wageguard.core.pii import blind_index
    from wageguard.registry.models import Project, Worker

    workers = dict(Worker.objects.values_list("id_number_index", "id"))
    projects = dict(Project.objects.values_list("code", "id"))
    received = clock.now().isoformat()
    lines = []
    for records in batches:
        for r in records:
            occurred = datetime.datetime.fromisoformat(r["occurred_at"])
            lines.append("\t".join(map(str, (
                workers[blind_index(r["id_number"])], projects[r["project_code"]], r["device_id"], r["occurred_at"],
                occurred.date().isoformat(), r["direction"], r["method"], r["face_hash"], "", r["liveness_score"],
                received, "f", 1, 1, r["client_record_id"]))) + "\n")
    data = "".join(lines)
    columns = ("worker_id, project_id, device_id, occurred_at, day, direction, method, face_hash, card_hash, liveness_score, "
               "received_at, is_late, sender_id, batch_id, client_record_id")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE attendance_attendancerecord INCLUDING ALL)")
        connection.commit() if not connection.get_autocommit() else None
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            copy.write(data)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return len(lines) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2000, help="registered workers in the simulated province")
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sender", nargs=3, metavar=("PLAN", "URL", "CONNECTIONS"), help=argparse.SUPPRESS)
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    if args.sender:
        sender(args.sender[0], args.sender[1], int(args.sender[2]))
        return

    env = production_env(fresh_database(DB_NAME))
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wageguard.settings")
    started = time.perf_counter()
    credentials, batches = build_province(args.workers, args.records)
    records = sum(len(b) for b in batches)
    print(f"province and {records} punches prepared in {time.perf_counter() - started:.1f} s")
    plan = Path(env["WAGEGUARD_VAR_DIR"]) / "plan.json"
    plan.write_text(json.dumps(credentials | {"batches": batches}))

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wageguard.wsgi", "--workers", str(args.server_workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--timeout", "300", "--keep-alive", "30", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    try:
        wait_for("127.0.0.1", port, server)
        time.sleep(1.0)  # let each worker import the application
        sent = subprocess.run([sys.executable, __file__, "--sender", str(plan), f"http://127.0.0.1:{port}", str(args.connections)],
                              env=env, capture_output=True, text=True, check=True)
        result = json.loads(sent.stdout.strip().splitlines()[-1])
        rss = max(peak_rss_mb(pid) for pid in server_processes(server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if result["failures"]:
        sys.exit(f"batches failed: {result['failures']}")

    from wageguard.attendance.models import AttendanceDay, AttendanceRecord

    stored = AttendanceRecord.objects.count()
    copy_rate = copy_baseline(batches)
    rate = records / result["wall_s"]
    latencies = sorted(result["latencies"])
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))] * 1000
    print(f"sent {records} records in {len(batches)} batches over {args.connections} connections to "
          f"{args.server_workers} gunicorn workers: {result['wall_s']:.1f} s; verdicts {result['counts']}")
    print(f"stored {stored} punches, {AttendanceDay.objects.count()} attendance days")
    print(f"end to end {rate:,.0f} records/s; COPY {copy_rate:,.0f} records/s; ratio {rate / copy_rate:.3f}")
    print(f"batch latency p50 {p50:.0f} ms, p95 {p95:.0f} ms; peak RSS per server process {rss:.0f} MB")
    print(json.dumps({"records_per_s": round(rate), "copy_records_per_s": round(copy_rate),
                      "ratio_to_copy": round(rate / copy_rate, 4), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                      "rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
