"""Complaints' Huey tasks: hourly escalation of complaints past their deadline."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="10"))
def escalate() -> int:
    return services.escalate_overdue()
