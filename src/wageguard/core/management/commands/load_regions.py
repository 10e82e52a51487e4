from django.core.management.base import BaseCommand

from wageguard.core.services import regions_load


class Command(BaseCommand):
    help = "Load Shandong's regions (GB/T 2260) and create the departments of every region. Idempotent."

    def handle(self, *args, **options):
        regions, departments = regions_load()
        self.stdout.write(f"regions: {regions}, departments: {departments}")
