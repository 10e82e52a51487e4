"""The arrears forecast's backtest on the simulator's history.

    python bench/forecast.py [--projects 80] [--workers 3000] [--months 8] [--seed 2026] [--today D] [--sqlite]

1. A fresh database `wageguard_bench_forecast` gets a province from the simulator (`--months` of history: gates,
   banks, ledgers paid or left unpaid as the simulator decides, its labelled anomalies), then the rollups.
2. For every month M whose next month's wages have fallen due: each project's signals at the end of M, scored;
   the top 5 % of each month against the projects that then owed wages for M + 1 (unpaid ledger lines once due —
   the ledgers' facts, not the score). Also among the projects that owed nothing for M − 1 ("new" arrears).
3. The weights re-fitted on the earlier half of the months and graded on the later half (out of sample).

Prints each figure and, as its last line, one JSON object
{"samples", "base_rate", "precision_top5", "lift", "new_precision_top5", "fitted_precision_top5"}.
A lift (precision over the base rate) of 1 means the forecast knows nothing.
"""
from __future__ import annotations

import argparse
import json
import time

from _common import add_today, fresh_database, set_today, setup_django

DB_NAME = "wageguard_bench_forecast"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=80)
    parser.add_argument("--workers", type=int, default=3000)
    parser.add_argument("--months", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--again", action="store_true", help="grade the province of the last run again (no new simulation)")
    add_today(parser)
    args = parser.parse_args()
    set_today(args.today)
    if args.again:
        import os

        setup_django(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit("/", 1)[0] + "/" + DB_NAME)
    else:
        setup_django(fresh_database(DB_NAME, sqlite=args.sqlite))
    from wageguard.simulate.generator import Params, simulate
    from wageguard.stats import forecast

    if not args.again:
        started = time.perf_counter()
        summary = simulate(Params(seed=args.seed, projects=args.projects, workers=args.workers, months=args.months))
        print(f"province in {time.perf_counter() - started:.0f} s: {summary.projects} projects, {summary.workers} workers, "
              f"{args.months} months")
    data = forecast.samples()
    result = forecast.backtest(data=data)
    lift = result.precision / result.base_rate if result.base_rate else 0.0
    print(f"samples {result.samples} (project-months), base rate {result.base_rate:.3f}; top 5 %: {result.top} chosen, "
          f"{result.hits} then owed — precision {result.precision:.3f}, lift {lift:.1f}, recall {result.recall:.3f}; "
          f"among projects that owed nothing before: precision {result.new_precision:.3f} of {result.new_top}")
    months = sorted({m for m, *_rest in data})
    half = months[: len(months) // 2] or months
    fitted = forecast.fit([s for s in data if s[0] in half])
    later = [s for s in data if s[0] not in half] or data
    out_of_sample = forecast.backtest(fitted, data=later)
    print(f"weights fitted on {half[0]}…{half[-1]}: {fitted}")
    print(f"graded on the later months: precision {out_of_sample.precision:.3f} (base rate {out_of_sample.base_rate:.3f}); "
          f"default weights there: {forecast.backtest(data=later).precision:.3f}")
    print(json.dumps({"samples": result.samples, "base_rate": round(result.base_rate, 4), "precision_top5": round(result.precision, 4),
                      "lift": round(lift, 2), "new_precision_top5": round(result.new_precision, 4),
                      "fitted_precision_top5": round(out_of_sample.precision, 4)}))


if __name__ == "__main__":
    main()
