from django.core.management.base import BaseCommand, CommandError

from wageguard.core.audit import anchor_path, verify_chain


class Command(BaseCommand):
    help = ("Verify the audit log: every seal (HMAC-SM3 under WAGEGUARD_AUDIT_KEY), every link and every anchor kept outside "
            "the database; report the first broken one (exit status 1).")

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            where = f"entry #{result.broken_at}" if result.broken_at else "chain head"
            raise CommandError(f"audit chain broken at {where} after {result.checked} good entries: {result.problem}")
        self.stdout.write(f"audit chain intact: {result.checked} entries")
        if result.last_anchor:
            a = result.last_anchor
            self.stdout.write(f"anchors: {result.anchors} in {anchor_path()}; latest {a['at']}: entry #{a['entry']} {a['hash']}")
        else:
            self.stdout.write(f"anchors: none yet in {anchor_path()} (wageguard audit_anchor writes one; the daily task at 00:05)")
