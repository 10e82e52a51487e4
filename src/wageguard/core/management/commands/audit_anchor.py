from django.core.management.base import BaseCommand, CommandError

from wageguard.core.audit import AnchorRefused, anchor_path, write_anchor


class Command(BaseCommand):
    help = "Append the audit chain's head (entry id and seal) to the anchor file outside the database (the daily task does it too)."

    def handle(self, *args, **options):
        try:
            anchor = write_anchor()
        except AnchorRefused as refused:
            raise CommandError(f"not anchored: {refused}") from None
        if anchor is None:
            self.stdout.write("the audit log is empty: nothing to anchor")
        else:
            self.stdout.write(f"anchored entry #{anchor['entry']} {anchor['hash']} in {anchor_path()}")
