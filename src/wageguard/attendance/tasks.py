from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import partitions


@db_periodic_task(crontab(hour="1", minute="7"))
def attendance_partitions_ensure():
    return partitions.ensure()
