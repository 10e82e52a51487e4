from django.core.management.base import BaseCommand, CommandError

from wageguard.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link (exit status 1 if any)."

    def handle(self, *args, **options):
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"audit chain intact: {result.checked} entries")
            return
        where = f"entry #{result.broken_at}" if result.broken_at else "chain head"
        raise CommandError(f"audit chain broken at {where} after {result.checked} good entries: {result.problem}")
