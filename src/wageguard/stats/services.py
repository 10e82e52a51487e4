"""Statistics' writes: the monthly reports generated on demand (they are also generated on the 1st by the
scheduler). The rollups are derived data, written by `rollup` from the events, never by a person."""
from __future__ import annotations

from django.utils.translation import gettext as _

from wageguard.core import access, months
from wageguard.core.errors import ServiceError

from . import reports
from .rollup import window


def reports_generate(*, actor, month: str):
    """The province's HRSS department (or a platform administrator) generates a month's reports again, e.g.
    after late data were corrected: a new version of each, the earlier ones kept; the act audited."""
    access.require(actor, "stats.reports_generate", actor)
    first, last = window()
    if not months.is_month(month) or not first <= month < last:
        raise ServiceError("invalid_month", _("Reports cover a month that has ended, within the statistics' window."), "month")
    return reports.generate(month, actor=actor, again=True)
