from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wageguard.credit.evidence import verify_package


class Command(BaseCommand):
    help = ("Verify an evidence package (the zip the police downloaded): the archive laid out as the server writes it (no bytes "
            "hidden before, between or after its entries, no comment), the manifest's signature (HMAC-SM3 under "
            "WAGEGUARD_EVIDENCE_KEY), then every file's size and SM3 digest against the manifest and no file added. "
            "Exit status 1 on any problem.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the evidence package (.zip)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}")
        result = verify_package(data)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"FAILED: {problem}")
            raise CommandError(f"{path}: {len(result.problems)} problem(s); the package is not as it was built")
        manifest = result.manifest  # signed by us: its shape is ours
        self.stdout.write(f"OK: {len(manifest['files'])} files, signed by {manifest['signature']['key_id']}, "
                          f"chain head #{manifest['audit_chain_head']['entry_id']}")
