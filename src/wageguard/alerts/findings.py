"""What a rule's evaluator returns and what it covers: `Finding`, `Scope` and the horizon of a sweep."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from wageguard.core import months

HORIZON_MONTHS = 13


@dataclass(frozen=True)
class Scope:
    """What an evaluation covers: None means every project / every period within the horizon."""
    project_ids: frozenset[int] | None = None
    periods: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> "Scope":
        return cls()

    def covers_period(self, period: str) -> bool:
        """A month covers its days ("2026-09" covers "2026-09-13")."""
        return self.periods is None or period in self.periods or period[:7] in self.periods

    def covers(self, finding: "Finding") -> bool:
        return self.covers_period(finding.period) and (self.project_ids is None or finding.project_id in self.project_ids)


@dataclass
class Finding:
    subject_type: str
    subject_id: str
    period: str
    project_id: int | None  # None: a subject above projects (a sender), routed by `region_id` and `industry`
    facts: dict
    enterprise_id: int | None = None
    worker_id: int | None = None
    ended: str = ""  # the condition already cleared: why (the alert is raised and resolved at once)
    region_id: int | None = None
    industry: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject_type, str(self.subject_id), self.period)


def horizon(today: datetime.date) -> str:
    """The oldest month a sweep looks at."""
    return months.shift(months.of(today), -HORIZON_MONTHS)
