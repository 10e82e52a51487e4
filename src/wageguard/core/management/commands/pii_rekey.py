from django.core.management.base import BaseCommand

from wageguard.core.rekey import rekey_all


class Command(BaseCommand):
    help = "Re-encrypt personal data and recompute blind indexes under the current WAGEGUARD_FIELD_KEY (docs/pii.md)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch, **options):
        for label, count in rekey_all(batch=batch):
            self.stdout.write(f"{label}: {count} rows re-encrypted")
