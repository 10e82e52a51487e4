"""Background work of core (Huey)."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import audit


@db_periodic_task(crontab(hour="0", minute="5"))
def anchor_audit_chain() -> None:
    """Daily: the audit chain's head to the anchor file outside the database."""
    audit.write_anchor()
