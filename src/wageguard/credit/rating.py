"""The enterprise credit rating, computed from facts the platform already holds, explained line by line.

score = base + the points of every line; each line is one kind of fact (its count or amount) times its weight, a
regional setting of `core.rules` citing its source document, with the records behind it. The band follows from
the score (A ≥ credit.band.a, B ≥ credit.band.b, C ≥ credit.band.c, else D).

Facts: credit records in force (arrears found and their amounts, arrears settled, blacklist, major violation,
market ban, commendation); alerts of the lookback window by severity, those handled late, late data as a sender,
deposits not lodged (alerts of `alerts.selectors`); the wage deposit drawn to pay wages (`accounts`); and any
source another app registers (`FACT_SOURCES`: complaints upheld, once the worker's channel exists).

Everything is read in bulk (a few queries for the whole province), so a full recompute of tens of thousands of
enterprises takes seconds (bench/credit.py).
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wageguard.accounts import selectors as account_selectors
from wageguard.accounts.requirements import CreditStanding
from wageguard.alerts import selectors as alert_selectors
from wageguard.core import clock, months, rules
from wageguard.core.models import Region
from wageguard.core.months import add_years
from wageguard.registry import selectors as registry_selectors
from wageguard.registry.models import Enterprise

from .models import IN_FORCE, Band, CreditRecord, RecordKind, RecordStatus


@dataclass
class Line:
    """One line of the explanation: a kind of fact, how many (or how much), its weight and the points."""

    key: str
    count: int = 0
    amount: Decimal = Decimal("0")
    sources: list[tuple[str, int]] = field(default_factory=list)  # (kind of record, id)

    def as_dict(self, weight: Decimal, points: int) -> dict:
        return {"key": self.key, "count": self.count, "amount": str(self.amount), "weight": str(weight), "points": points,
                "sources": [{"type": kind, "id": pk} for kind, pk in self.sources[:50]]}


# Each line: the weight that applies and how its points follow (per fact, or per 10,000 yuan of the amount).
LINES: dict[str, tuple[str, object]] = {
    "arrears_found": ("credit.weight.arrears_found", _("arrears found (credit records in force)")),
    "arrears_amount": ("credit.weight.arrears_per_10k", _("amount of arrears found, per 10,000 yuan")),
    "arrears_settled": ("credit.weight.arrears_settled", _("arrears settled")),
    "blacklist": ("credit.weight.blacklist", _("on the joint-punishment blacklist")),
    "major_violation": ("credit.weight.major_violation", _("major labour-law violation")),
    "market_ban": ("credit.weight.market_ban", _("barred from the construction market")),
    "commendation": ("credit.weight.commendation", _("commendation")),
    "alert_red": ("credit.weight.alert_red", _("red alerts")),
    "alert_yellow": ("credit.weight.alert_yellow", _("yellow alerts")),
    "alert_overdue": ("credit.weight.alert_overdue", _("alerts not handled by their deadline")),
    "sender_late": ("credit.weight.sender_late", _("late data as a sender")),
    "deposit_late": ("credit.weight.deposit_late", _("wage deposit not lodged in time")),
    "deposit_drawn": ("credit.weight.deposit_drawn", _("wage deposit drawn to pay wages")),
    "complaint_upheld": ("credit.weight.complaint_upheld", _("complaints upheld")),
}
RECORD_LINES = {RecordKind.ARREARS_FOUND: "arrears_found", RecordKind.ARREARS_SETTLED: "arrears_settled",
                RecordKind.BLACKLIST: "blacklist", RecordKind.MAJOR_VIOLATION: "major_violation",
                RecordKind.MARKET_BAN: "market_ban", RecordKind.COMMENDATION: "commendation"}
# Records that never age out of the rating while in force (their own period ends them); the others count for the
# lookback window from their decision.
STANDING_KINDS = (RecordKind.BLACKLIST, RecordKind.MAJOR_VIOLATION, RecordKind.MARKET_BAN)
# An arrears fact for the deposit rules: arrears found, or a blacklisting (for arrears).
ARREARS_KINDS = (RecordKind.ARREARS_FOUND, RecordKind.BLACKLIST)
# Good conduct counts, but at most this many facts of a kind: a friendly department cannot lift a rating alone.
POSITIVE_CAP = 2
TEN_THOUSAND = Decimal("10000")

# Facts other apps contribute: `source(since, enterprise_ids) -> {enterprise_id: Line}` (complaints upheld, …).
FACT_SOURCES: list[Callable[[datetime.datetime, set | None], dict[int, Line]]] = []


@dataclass
class Facts:
    lines: dict[str, Line] = field(default_factory=dict)
    last_arrears: datetime.date | None = None

    def line(self, key: str) -> Line:
        return self.lines.setdefault(key, Line(key))


LOOKBACK_MONTHS = 24  # alerts, deposits and arrears of the last two years (人社部发〔2021〕65号第八条: "近2年")


def _window_start(today: datetime.date) -> datetime.date:
    return months.first_day(months.shift(months.of(today), -LOOKBACK_MONTHS))


def gather(enterprise_ids: set[int] | None, today: datetime.date) -> dict[int, Facts]:
    """Every enterprise's facts (all of them when `enterprise_ids` is None), in a handful of bulk queries."""
    since_day = _window_start(today)
    since = timezone.make_aware(datetime.datetime.combine(since_day, datetime.time()))
    facts: dict[int, Facts] = defaultdict(Facts)
    # In force, or removed at the end of its period (a fact that happened); a record annulled on appeal (removed
    # before its period ended, or never published), withdrawn or repaired is no fact.
    served = Q(status=RecordStatus.REMOVED, removal_on__isnull=False, removed_on__gte=F("removal_on"))
    records = CreditRecord.objects.filter(Q(status__in=IN_FORCE) | served, enterprise__isnull=False)
    if enterprise_ids is not None:
        records = records.filter(enterprise_id__in=list(enterprise_ids))
    judged_alerts = set()  # alerts that became a record: counted once, as the record
    for pk, enterprise_id, kind, status, amount, decided_on, alert_id in records.values_list(
            "pk", "enterprise_id", "kind", "status", "amount", "decided_on", "alert_id").iterator(chunk_size=10000):
        mine = facts[enterprise_id]
        if kind in ARREARS_KINDS and decided_on and (mine.last_arrears is None or decided_on > mine.last_arrears):
            mine.last_arrears = decided_on
        if status == RecordStatus.REMOVED or kind not in RECORD_LINES:
            continue
        if alert_id:
            judged_alerts.add(alert_id)
        # Published standing records count for their whole period; every other record for the lookback window.
        if not (kind in STANDING_KINDS and status == RecordStatus.PUBLISHED) and (decided_on is None or decided_on < since_day):
            continue
        line = mine.line(RECORD_LINES[kind])
        line.count += 1
        line.sources.append(("credit_record", pk))
        if kind == RecordKind.ARREARS_FOUND and amount:
            amount_line = mine.line("arrears_amount")
            amount_line.amount += amount
            amount_line.sources.append(("credit_record", pk))
    for fact in alert_selectors.credit_facts(since=since, enterprise_ids=enterprise_ids):
        if fact.alert_id in judged_alerts:
            continue
        mine = facts[fact.enterprise_id]
        if fact.rule in alert_selectors.SENDER_RULES:
            key = "sender_late"
        elif fact.rule in alert_selectors.DEPOSIT_RULES:
            key = "deposit_late"
        else:
            key = f"alert_{fact.severity}"
        for name in (key, "alert_overdue") if fact.overdue else (key,):
            line = mine.line(name)
            line.count += 1
            line.sources.append(("alert", fact.alert_id))
    for enterprise_id, movement_id, deposit_id in account_selectors.deposit_drawdowns(since=since_day, enterprise_ids=enterprise_ids):
        line = facts[enterprise_id].line("deposit_drawn")
        line.count += 1
        line.sources.append(("deposit", deposit_id))
    for source in FACT_SOURCES:
        for enterprise_id, line in source(since, enterprise_ids).items():
            facts[enterprise_id].lines[line.key] = line
    return facts


