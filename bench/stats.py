"""The province at full size: statistics pages, rollup rebuild, nightly sweep, month-end ledgers.

    python bench/stats.py [--projects 30000] [--workers 3000000] [--attendance-months 12] [--requests 60]
                          [--skip-sweep] [--skip-month-end] [--today D]
                          [--again] [--database NAME]

1. A fresh database `wageguard_bench_stats` (on DATABASE_URL's PostgreSQL server) gets the province from the bulk
   generator (`wageguard simulate --scale province`, simulate/bulk.py: COPY into the services' tables, encrypted
   personal data and blind indexes): `--projects` projects, `--workers` workers, a year of ledgers with the bank's
   results, `--attendance-months` months of attendance days. Timed (target: under 30 minutes at full size).
2. The rollups rebuilt from scratch (`wageguard stats_rebuild`): `rebuild_s`.
3. The statistics page through gunicorn as in production (2FA optional, no rate limit), signed in as the
   province's, a city's and a county's HRSS official: `--requests` GETs of each (month and indicator varied), the
   p95 of each official, `page_p95_ms` the worst of the three (target < 300 ms for each). Baseline in the same run: the sign-in page (no data read), its p95.
4. The month-end ledger build of the last month (`payroll.tasks.build_month`): `month_end_s` (its drafts rolled
   back: the data stay as generated); the nightly alert sweep (`alerts.engine.sweep`): `sweep_s`.

Last line: {"projects", "workers", "page_p95_ms", "rebuild_s", "sweep_s", "month_end_s"} (a skipped step: null).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, add_today, fresh_database, set_today
from ingest_attendance import free_port, production_env, wait_for

DB_NAME = "wageguard_bench_stats"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=30_000)
    parser.add_argument("--workers", type=int, default=3_000_000)
    parser.add_argument("--attendance-months", type=int, help="default: BulkParams's, a year")
    parser.add_argument("--requests", type=int, default=60, help="GETs per official")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-month-end", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--again", action="store_true", help="measure the province of the last run again (no new generation)")
    parser.add_argument("--database", default=DB_NAME, help="the database the province is written to (dropped first)")
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wageguard")
    database_url = base.rsplit("/", 1)[0] + "/" + args.database if args.again else fresh_database(args.database)
    env = production_env(database_url) | {"WAGEGUARD_2FA": "optional"} | _keys(args.database, again=args.again)
    os.environ.update({k: v for k, v in env.items() if k.startswith("WAGEGUARD_") or k == "DATABASE_URL"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "wageguard.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    import io

    from django.core.management import call_command
    from django.db import connection, transaction

    from wageguard.core import clock, months
    from wageguard.core.models import Agency, Department, Role
    from wageguard.core.services import user_create
    from wageguard.simulate.bulk import BulkParams, generate
    from wageguard.stats import rollup

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=io.StringIO())

    stages: dict[str, float] = {}  # each stage's first report: where the generation's time goes

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())
        print(f"\r  {stage}: {done}/{total}        ", end="", file=sys.stderr, flush=True)

    if not args.again:
        window = {"attendance_months": args.attendance_months} if args.attendance_months else {}
        summary = generate(BulkParams(projects=args.projects, workers=args.workers, months=12, seed=args.seed, **window),
                           progress=progress)
        print(f"\nprovince written in {summary.seconds:.0f} s: " + ", ".join(f"{n:,} {t}" for t, n in summary.rows.items()))
        ends = [*list(stages.values())[1:], time.perf_counter()]  # (the last stage ends when the generation does, near enough)
        print("stages: " + ", ".join(f"{stage} {end - start:.0f} s" for (stage, start), end in zip(stages.items(), ends)))
    rebuilt = rollup.rebuild()
    print(f"rollups rebuilt in {rebuilt.seconds:.1f} s: {rebuilt.projects:,} projects, {rebuilt.rows:,} project months, {rebuilt.cells:,} cells")

    password = "Bench-stats-2026!"
    officials = {}
    from wageguard.core.models import User

    for name, code in (("province", "370000"), ("city", "370200"), ("county", "370202")):
        department = Department.objects.get(region__code=code, agency=Agency.HRSS)
        user = User.objects.filter(username=f"bench-{name}").first()  # (a run again: the last run's)
        if user is None:
            user = user_create(username=f"bench-{name}", password=password, role=Role.OFFICIAL, department=department)
        officials[name] = (user, code)
    page = _pages(env, officials, password, args.requests)
    print("statistics page p95 by official: " + ", ".join(f"{name} {value:.0f} ms" for name, value in page["each"].items()))
    print(f"statistics page p95 {page['p95']:.0f} ms (the worst official's) over {page['count']} GETs (max {page['max']:.0f} ms); "
          f"sign-in page p95 {page['baseline_p95']:.0f} ms; ratio {page['p95'] / max(page['baseline_p95'], 0.1):.1f}")

    sweep_s = month_end_s = None
    if not args.skip_month_end:
        from wageguard.payroll.tasks import build_month

        month = months.before(clock.localdate())
        started = time.perf_counter()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The drafts are rolled back, so no commit would run the deferred foreign-key checks that a real
                # build's commits run: check each row as it is written instead, so they count in the time.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            built = build_month(month)
            month_end_s = time.perf_counter() - started
            transaction.set_rollback(True)
        print(f"month-end build of {month} in {month_end_s:.0f} s: {built:,} ledgers (rolled back)")
    if not args.skip_sweep:
        from wageguard.alerts import engine

        started = time.perf_counter()
        results = engine.sweep()
        sweep_s = time.perf_counter() - started
        print(f"nightly sweep in {sweep_s:.0f} s: {sum(r.raised for r in results.values()):,} alerts raised")
    print(json.dumps({"projects": args.projects, "workers": args.workers, "page_p95_ms": round(page["p95"], 1),
                      "rebuild_s": round(rebuilt.seconds, 1), "sweep_s": None if sweep_s is None else round(sweep_s, 1),
                      "month_end_s": None if month_end_s is None else round(month_end_s, 1)}))


def _keys(database: str, *, again: bool) -> dict:
    """The personal-data, audit and evidence keys of the run: new ones for a new province (kept in a file beside
    it), the same ones again for `--again` (a province encrypted under other keys cannot be read)."""
    names = ("WAGEGUARD_SECRET_KEY", "WAGEGUARD_FIELD_KEY", "WAGEGUARD_AUDIT_KEY", "WAGEGUARD_EVIDENCE_KEY")
    keys_file = Path(tempfile.gettempdir()) / f"{database}.keys.json"  # the run's throwaway keys: `--again` must decrypt its data
    if again:
        if not keys_file.exists():
            sys.exit(f"--again: the keys of the last run are not in {keys_file}")
        return json.loads(keys_file.read_text())
    keys = {name: os.environ.get(name) or (secrets.token_hex(16) if name == "WAGEGUARD_FIELD_KEY" else secrets.token_urlsafe(40))
            for name in names}
    keys_file.write_text(json.dumps(keys))
    keys_file.chmod(0o600)
    return keys


def _pages(env: dict, officials: dict, password: str, count: int) -> dict:
    """GET /stats/ through gunicorn as each official (signed in through the sign-in form)."""
    import requests

    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "wageguard.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                               "--log-level", "warning"], env=env, cwd=str(ROOT))
    try:
        wait_for("127.0.0.1", port, server)
        base = f"http://127.0.0.1:{port}"
        from wageguard.core import months as month_math
        from wageguard.stats.indicators import INDICATORS
        from wageguard.stats.rollup import window

        first, last = window()
        choices = month_math.span(month_math.first_day(month_math.shift(last, -6)), month_math.first_day(last))
        rng = random.Random(1)
        times, baseline = {}, []
        for name, (user, region) in officials.items():
            # production cookies are Secure: over this local plain HTTP they are sent by hand
            first_visit = requests.get(f"{base}/login/")
            csrf = first_visit.cookies["csrftoken"]
            answer = requests.post(f"{base}/login/", data={"username": user.username, "password": password, "csrfmiddlewaretoken": csrf},
                                   headers={"Referer": f"{base}/login/", "Cookie": f"csrftoken={csrf}"}, allow_redirects=False)
            assert answer.status_code == 302, f"sign-in as {name}: {answer.status_code}"
            session = requests.Session()
            session.headers["Cookie"] = f"csrftoken={csrf}; sessionid={answer.cookies['sessionid']}"
            for _n in range(count):
                params = {"region": region, "month": rng.choice(choices), "indicator": rng.choice(list(INDICATORS))}
                started = time.perf_counter()
                response = session.get(f"{base}/stats/", params=params)
                times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (name, params, response.status_code)
                started = time.perf_counter()
                requests.get(f"{base}/login/")
                baseline.append((time.perf_counter() - started) * 1000)
        each = {name: p95(values) for name, values in times.items()}
        every = [t for values in times.values() for t in values]
        # the target holds for the province, a city and a county each: the figure is the worst of the three
        return {"p95": max(each.values()), "each": each, "max": max(every), "count": len(every), "baseline_p95": p95(baseline)}
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
