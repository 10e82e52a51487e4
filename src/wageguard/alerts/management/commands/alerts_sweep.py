import datetime

from django.core.management.base import BaseCommand, CommandError

from wageguard.alerts import engine
from wageguard.alerts.catalogue import RULES


class Command(BaseCommand):
    help = ("Run the alert rules now, as the nightly sweep does (`--all`: the rules that only their events run, too; "
            "`--rule CODE`: some rules only). Prints what each raised, updated and resolved.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every rule, not only the nightly ones")
        parser.add_argument("--rule", action="append", default=[], help="a rule code (repeatable)")
        parser.add_argument("--today", help="judge as of this day (YYYY-MM-DD); default: today")

    def handle(self, *args, all, rule, today, **options):
        unknown = [code for code in rule if code not in RULES]
        if unknown:
            raise CommandError(f"unknown rule: {', '.join(unknown)} (known: {', '.join(RULES)})")
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError("--today must be written YYYY-MM-DD")
        if rule:
            results = engine.evaluate(rule, engine.Scope.everything(), day)
        else:
            results = engine.sweep(day, every_rule=all)
        for code, result in results.items():
            self.stdout.write(f"{code:26} raised {result.raised:5d}  updated {result.updated:5d}  resolved {result.resolved:5d}")