@dataclass(frozen=True)
class Rated:
    score: int
    band: str
    lines: list[dict]
    clean_years: int
    recent_arrears: bool


class Weights:
    """Every weight and band threshold for each region, read once (a few queries, however many enterprises)."""

    KEYS = ["credit.base_score", "credit.band.a", "credit.band.b", "credit.band.c"] + [weight for weight, _label in LINES.values()]

    def __init__(self, regions: Iterable):
        regions = [r for r in regions if r is not None]
        self._values = {key: rules.values(key, regions) for key in self.KEYS}

    def get(self, key: str, region_id: int | None) -> Decimal:
        return self._values[key].get(region_id, rules.RULES[key].default)


def points(line: Line, weight: Decimal) -> int:
    """A line's points: per fact, or per (started) 10,000 yuan for the amount of arrears; whole points."""
    quantity = (line.amount / TEN_THOUSAND).to_integral_value(rounding="ROUND_CEILING") if line.key == "arrears_amount" else line.count
    return int((Decimal(quantity) * weight).to_integral_value(rounding="ROUND_HALF_UP"))


def band_of(score: int, weights: Weights, region_id: int | None) -> str:
    for band, key in ((Band.A, "credit.band.a"), (Band.B, "credit.band.b"), (Band.C, "credit.band.c")):
        if score >= weights.get(key, region_id):
            return band.value
    return Band.D.value


