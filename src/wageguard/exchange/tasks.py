from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .auth import sweep_nonces


@db_periodic_task(crontab(minute="*/10"))
def exchange_nonces_sweep():
    return sweep_nonces()
