import json

from django.core.management.base import BaseCommand, CommandError

from wageguard.core.errors import ServiceError
from wageguard.exchange.models import ClientKind
from wageguard.exchange.services import apiclient_create


class Command(BaseCommand):
    help = "Create a machine API client; prints one JSON object {\"key_id\", \"secret\"} (the secret is shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=ClientKind.values)
        parser.add_argument("--name", default="")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--project", nargs="+", metavar="CODE", help="gate_system: the projects it serves")
        scope.add_argument("--enterprise", metavar="USCC", help="enterprise_system: its enterprise")
        scope.add_argument("--bank", metavar="CODE", help="bank: its bank code")
        scope.add_argument("--city", metavar="CODE", help="city_platform: its city's GB/T 2260 code")

    def handle(self, *args, kind, name, project, enterprise, bank, city, **options):
        try:
            client, secret = apiclient_create(actor=None, kind=kind, name=name, project_codes=project or [],
                                              enterprise_uscc=enterprise or "", bank_code=bank or "", city_code=city or "")
        except ServiceError as error:
            raise CommandError(f"{error.field}: {error.message}")
        self.stdout.write(json.dumps({"key_id": client.key_id, "secret": secret}))
