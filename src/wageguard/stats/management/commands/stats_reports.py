"""`wageguard stats_reports [--month YYYY-MM] [--again]`: generate the monthly reports (by default of the month
before) not made yet; `--again`: a new version of every one."""
from django.core.management.base import BaseCommand, CommandError

from wageguard.core import clock, months
from wageguard.stats import reports


class Command(BaseCommand):
    help = "Generate the monthly reports (通报) of a month: the province's and every city's, Excel and PDF."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: the month before this one)")
        parser.add_argument("--again", action="store_true", help="a new version of each report already made (the earlier ones are kept)")

    def handle(self, *args, month=None, again=False, **options):
        month = month or months.previous(months.of(clock.localdate()))
        if not months.is_month(month):
            raise CommandError("--month: expected YYYY-MM")
        made = reports.generate(month, again=again)
        self.stdout.write(f"{len(made)} reports of {month}")
