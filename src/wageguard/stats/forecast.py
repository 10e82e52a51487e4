"""预警预测: each project's risk of arrears in the next month, from the signals the platform holds at the end of
a month, as an explained score: risk = logistic(intercept + Σ weight × signal), each signal in 0..1 and each
weight a `core.rules` setting ("forecast.*"), so that a province re-fits them on its own history
(`wageguard forecast --fit` prints the fitted values) without a code change.

Only what is known when the month ends counts: the month before's ledger (its wages fell due at this month's
end) and the bank's failures in paying it, this month's attendance, alerts and complaints, the allocation of
labour cost, the account and its balance against the month before. The backtest
scores every past month M whose next month's wages have fallen due and compares the top 5 % with the projects
that then owed wages for M + 1 (the arrears rule's own facts: unpaid lines once due), never with the score."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from wageguard.core import clock, months
from wageguard.core import rules as thresholds
from wageguard.core.models import Region, RegionLevel
from wageguard.credit.models import CreditRating
from wageguard.registry.models import Project

from .indicators import is_due
from .models import ProjectMonth, RiskScore

SIGNALS = ("arrears_before", "attendance_falling", "ledger_missing", "alerts_recent", "complaints", "credit", "no_account", "labour_cost_short",
           "bank_failures", "balance_falling")
BAND_RISK = {"D": 1.0, "C": 0.6, "B": 0.2, "A": 0.0}
FIELDS = ("project_id", "county", "industry", "employments", "attended", "ledger_lines", "lines_failed", "net_due", "unpaid_net",
          "balance", "alerts_raised", "complaints", "accounts_opened", "labour_cost_short")


def weights() -> dict[str, float]:
    """The province's weights (one model for the province: it is fitted on the province's history)."""
    province = Region.objects.filter(level=RegionLevel.PROVINCE).first()
    return {"intercept": float(thresholds.value("forecast.intercept", province))} | {
        s: float(thresholds.value(f"forecast.weight.{s}", province)) for s in SIGNALS}


def _rows(month: str, project_ids=None) -> dict[int, dict]:
    qs = ProjectMonth.objects.filter(month=month)
    if project_ids is not None:
        qs = qs.filter(project_id__in=project_ids)
    return {r["project_id"]: r for r in qs.values(*FIELDS)}


def signals(month: str, project_ids=None) -> dict[int, dict[str, float]]:
    """Each project with a row in `month`: its signals, each 0..1."""
    now, before, earlier = _rows(month, project_ids), _rows(months.previous(month), project_ids), _rows(months.shift(month, -2), project_ids)
    contractor = dict(Project.objects.filter(pk__in=list(now)).values_list("pk", "general_contractor_id"))
    bands = dict(CreditRating.objects.filter(enterprise_id__in=set(contractor.values())).values_list("enterprise_id", "band"))
    found = {}
    for pk, row in now.items():
        last = before.get(pk, {})
        due = Decimal(last.get("net_due") or 0)
        attended_before = last.get("attended") or 0
        found[pk] = {
            "arrears_before": float(min(Decimal(1), Decimal(last.get("unpaid_net") or 0) / due)) if due else 0.0,
            "attendance_falling": (max(0.0, 1 - row["attended"] / attended_before) if attended_before >= 5 else 0.0),
            "ledger_missing": float(bool(last.get("employments")) and not last.get("ledger_lines")),
            "alerts_recent": min(1.0, (row["alerts_raised"] + (last.get("alerts_raised") or 0)) / 5),
            "complaints": float(bool(row["complaints"] or last.get("complaints") or earlier.get(pk, {}).get("complaints"))),
            "credit": BAND_RISK.get(bands.get(contractor.get(pk)), 0.0),
            "no_account": float(not row["accounts_opened"]),
            "labour_cost_short": float(bool(row["labour_cost_short"] or last.get("labour_cost_short"))),
            # the share of the month before's lines (paid this month) that the bank could not pay
            "bank_failures": min(1.0, (last.get("lines_failed") or 0) / last["ledger_lines"]) if last.get("ledger_lines") else 0.0,
            # how far the dedicated accounts' balance fell over the month (0: it held or rose; or no one works there
            # any more, e.g. the account emptied when the project closed)
            "balance_falling": _fall(Decimal(last.get("balance") or 0), Decimal(row["balance"] or 0)) if row["employments"] else 0.0,
        }
    return found


def _fall(before: Decimal, now: Decimal) -> float:
    return float(max(Decimal(0), min(Decimal(1), 1 - now / before))) if before > 0 else 0.0


def explain(values: dict[str, float], weights_: dict[str, float]) -> tuple[float, dict]:
    parts = {s: {"value": round(values[s], 4), "points": round(weights_[s] * values[s], 4)} for s in SIGNALS}
    logit = weights_["intercept"] + sum(p["points"] for p in parts.values())
    return 1 / (1 + math.exp(-logit)), parts


@transaction.atomic
def refresh(month: str | None = None) -> int:
    """Score every project with a row in `month` (default: the last month that has ended)."""
    month = month or months.previous(months.of(clock.localdate()))
    w = weights()
    rows = _rows(month)
    now = clock.now()
    RiskScore.objects.filter(month=month).delete()
    scores = []
    for pk, values in signals(month).items():
        score, parts = explain(values, w)
        scores.append(RiskScore(project_id=pk, month=month, score=Decimal(str(round(score, 4))), parts=parts,
                                county=rows[pk]["county"], industry=rows[pk]["industry"], computed_at=now))
    RiskScore.objects.bulk_create(scores, batch_size=5000)
    return len(scores)


# ---------------------------------------------------------------- backtest and fit


def outcomes(month: str) -> set[int]:
    """The projects that owed wages for `month` once they fell due."""
    return set(ProjectMonth.objects.filter(month=month, projects_unpaid__gt=0).values_list("project_id", flat=True))


def samples() -> list[tuple[str, int, dict, bool]]:
    """(month, project, signals, arrears the next month) for every month whose next month has fallen due."""
    today = clock.localdate()
    found = []
    with_ledgers = set(ProjectMonth.objects.filter(ledger_lines__gt=0).values_list("month", flat=True))
    for month in sorted(set(ProjectMonth.objects.values_list("month", flat=True))):
        following = months.next_month(month)
        if not is_due(following, today) or following not in with_ledgers:  # no ledgers then: nothing to grade against
            continue
        owed = outcomes(following)
        found += [(month, pk, values, pk in owed) for pk, values in signals(month).items()]
    return found


@dataclass
class Backtest:
    samples: int
    positives: int
    top: int
    hits: int
    new_samples: int     # the projects that did not owe for the month before
    new_top: int
    new_hits: int

    @property
    def base_rate(self) -> float:
        return self.positives / self.samples if self.samples else 0.0

    @property
    def precision(self) -> float:
        return self.hits / self.top if self.top else 0.0

    @property
    def new_precision(self) -> float:
        return self.new_hits / self.new_top if self.new_top else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.positives if self.positives else 0.0


def _top(group: list, share: float) -> list:
    ranked = sorted(group, key=lambda s: (-s[0], s[1]))
    return ranked[:max(1, math.ceil(len(ranked) * share))] if ranked else []


def backtest(weights_: dict[str, float] | None = None, share: float = 0.05, data=None) -> Backtest:
    """Within each month, the top `share` of projects by risk; precision = how many of them then owed wages."""
    w = weights_ or weights()
    data = samples() if data is None else data
    by_month: dict[str, list] = {}
    for month, pk, values, owed in data:
        by_month.setdefault(month, []).append((explain(values, w)[0], pk, values, owed))
    top = hits = new_top = new_hits = new_samples = 0
    for group in by_month.values():
        chosen = _top(group, share)
        top += len(chosen)
        hits += sum(1 for s in chosen if s[3])
        fresh = [s for s in group if not s[2]["arrears_before"]]
        new_samples += len(fresh)
        chosen_new = _top(fresh, share)
        new_top += len(chosen_new)
        new_hits += sum(1 for s in chosen_new if s[3])
    return Backtest(len(data), sum(1 for s in data if s[3]), top, hits, new_samples, new_top, new_hits)


def fit(data=None, *, rounds: int = 25, l2: float = 1.0) -> dict[str, float]:
    """Logistic regression on the history by Newton's method (a few features, any number of samples; L2 keeps
    the weights of signals that never occur at zero); returns the weights to store as the `forecast.*` settings."""
    data = samples() if data is None else data
    if not data or not any(s[3] for s in data) or all(s[3] for s in data):
        return weights()  # nothing to learn from: no arrears followed (or only arrears)
    names = ["intercept", *SIGNALS]
    rows = [([1.0] + [values[s] for s in SIGNALS], 1.0 if owed else 0.0) for _m, _pk, values, owed in data]
    w = [0.0] * len(names)
    for _round in range(rounds):
        grad = [l2 * w[k] if k else 0.0 for k in range(len(names))]
        hess = [[(l2 if j == k and k else 0.0) for k in range(len(names))] for j in range(len(names))]
        for x, y in rows:
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, sum(a * b for a, b in zip(w, x))))))
            r, v = p - y, p * (1 - p)
            for j, xj in enumerate(x):
                if xj:
                    grad[j] += r * xj
                    row = hess[j]
                    for k, xk in enumerate(x):
                        if xk:
                            row[k] += v * xj * xk
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(b) for b in step) < 1e-6:
            break
    return {name: round(max(-20.0, min(20.0, value)), 3) for name, value in zip(names, w)}


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the Hessian is small and, with L2, positive definite)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(a[r][r]) >= 1e-12:
            x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def high_risk(project_ids, today) -> list[tuple[int, int, str, dict]]:
    """The yellow alert's findings: the latest scores at or above `forecast.alert_score`, their three largest parts."""
    month = months.previous(months.of(today))
    scores = RiskScore.objects.filter(month=month, score__gte=thresholds.lowest("forecast.alert_score"))
    if project_ids is not None:
        scores = scores.filter(project_id__in=project_ids)
    projects = Project.objects.select_related("region").in_bulk(list(scores.values_list("project_id", flat=True)))
    found = []
    for score in scores.order_by("project_id"):
        project = projects.get(score.project_id)
        if project is None or score.score < thresholds.value("forecast.alert_score", project.region):  # the county's own threshold
            continue
        top = sorted(score.parts.items(), key=lambda item: -item[1]["points"])[:3]
        found.append((score.project_id, project.general_contractor_id, months.next_month(month),
                      {"score": str(score.score), "signals_month": month, "signals": {k: v for k, v in top if v["points"] > 0}}))
    return found
