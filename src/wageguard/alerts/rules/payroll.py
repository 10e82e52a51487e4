"""The rules on wage ledgers and their payment: the ledger's stored cross-checks, ghost workers, large payments,
shared cards, arrears, low average pay, lines the bank could not pay."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from wageguard.attendance import selectors as attendance_reads
from wageguard.core import months
from wageguard.payroll import selectors as payroll_reads
from wageguard.payroll.models import ResultStatus
from wageguard.registry import selectors as registry
from wageguard.registry.models import WageBasis

from ..findings import Finding, horizon
from . import closed_month, days, lowest, off_days, per_region

GHOST_MIN_ROSTER_DAYS = 3  # one or two working days on the roster without a punch prove nothing
AVERAGE_MIN_WORKERS = 3  # one or two people are no average


def ledgers(scope, today, *, closed_only: bool = True):
    """The ledgers of the scope within the horizon (`closed_only`: of months whose data deadline has passed)."""
    qs = payroll_reads.payrolls_since(horizon(today))
    if closed_only:
        qs = qs.filter(month__lte=closed_month(today))
    if scope.project_ids is not None:
        qs = qs.filter(project_id__in=scope.project_ids)
    if scope.periods is not None:
        qs = qs.filter(month__in=scope.periods)
    return qs


def _lines(scope, today):
    return payroll_reads.current_lines().filter(payroll__in=ledgers(scope, today)).select_related("payroll")


def _line_finding(line, facts: dict) -> Finding:
    """A line's finding; a re-issued payment stays the subject of the line it re-issues (one alert per payment)."""
    return Finding("payroll_line", str(line.reissue_of_id or line.pk), line.payroll.month, line.payroll.project_id,
                   {"payroll": line.payroll_id, "days_attended": line.days_attended, "days_claimed": line.days_claimed,
                    "net": str(line.net)} | facts,
                   enterprise_id=line.payroll.enterprise_id, worker_id=line.worker_id)


def line_check(code: str, **only):
    """Lines whose stored cross-check `code` is not ok (error, or warning for the warning-level checks)."""
    def evaluate(scope, today):
        lines = _lines(scope, today).filter(**{f"checks__{code}__level__in": ["error", "warning"]}, **only)
        return [_line_finding(line, {"check": code, "detail": line.checks[code]["detail"]}) for line in lines.order_by("id")]
    evaluate.__name__ = f"line_check_{code}"
    return evaluate


def ghost_worker(scope, today):
    """Paid by the month, on the roster at least three working days of the month, never seen at the gate. A public
    holiday or a declared shutdown is no day to be seen on — if the site really stopped: a day anyone was seen
    there counts (a shutdown declared while the site works hides nobody)."""
    lines = list(_lines(scope, today).filter(wage_basis=WageBasis.MONTHLY, days_attended=0, net__gt=0).select_related("employment"))
    off = {}
    for month in {line.payroll.month for line in lines}:
        first, last = months.bounds(month)
        ids = {line.payroll.project_id for line in lines if line.payroll.month == month}
        worked = set(attendance_reads.attendance_days_between(ids, first, last).values_list("project_id", "day").distinct())
        off[month] = {pk: {day for day in days_off if (pk, day) not in worked} for pk, days_off in off_days(ids, first, last).items()}
    found = []
    for line in lines:
        first, last = months.bounds(line.payroll.month)
        e = line.employment
        if e is None:
            continue
        not_working = off[line.payroll.month][line.payroll.project_id]
        roster = sum(1 for day in days(max(e.entered_on, first), min(e.exited_on or last, last)) if day not in not_working)
        if roster >= GHOST_MIN_ROSTER_DAYS:
            found.append(_line_finding(line, {"roster_days": roster}))
    return found


def large_payment(scope, today):
    """Net above the month's limit on one line; above the year's limit over a worker's lines of a year."""
    monthly, yearly = per_region("alert.large_payment_month"), per_region("alert.large_payment_year")
    found = []
    lines = _lines(scope, today).select_related("payroll__project__region__parent__parent")
    for line in lines.filter(net__gt=lowest("alert.large_payment_month")).order_by("id"):
        limit = monthly(line.payroll.project.region)
        if line.net > limit:
            found.append(_line_finding(line, {"limit": str(limit)}))
    workers = set(lines.values_list("worker_id", flat=True).distinct()) if scope.project_ids is not None else None
    years = payroll_reads.current_lines().filter(payroll__month__gte=horizon(today))
    if workers is not None:
        years = years.filter(worker_id__in=workers)
    rows = list(years.values("worker_id", year=Substr("payroll__month", 1, 4)).annotate(total=Sum("net"), last=Max("id"))
                .filter(total__gt=lowest("alert.large_payment_year")).order_by("worker_id"))
    latest = payroll_reads.current_lines().select_related("payroll__project__region__parent__parent").in_bulk([r["last"] for r in rows])
    for row in rows:
        last = latest[row["last"]]
        limit = yearly(last.payroll.project.region)
        if row["total"] > limit:
            found.append(Finding("worker", str(row["worker_id"]), row["year"], last.payroll.project_id,
                                 {"year_total": str(row["total"]), "limit": str(limit)},
                                 enterprise_id=last.payroll.enterprise_id, worker_id=row["worker_id"]))
    return found


