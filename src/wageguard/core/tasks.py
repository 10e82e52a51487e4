"""Background work of core (Huey)."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

import logging

from . import audit

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="0", minute="5"))
def anchor_audit_chain() -> None:
    """Daily: the audit chain's head to the anchor file outside the database (refused, loudly, if the chain since
    the last anchor does not hold)."""
    try:
        audit.write_anchor()
    except audit.AnchorRefused:
        log.critical("audit chain not anchored", exc_info=True)
        raise
