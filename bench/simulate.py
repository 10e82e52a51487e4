"""How long the demo province takes to generate, and rows per second.

    python bench/simulate.py [--projects 40 --workers 2000 --months 3 --seed 2026] [--sqlite]

Runs on a fresh database: PostgreSQL by default (DATABASE_URL's server, database `wageguard_bench`,
dropped and recreated), or a temporary SQLite file with --sqlite. As a baseline on the same machine
in the same run it times a raw bulk load of the same number of rows (PostgreSQL COPY, or SQLite
executemany), so the ratio stays comparable on a noisy shared machine.
Last line: one JSON object {"seconds", "rows_per_s", "baseline_rows_per_s", "ratio_to_baseline"}.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import time

from _common import add_today, fresh_database, set_today


def prepare_database(use_sqlite: bool) -> str:
    return fresh_database("wageguard_bench", sqlite=use_sqlite)


def table_rows() -> int:
    from django.apps import apps

    labels = ("registry", "core")
    return sum(m.objects.count() for m in apps.get_models() if m._meta.app_label in labels)


def baseline(rows: int) -> float:
    """Rows per second of a raw bulk load of rows about as wide as ours (~300 bytes)."""
    from django.db import connection

    payload = "x" * 280
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_baseline (id bigint, a text, b text, c timestamp)")
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            buffer = io.StringIO("".join(f"{i}\t{payload}\tabc\t2026-01-01 00:00:00\n" for i in range(rows)))
            with cursor.cursor.copy("COPY bench_baseline FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        else:
            cursor.executemany("INSERT INTO bench_baseline VALUES (%s, %s, %s, %s)",
                               [(i, payload, "abc", "2026-01-01 00:00:00") for i in range(rows)])
        connection.commit() if not connection.get_autocommit() else None
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_baseline")
    return rows / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true")
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)

    os.environ.setdefault("WAGEGUARD_ENV", "dev")
    os.environ.setdefault("WAGEGUARD_DEBUG", "0")  # as `wageguard simulate` runs: no DEBUG query log
    os.environ["DATABASE_URL"] = prepare_database(args.sqlite)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wageguard.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wageguard.core.services import regions_load
    from wageguard.simulate.generator import Params, simulate

    call_command("migrate", verbosity=0)
    regions_load()
    before = table_rows()
    started = time.perf_counter()
    summary = simulate(Params(seed=args.seed, projects=args.projects, workers=args.workers, months=args.months))
    seconds = time.perf_counter() - started
    rows = table_rows() - before
    base = baseline(rows)
    rate = rows / seconds
    print(f"database           {connection.vendor}")
    print(f"province           {summary.projects} projects, {summary.workers} workers, {summary.employments} employments")
    print(f"rows written       {rows} (registry + audit, through the services)")
    print(f"seconds            {seconds:.2f}")
    print(f"rows/s             {rate:.0f}")
    print(f"baseline rows/s    {base:.0f} (raw bulk load of as many rows)")
    print(f"ratio to baseline  {rate / base:.4f}")
    print(json.dumps({"seconds": round(seconds, 2), "rows_per_s": round(rate), "baseline_rows_per_s": round(base),
                      "ratio_to_baseline": round(rate / base, 5)}))


if __name__ == "__main__":
    main()