def rate(facts: Facts, weights: Weights, region_id: int | None, history_start: datetime.date | None, today: datetime.date) -> Rated:
    """The rating of one enterprise from its facts: the base, then each line (in the catalogue's order)."""
    lines, score = [], int(weights.get("credit.base_score", region_id))
    for key, (weight_key, _label) in LINES.items():
        line = facts.lines.get(key)
        if line is None or (line.count == 0 and not line.amount):
            continue
        weight = weights.get(weight_key, region_id)
        if weight > 0:
            line.count, line.sources = min(line.count, POSITIVE_CAP), line.sources[:POSITIVE_CAP]
        earned = points(line, weight)
        score += earned
        lines.append(line.as_dict(weight, earned))
    band = band_of(score, weights, region_id)
    two_years_ago = add_years(today, -2)
    recent = facts.last_arrears is not None and facts.last_arrears > two_years_ago  # decided arrears only, never alerts alone
    clean_from = max(facts.last_arrears or datetime.date.min, history_start or today)
    clean_years = 0 if recent or band not in (Band.A, Band.B) else _whole_years(clean_from, today)
    return Rated(score, band, lines, clean_years, recent)


def _whole_years(start: datetime.date, today: datetime.date) -> int:
    years = today.year - start.year
    return max(years - (add_years(start, years) > today), 0)  # a start after today (a clock set back): none


def rate_enterprises(enterprise_ids: set[int] | None, today: datetime.date | None = None) -> dict[int, Rated]:
    """Ratings of these enterprises (every enterprise when None), without storing them."""
    today = today or clock.localdate()
    enterprises = Enterprise.objects.all() if enterprise_ids is None else Enterprise.objects.filter(pk__in=list(enterprise_ids))
    region_of = dict(enterprises.values_list("pk", "region_id").iterator(chunk_size=10000))
    weights = Weights(Region.objects.filter(pk__in={r for r in region_of.values() if r}).select_related("parent__parent"))
    facts = gather(enterprise_ids, today)
    history = registry_selectors.enterprise_history_start(enterprise_ids)
    return {pk: rate(facts.get(pk) or Facts(), weights, region_id, history.get(pk), today) for pk, region_id in region_of.items()}


def standing(enterprise) -> CreditStanding:
    """What the deposit rules read (registered with `accounts.requirements`): the enterprise's current standing,
    computed from the facts now (so a deposit assessed right after a decision already follows it)."""
    rated = rate_enterprises({enterprise.pk}).get(enterprise.pk)
    if rated is None:
        return CreditStanding()
    return CreditStanding(rated.clean_years, rated.recent_arrears, rated.band)


def label(key: str) -> str:
    return str(LINES[key][1]) if key in LINES else key