def shared_cards(scope, today):
    """Several workers of one ledger paid to one card (a foreman holding his workers' cards)."""
    lines = payroll_reads.current_lines().filter(payroll__in=ledgers(scope, today, closed_only=False), card_index__isnull=False)
    groups = lines.values("payroll_id", "card_index").annotate(n=Count("id")).filter(n__gt=1)
    wanted = {(g["payroll_id"], g["card_index"]) for g in groups}
    members = defaultdict(list)
    for line in lines.filter(payroll_id__in={p for p, _c in wanted}).select_related("payroll").order_by("worker_id"):
        if (line.payroll_id, line.card_index) in wanted:
            members[(line.payroll_id, line.card_index)].append(line)
    return [Finding("payroll", f"{payroll_id}:{card[:16]}", group[0].payroll.month, group[0].payroll.project_id,
                    {"payroll": payroll_id, "workers": [line.worker_id for line in group], "card": group[0].card_masked},
                    enterprise_id=group[0].payroll.enterprise_id)
            for (payroll_id, card), group in sorted(members.items())]


def arrears(scope, today):
    """Month M not fully paid by the end of M + 1: open while lines stay unpaid, ended once all are paid."""
    found = []
    due_months = ledgers(scope, today, closed_only=False).filter(month__lt=months.previous(months.of(today)))
    lines = (payroll_reads.current_lines().filter(payroll__in=due_months, net__gt=0)
             .values("payroll_id", "payroll__month", "payroll__project_id", "payroll__enterprise_id")
             .annotate(lines=Count("id"), paid=Count("id", filter=Q(result__status=ResultStatus.PAID)), last_paid=Max("result__paid_at"),
                       unpaid_net=Sum("net", filter=~Q(result__status=ResultStatus.PAID) | Q(result__isnull=True))))
    for row in lines.order_by("payroll_id"):
        month = row["payroll__month"]
        deadline = months.last_day(months.next_month(month))
        last_paid = row["last_paid"]
        late = last_paid is not None and last_paid.date() > deadline
        if row["paid"] == row["lines"] and not late:
            continue
        facts = {"lines": row["lines"], "paid": row["paid"], "unpaid_net": str(row["unpaid_net"] or 0), "deadline": deadline.isoformat()}
        ended = _("All lines were paid by %(day)s, after the deadline.") % {"day": last_paid.date()} if row["paid"] == row["lines"] else ""
        found.append(Finding("payroll", str(row["payroll_id"]), month, row["payroll__project_id"], facts,
                             enterprise_id=row["payroll__enterprise_id"], ended=ended))
    return found


def low_average_pay(scope, today):
    """A ledger whose workers on the roster all month earn on average less than the minimum wage (at least three
    of them: one or two people are no average)."""
    floor = per_region("alert.low_average_pay")
    payrolls = ledgers(scope, today)
    found = []
    for month in sorted(set(payrolls.values_list("month", flat=True))):
        first, last = months.bounds(month)
        rows = (payroll_reads.current_lines().filter(payroll__in=payrolls.filter(month=month), net__gt=0, employment__entered_on__lte=first)
                .filter(Q(employment__exited_on__isnull=True) | Q(employment__exited_on__gte=last))
                .values("payroll_id", "payroll__project_id", "payroll__enterprise_id").annotate(workers=Count("id"), average=Avg("net"))
                .filter(workers__gte=AVERAGE_MIN_WORKERS).order_by("payroll_id"))
        projects = registry.projects_by_pk({r["payroll__project_id"] for r in rows})
        for row in rows:
            average = Decimal(row["average"]).quantize(Decimal("0.01"))
            limit = floor(projects[row["payroll__project_id"]].region)
            if average < limit:
                found.append(Finding("payroll", str(row["payroll_id"]), month, row["payroll__project_id"],
                                     {"average_net": str(average), "workers": row["workers"], "floor": str(limit)},
                                     enterprise_id=row["payroll__enterprise_id"]))
    return found


def bank_line_failed(scope, today):
    """The bank could not pay a line and it has not been re-issued yet."""
    lines = (payroll_reads.current_lines().filter(payroll__in=ledgers(scope, today, closed_only=False), result__status=ResultStatus.FAILED)
             .select_related("payroll", "result"))
    return [_line_finding(line, {"reason_code": line.result.reason_code}) for line in lines.order_by("id")]
