from django.core.management.base import BaseCommand, CommandError

from wageguard.core import rules
from wageguard.core.errors import ServiceError
from wageguard.core.models import Region
from wageguard.core.services import regional_setting_set


class Command(BaseCommand):
    help = "Set a region's own value for a rule threshold (see core/rules.py); `--list` shows the rules."

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?")
        parser.add_argument("region", nargs="?", help="GB/T 2260 code of the province, city or county")
        parser.add_argument("value", nargs="?")
        parser.add_argument("--regulation", default="", help="the local rule that sets this value")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args, key, region, value, regulation, list, **options):
        if list or not key:
            for rule in rules.RULES.values():
                self.stdout.write(f"{rule.key:<40} {rule.default:>12} {rule.unit:<22} {rule.regulation}")
            return
        place = Region.objects.filter(code=region or "").first()
        if place is None:
            raise CommandError(f"no region with code {region!r}")
        try:
            setting = regional_setting_set(actor=None, key=key, region=place, value=value, regulation=regulation)
        except ServiceError as error:
            raise CommandError(f"{error.field}: {error.message}") from None
        self.stdout.write(f"{setting.key} @ {place.code} {place.name} = {setting.value}")
