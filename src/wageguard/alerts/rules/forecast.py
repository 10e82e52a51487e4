"""The arrears forecast's yellow alert. The forecast itself is statistics' (stats/forecast.py, above the alerts),
which registers its reader here at start-up (a consumer never imported by its producer)."""
from __future__ import annotations

from typing import Callable

from ..findings import Finding

# (project ids or None, today) -> [(project id, enterprise id, month at risk, facts)]
_high_risk: Callable | None = None


def register_high_risk(reader: Callable) -> None:
    global _high_risk
    _high_risk = reader


def arrears_risk(scope, today):
    """Projects whose forecast risk of arrears next month is at or above `forecast.alert_score`."""
    if _high_risk is None:
        return []
    return [Finding("project", str(project_id), month, project_id, facts, enterprise_id=enterprise_id)
            for project_id, enterprise_id, month, facts in _high_risk(scope.project_ids, today)]
