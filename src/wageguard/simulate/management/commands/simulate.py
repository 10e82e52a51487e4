import sys
import time

from django.core.management.base import BaseCommand, CommandError

from wageguard.core import clock

from wageguard.simulate.bulk import SCALES, BulkParams
from wageguard.simulate.bulk import generate as bulk_generate
from wageguard.simulate.generator import Params, simulate


class ProgressBar:
    """One line per phase, redrawn in place on a terminal."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.last = (None, -1)

    def __call__(self, phase: str, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if (phase, pct) == self.last:
            return
        if self.tty:
            bar = "#" * (pct // 4)
            self.stream.write(f"\r  {phase:<10} [{bar:<25}] {done}/{total}")
            if done >= total:
                self.stream.write("\n")
        elif pct % 25 == 0 or done >= total:
            self.stream.write(f"  {phase}: {done}/{total}\n")
        self.stream.flush()
        self.last = (phase, pct)


def set_today(text: str) -> None:
    """The whole process runs from this moment (`--today`), as `WAGEGUARD_CLOCK` would set it."""
    try:
        clock.set_moment(clock.parse_moment(text))
    except ValueError as error:
        raise CommandError(str(error)) from None


class Command(BaseCommand):
    help = "Generate a simulated province through the real services (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--projects", type=int, help="default 40 (or the scale's)")
        parser.add_argument("--workers", type=int, help="default 2000 (or the scale's)")
        parser.add_argument("--months", type=int, help="default 3 (with --scale: 12 months of ledgers)")
        parser.add_argument("--scale", choices=sorted(SCALES), help="bulk-generate a province of that size with PostgreSQL COPY "
                                                                     "(simulate/bulk.py; no labelled anomalies)")
        parser.add_argument("--attendance-months", dest="attendance_months", type=int, default=BulkParams.attendance_months,
                            help="with --scale: the last months that get attendance days (default a year; 1 needs a sixth of the disk)")
        parser.add_argument("--labels-out", dest="labels_out", help="write each injected anomaly as a JSON line here")
        parser.add_argument("--today", help="run at this moment, YYYY-MM-DD[THH:MM] (Asia/Shanghai; a day means 20:30)")

    def handle(self, *args, seed, projects, workers, months, labels_out, today=None, scale=None, attendance_months=BulkParams.attendance_months, **options):
        if today:
            set_today(today)
        if scale:
            self.bulk(scale, seed, projects, workers, months, attendance_months)
            return
        projects, workers, months = projects or 40, workers or 2000, months or 3
        params = Params(seed=seed, projects=projects, workers=workers, months=months)
        started = time.perf_counter()
        out = open(labels_out, "w", encoding="utf-8") if labels_out else None
        try:
            summary = simulate(params, progress=ProgressBar(sys.stdout), labels_out=out)
        finally:
            if out:
                out.close()
        seconds = time.perf_counter() - started
        attendance = summary.attendance

        def verdicts(part) -> str:
            return ", ".join(f"{n} {verdict}" for verdict, n in sorted(part.verdicts.items()))

        sent = (f"{attendance.records} punches in {attendance.batches} signed batches ({verdicts(attendance)}); "
                f"{summary.banks.records} bank records in {summary.banks.batches} batches ({verdicts(summary.banks)})"
                ) if attendance else ""
        if summary.skipped:
            self.stdout.write(f"already generated (run #{summary.run_id}); "
                              + (f"attendance caught up: {sent}" if attendance else "nothing to do"))
            return
        self.stdout.write(
            f"province generated in {seconds:.1f} s: {summary.enterprises} enterprises, {summary.projects} projects, "
            f"{summary.workers} workers, {summary.employments} employments, {summary.contracts} contracts, "
            f"{len(summary.labels)} labelled anomalies" + (f"; {sent}" if attendance else "")
        )

    def bulk(self, scale: str, seed: int, projects, workers, months, attendance_months: int) -> None:
        from wageguard.stats import rollup

        size = SCALES[scale]
        params = BulkParams(projects=projects or size["projects"], workers=workers or size["workers"], months=months or 12,
                            attendance_months=attendance_months, seed=seed)
        bar = ProgressBar(sys.stdout)
        summary = bulk_generate(params, progress=bar)
        self.stdout.write(f"province ({scale}) written in {summary.seconds:.0f} s: " + ", ".join(f"{n} {t}" for t, n in summary.rows.items()))
        result = rollup.rebuild()
        self.stdout.write(f"statistics rebuilt in {result.seconds:.0f} s: {result.rows} project months")
