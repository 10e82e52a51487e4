"""How well the alert rules catch the simulator's injected anomalies.

    python bench/alert_quality.py --seed S [--projects N] [--workers M] [--months K] [--sqlite] [--today D | --calendar] [--explain]

A fresh simulated province (database `wageguard_bench_alerts_<seed>`, so that seeds can run side by side; or a temporary SQLite file with --sqlite):
registry through the services, the gates' punches and the banks' data through the signed API, payrolls
through the payroll services and the bank API; the alert engine runs as the simulator delivers (after each
month's team entries and bank results, before people correct them) and a final nightly sweep. Then every
label whose kind is a rule code is matched with the rule's alerts (any status: an alert raised and later
resolved still caught its anomaly).

Per rule: labelled, raised, precision (raised alerts that match a label) and recall (labels with a matching
alert). Labels whose data is still inside the grace window, or about a month older than the platform judges
(13 months), are not expected (counted apart), and any alert about data still due is reported: the target is 0. Last line: one JSON object
{rule_code: {"labelled", "raised", "precision", "recall"}}.
Targets: recall ≥ 0.98 and precision ≥ 0.95 for every rule, on any seed.
"""
from __future__ import annotations

import argparse
import datetime
import json
import time
from collections import defaultdict

from _common import add_today, fresh_database, set_today, setup_django

GRACE_DAYS = 2  # a day's punches are due by the end of the next day


def _matcher(label: dict):
    """A predicate on an alert for the label's subject."""
    subject, period = label["subject"], label["period"]
    kind = subject["type"]
    if kind == "payroll_line":
        return lambda a: a.subject_type == "payroll_line" and a.subject_id == str(subject["id"])
    if kind == "payroll_card":
        return lambda a: a.subject_type == "payroll" and a.subject_id.startswith(f"{subject['payroll']}:")
    if kind == "payroll":
        return lambda a: a.subject_type == "payroll" and a.subject_id == str(subject["id"])
    if kind == "sender":  # a silence, from its first day without data
        return lambda a: a.subject_type == "sender" and a.subject_id == str(subject["id"]) and a.period == period
    if kind == "project" and "/" in period:  # an outage: start/end
        start, end = period.split("/")
        return lambda a: a.project_id == subject["id"] and start <= a.period <= end
    if kind == "project" and len(period) == 10:  # a day
        return lambda a: a.project_id == subject["id"] and a.period == period
    if kind == "transaction":
        return lambda a: a.subject_type == "transaction" and a.subject_id == f"{subject['bank']}:{subject['bank_txn_id']}"
    if kind == "project" and label["kind"] in ("account_not_opened", "deposit_missing"):  # standing conditions: no period
        return lambda a: a.project_id == subject["id"]
    if kind == "project":  # a month
        return lambda a: a.project_id == subject["id"] and a.period == period
    return lambda a: False


LABOUR_COST_KINDS = ("labour_cost_missing", "labour_cost_late", "labour_cost_low")


def _in_grace(label: dict, today: datetime.date, due_day: int) -> bool:
    """Whether the data behind a label can still arrive (the bench's reading of the data standard, not the rules'):
    a day's data is due by the end of the next day (a run or a week once its last day's is); a month's labour
    cost is due by its due day, whose movements the bank reports within a day too; a month's ledgers are built on
    the 1st of the next month and its attendance is complete a day later: judged from the 2nd."""
    period = label["period"].split("/")[-1]
    if len(period) == 10:
        return datetime.date.fromisoformat(period) > today - datetime.timedelta(days=GRACE_DAYS)
    if len(period) == 7:
        first = datetime.date.fromisoformat(f"{period}-01")
        if label["kind"] in LABOUR_COST_KINDS:
            return today < first.replace(day=due_day) + datetime.timedelta(days=GRACE_DAYS)  # as a day's data
        first_of_next = (first + datetime.timedelta(days=31)).replace(day=1)
        return today < first_of_next + datetime.timedelta(days=1)
    return False


PLATFORM_MONTHS = 13  # the platform judges the last 13 months (docs/decisions.md: the sweep's horizon)


def _too_old(label: dict, today: datetime.date) -> bool:
    """Whether a label is about a month older than the platform judges (an account opened late long ago, in the
    bank's initial load): not expected, like data still due — an alert about it still counts as right."""
    period = label["period"].split("/")[-1][:7]
    if len(period) != 7:
        return False
    year, month = int(period[:4]), int(period[5:7])
    return (today.year * 12 + today.month) - (year * 12 + month) > PLATFORM_MONTHS


# The calendar: moments where a month, a deadline, a leap day, a year or a holiday ends or begins.
CALENDAR = {
    "the 1st of a month": "2026-12-01", "the labour-cost due day (10th)": "2026-12-10", "the day after it (11th)": "2026-12-11",
    "the last day of a month": "2026-11-30", "29 February": "2028-02-29", "1 January": "2027-01-01",
    "the Spring Festival fortnight": "2027-02-13", "the first Monday after it": "2027-02-22", "the National Day week": "2026-10-05",
}


