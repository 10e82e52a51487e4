"""`wageguard stats_rebuild`: recompute every statistics rollup from the records (the numbers the events keep)."""
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wageguard.stats import rollup


class Command(BaseCommand):
    help = "Recompute the statistics rollups from scratch (identical to what the domain events maintain)."

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r{done}/{total}", ending="")

        result = rollup.rebuild(progress=progress if options["verbosity"] > 1 else None)
        self.stdout.write(_("%(projects)d projects, %(rows)d project months, %(cells)d cells in %(seconds).1f s") % {
            "projects": result.projects, "rows": result.rows, "cells": result.cells, "seconds": result.seconds})
