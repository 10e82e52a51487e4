"""In the demo (WAGEGUARD_ENV=dev) the simulated gates keep delivering while the console runs, so the
on-site pages fill up through the day as they would with real gates."""
from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .generator import Params, simulate
from .models import SimulationRun


@db_periodic_task(crontab(minute="*/5"))
def demo_gates_deliver():
    if not settings.DEV:
        return None
    run = SimulationRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    if run is None:
        return None
    summary = simulate(Params(**run.params))
    return summary.attendance.records if summary.attendance else 0