def moment_line(name: str, day: str, figures: dict) -> str:
    """One moment in a line: its labels, and its worst precision and recall with their rules."""
    labelled = sum(f["labelled"] for f in figures.values())
    precision = min(figures.items(), key=lambda item: item[1]["precision"])
    recall = min(figures.items(), key=lambda item: item[1]["recall"])
    return (f"-- {day} ({name}): {labelled} labels; worst precision {precision[1]['precision']:.3f} ({precision[0]}), "
            f"worst recall {recall[1]['recall']:.3f} ({recall[0]})")


def calendar(args) -> None:
    """Each moment in its own run (a process of this script); last, each rule's worst figure over them all."""
    import subprocess
    import sys

    worst: dict[str, dict] = {}
    for name, day in CALENDAR.items():
        command = [sys.executable, __file__, "--today", day, "--seed", str(args.seed), "--projects", str(args.projects),
                   "--workers", str(args.workers), "--months", str(args.months)] + (["--sqlite"] if args.sqlite else []) + (
                   ["--explain"] if args.explain else [])
        print(f"== {name}: {day}", flush=True)
        run = subprocess.run(command, capture_output=True, text=True)
        print("\n".join(run.stdout.strip().splitlines()[:-1]), flush=True)
        if run.returncode:
            sys.exit(f"the run of {day} failed:\n{run.stderr[-3000:]}")
        figures_now = json.loads(run.stdout.strip().splitlines()[-1])
        print(moment_line(name, day, figures_now), flush=True)
        for code, figures in figures_now.items():
            held = worst.setdefault(code, dict(figures, moment=day))
            for key in ("precision", "recall"):
                if figures[key] < held[key]:
                    held[key], held["moment"] = figures[key], day
            held["labelled"], held["raised"] = max(held["labelled"], figures["labelled"]), max(held["raised"], figures["raised"])
    print(json.dumps({code: {k: v for k, v in figures.items() if k != "moment"} for code, figures in worst.items()}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true", help="list each alert without a label and each label without an alert")
    parser.add_argument("--labels-out", help="write the simulator's labels here (JSON lines)")
    parser.add_argument("--calendar", action="store_true", help="run every moment of the calendar; last, each rule's worst figure")
    add_today(parser)
    args = parser.parse_args()
    if args.calendar:
        return calendar(args)
    set_today(args.today)
    setup_django(fresh_database(f"wageguard_bench_alerts_{args.seed}", sqlite=args.sqlite))
    from django.utils import timezone

    from wageguard.core import clock
    from wageguard.alerts.catalogue import RULES
    from wageguard.core.rules import RULES as RULE_SETTINGS
    from wageguard.alerts.models import Alert
    from wageguard.simulate.generator import Params, simulate

    started = time.perf_counter()
    labels_out = open(args.labels_out, "w", encoding="utf-8") if args.labels_out else None
    summary = simulate(Params(seed=args.seed, projects=args.projects, workers=args.workers, months=args.months), labels_out=labels_out)
    seconds = time.perf_counter() - started
    today = clock.localdate()
    alerts = defaultdict(list)
    for alert in Alert.objects.all():
        alerts[alert.rule].append(alert)
    labels = defaultdict(list)
    for label in summary.labels:
        labels[label["kind"]].append(label)

    result, rows = {}, []
    due_day = int(RULE_SETTINGS["labour_cost.due_day"].default)
    for code in RULES:
        if RULES[code].extra.get("graded_by"):  # a forecast: graded by its own backtest, not by anomaly labels
            continue
        expected = [label for label in labels[code] if not _in_grace(label, today, due_day) and not _too_old(label, today)]
        waiting = len(labels[code]) - len(expected)
        raised = alerts.get(code, [])
        matchers = [_matcher(label) for label in expected]
        every = [_matcher(label) for label in labels[code]]  # an alert for data still due is early, not false
        caught = sum(any(match(a) for a in raised) for match in matchers)
        true = sum(any(match(a) for match in every) for a in raised)
        early = sum(1 for a in raised if len(a.period) == 10 and
                    datetime.date.fromisoformat(a.period) > today - datetime.timedelta(days=GRACE_DAYS))
        precision = true / len(raised) if raised else (1.0 if not expected else 0.0)
        recall = caught / len(expected) if expected else 1.0
        result[code] = {"labelled": len(expected), "raised": len(raised), "precision": round(precision, 3), "recall": round(recall, 3)}
        rows.append((code, len(expected), waiting, len(raised), precision, recall, early))
        if args.explain:
            for label, match in zip(expected, matchers):
                if not any(match(a) for a in raised):
                    print(f"  missed   {code}: {label['subject']} {label['period']}")
            for a in raised:
                if not any(match(a) for match in every):
                    print(f"  unlabelled {code}: {a.subject_type} {a.subject_id} {a.period} project {a.project_id} {a.facts}")
    print(f"province   seed {args.seed} at {timezone.localtime(clock.now()):%Y-%m-%d %H:%M}: {summary.projects} projects, {summary.workers} workers, {args.months} months, "
          f"simulated in {seconds:.0f} s ({'SQLite' if args.sqlite else 'PostgreSQL'})")
    print(f"{'rule':26} {'labelled':>8} {'in grace':>8} {'raised':>7} {'precision':>9} {'recall':>7} {'early':>6}")
    for code, labelled, waiting, raised, precision, recall, early in rows:
        print(f"{code:26} {labelled:8d} {waiting:8d} {raised:7d} {precision:9.3f} {recall:7.3f} {early:6d}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
