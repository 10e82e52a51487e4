"""The rules' evaluators: each reads the stored data of a scope, set-based, and returns `Finding`s.

Each evaluator looks back over history (not only at "now"), so an episode that began and ended between two
runs — an account opened late, a gate outage, a month paid late — is still found, as an ended finding.
Grace: a month's ledger lines count only once the month's data deadline has passed; attendance days only
once their one-day deadline has.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core import clock, months, workdays
from wageguard.core import rules as thresholds
from wageguard.registry.selectors import shutdown_days

LOOKBACK_DAYS = 124  # daily rules look back four months (the demo's window and more)
GHOST_MIN_ROSTER_DAYS = 3  # one or two days on the roster without a punch prove nothing
MIN_PUNCHES_FOR_A_SHARE = 20  # a share of a handful of punches means nothing


def _engine():
    from . import engine

    return engine


def _closed_month(today: datetime.date) -> str:
    """The latest month whose data deadline has passed: its last day's data was due by the end of the next day."""
    day = today - datetime.timedelta(days=2)
    month = f"{day:%Y-%m}"
    return month if day == months.last_day(month) else months.previous(month)


def _payrolls(scope, today, *, closed_only: bool = True):
    from wageguard.payroll.models import Payroll

    qs = Payroll.objects.filter(month__gte=_engine().horizon(today))
    if closed_only:
        qs = qs.filter(month__lte=_closed_month(today))
    if scope.project_ids is not None:
        qs = qs.filter(project_id__in=scope.project_ids)
    if scope.periods is not None:
        qs = qs.filter(month__in=scope.periods)
    return qs


def _lines(scope, today):
    from wageguard.payroll.models import PayrollLine

    return PayrollLine.objects.current().filter(payroll__in=_payrolls(scope, today)).select_related("payroll")


def _line_finding(line, facts: dict):
    """A line's finding; a re-issued payment stays the subject of the line it re-issues (one alert per payment)."""
    return _engine().Finding("payroll_line", str(line.reissue_of_id or line.pk), line.payroll.month, line.payroll.project_id,
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
    """Paid by the month, on the roster at least three working days of the month (public holidays and the
    project's declared shutdowns are no days to be seen on), never seen at the gate."""
    from wageguard.registry.models import WageBasis

    found = []
    lines = list(_lines(scope, today).filter(wage_basis=WageBasis.MONTHLY, days_attended=0, net__gt=0).select_related("employment"))
    off = {}
    for month in {line.payroll.month for line in lines}:
        first, last = months.bounds(month)
        off[month] = (shutdown_days({line.payroll.project_id for line in lines if line.payroll.month == month}, first, last),
                      {day for day in _days(first, last) if workdays.public_holiday(day)})
    for line in lines:
        first, last = months.bounds(line.payroll.month)
        e = line.employment
        if e is None:
            continue
        shutdowns, holidays = off[line.payroll.month]
        days_off = holidays | shutdowns.get(line.payroll.project_id, set())
        roster = sum(1 for day in _days(max(e.entered_on, first), min(e.exited_on or last, last)) if day not in days_off)
        if roster >= GHOST_MIN_ROSTER_DAYS:
            found.append(_line_finding(line, {"roster_days": roster}))
    return found


def _per_region(key: str):
    """The threshold `key` as a function of the region (a region's own value, else its city's, …); within
    `engine.evaluate` each region's value is read once (`core.rules.remembered`)."""
    return lambda region: thresholds.value(key, region)


def _overrides(key: str) -> list[Decimal]:
    """Every region's own value of a threshold."""
    from wageguard.core.models import RegionalSetting

    return list(RegionalSetting.objects.filter(key=key).values_list("value", flat=True))


def _lowest(key: str) -> Decimal:
    """The lowest value of a threshold anywhere: a first cut that no region's value can be below."""
    return min([thresholds.RULES[key].default, *_overrides(key)])


def large_payment(scope, today):
    """Net above the month's limit on one line; above the year's limit over a worker's lines of a year."""
    from wageguard.payroll.models import PayrollLine

    monthly, yearly = _per_region("alert.large_payment_month"), _per_region("alert.large_payment_year")
    found = []
    lines = _lines(scope, today).select_related("payroll__project__region__parent__parent")
    for line in lines.filter(net__gt=_lowest("alert.large_payment_month")).order_by("id"):
        limit = monthly(line.payroll.project.region)
        if line.net > limit:
            found.append(_line_finding(line, {"limit": str(limit)}))
    workers = set(lines.values_list("worker_id", flat=True).distinct()) if scope.project_ids is not None else None
    years = PayrollLine.objects.current().filter(payroll__month__gte=_engine().horizon(today))
    if workers is not None:
        years = years.filter(worker_id__in=workers)
    rows = list(years.values("worker_id", year=Substr("payroll__month", 1, 4)).annotate(total=Sum("net"), last=Max("id"))
                .filter(total__gt=_lowest("alert.large_payment_year")).order_by("worker_id"))
    latest = PayrollLine.objects.select_related("payroll__project__region__parent__parent").in_bulk([r["last"] for r in rows])
    for row in rows:
        last = latest[row["last"]]
        limit = yearly(last.payroll.project.region)
        if row["total"] > limit:
            found.append(_engine().Finding("worker", str(row["worker_id"]), row["year"], last.payroll.project_id,
                                           {"year_total": str(row["total"]), "limit": str(limit)},
                                           enterprise_id=last.payroll.enterprise_id, worker_id=row["worker_id"]))
    return found


def shared_cards(scope, today):
    """Several workers of one ledger paid to one card (a foreman holding his workers' cards)."""
    from wageguard.payroll.models import PayrollLine

    lines = PayrollLine.objects.current().filter(payroll__in=_payrolls(scope, today, closed_only=False), card_index__isnull=False)
    groups = lines.values("payroll_id", "card_index").annotate(n=Count("id")).filter(n__gt=1)
    wanted = {(g["payroll_id"], g["card_index"]) for g in groups}
    members = defaultdict(list)
    for line in lines.filter(payroll_id__in={p for p, _c in wanted}).select_related("payroll").order_by("worker_id"):
        if (line.payroll_id, line.card_index) in wanted:
            members[(line.payroll_id, line.card_index)].append(line)
    return [_engine().Finding("payroll", f"{payroll_id}:{card[:16]}", group[0].payroll.month, group[0].payroll.project_id,
                              {"payroll": payroll_id, "workers": [line.worker_id for line in group], "card": group[0].card_masked},
                              enterprise_id=group[0].payroll.enterprise_id)
            for (payroll_id, card), group in sorted(members.items())]


def arrears(scope, today):
    """Month M not fully paid by the end of M + 1: open while lines stay unpaid, ended once all are paid."""
    from wageguard.payroll.models import PayrollLine, ResultStatus

    found = []
    due_months = _payrolls(scope, today, closed_only=False).filter(month__lt=months.previous(f"{today:%Y-%m}"))
    lines = (PayrollLine.objects.current().filter(payroll__in=due_months, net__gt=0)
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
        found.append(_engine().Finding("payroll", str(row["payroll_id"]), month, row["payroll__project_id"], facts,
                                       enterprise_id=row["payroll__enterprise_id"], ended=ended))
    return found


def low_average_pay(scope, today):
    """A ledger whose workers on the roster all month earn on average less than the minimum wage (at least three
    of them: one or two people are no average)."""
    from django.db.models import Avg

    from wageguard.payroll.models import PayrollLine
    from wageguard.registry.models import Project

    floor = _per_region("alert.low_average_pay")
    payrolls = _payrolls(scope, today)
    found = []
    for month in sorted(set(payrolls.values_list("month", flat=True))):
        first, last = months.last_day(month).replace(day=1), months.last_day(month)
        rows = (PayrollLine.objects.current().filter(payroll__in=payrolls.filter(month=month), net__gt=0, employment__entered_on__lte=first)
                .filter(Q(employment__exited_on__isnull=True) | Q(employment__exited_on__gte=last))
                .values("payroll_id", "payroll__project_id", "payroll__enterprise_id").annotate(workers=Count("id"), average=Avg("net"))
                .filter(workers__gte=3).order_by("payroll_id"))
        regions = {p.pk: p.region for p in Project.objects.filter(pk__in={r["payroll__project_id"] for r in rows})
                   .select_related("region__parent__parent")}
        for row in rows:
            average = Decimal(row["average"]).quantize(Decimal("0.01"))
            limit = floor(regions[row["payroll__project_id"]])
            if average < limit:
                found.append(_engine().Finding("payroll", str(row["payroll_id"]), month, row["payroll__project_id"],
                                               {"average_net": str(average), "workers": row["workers"], "floor": str(limit)},
                                               enterprise_id=row["payroll__enterprise_id"]))
    return found


def bank_line_failed(scope, today):
    """The bank could not pay a line and it has not been re-issued yet."""
    from wageguard.payroll.models import PayrollLine, ResultStatus

    lines = (PayrollLine.objects.current().filter(payroll__in=_payrolls(scope, today, closed_only=False), result__status=ResultStatus.FAILED)
             .select_related("payroll", "result"))
    return [_line_finding(line, {"reason_code": line.result.reason_code}) for line in lines.order_by("id")]


def _projects(scope, *, qualifying_only: bool = False):
    """Projects on the platform (not mere proposals). The obligations to open an account apply to qualifying
    projects only; data that exists (an account's money, a site's punches) is judged wherever it comes from."""
    from wageguard.registry.models import FilingStatus, Project

    qs = Project.objects.exclude(filing_status=FilingStatus.PROPOSED).select_related("region__parent__parent")
    if qualifying_only:
        qs = qs.filter(is_qualifying=True)
    return qs.filter(pk__in=scope.project_ids) if scope.project_ids is not None else qs


def account_not_opened(scope, today):
    """No dedicated account N days after the contract or permit date; an account opened late is recorded too."""
    from wageguard.accounts.models import WageAccount

    within = _per_region("account.open_within_days")
    opened = {}
    for project_id, opened_on in WageAccount.objects.order_by("-opened_on").values_list("project_id", "opened_on"):
        opened[project_id] = opened_on  # the earliest wins
    found = []
    for project in _projects(scope, qualifying_only=True).filter(started_on__isnull=False).order_by("id"):
        due = project.started_on + datetime.timedelta(days=int(within(project.region)))
        day = opened.get(project.pk)
        if day is None and today > due + datetime.timedelta(days=1):  # one day's grace for the bank's report
            found.append(_engine().Finding("project", str(project.pk), "", project.pk, {"due": due.isoformat()},
                                           enterprise_id=project.general_contractor_id))
        elif day is not None and day > due and f"{day:%Y-%m}" >= _engine().horizon(today):
            found.append(_engine().Finding("project", str(project.pk), "", project.pk, {"due": due.isoformat(), "opened_on": day.isoformat()},
                                           enterprise_id=project.general_contractor_id,
                                           ended=_("Opened on %(day)s, %(late)d days late.") % {"day": day, "late": (day - due).days}))
    return found


def _silent_runs(project, days_with_data: set, spans, first: datetime.date, last_complete: datetime.date, need: int, days_off: set):
    """Runs of at least `need` staffed days without data, from `first` up to the last day judged; a run that
    stopped is an ended finding. A day off (a public holiday, a declared shutdown) without data is not judged:
    it neither extends a run nor ends it."""
    found, run, day = [], [], first
    while day <= last_complete + datetime.timedelta(days=1):
        staffed = any(entered <= day and (exited is None or day <= exited) for entered, exited in spans)
        silent = day <= last_complete and staffed and day not in days_with_data
        if silent and day in days_off:
            pass
        elif silent:
            run.append(day)
        else:
            if len(run) >= need:
                ongoing = day > last_complete
                found.append(_engine().Finding(
                    "project", str(project.pk), run[0].isoformat(), project.pk,
                    {"from": run[0].isoformat(), "to": run[-1].isoformat(), "days": len(run)},
                    enterprise_id=project.general_contractor_id,
                    ended="" if ongoing else _("Attendance resumed on %(day)s.") % {"day": day}))
            run = []
        day += datetime.timedelta(days=1)
    return found


def no_attendance(scope, today):
    """Runs of at least N days without any attendance on a project with registered workers, and weeks in which
    fewer than 85 % of the workers on the roster all week were seen at the gate (days whose data is still due
    are not judged); a run or week that is over is recorded as ended."""
    from wageguard.attendance.models import AttendanceDay
    from wageguard.registry.models import Employment

    need = _per_region("alert.no_attendance_days")
    rate = _per_region("alert.attendance_update_rate")
    window = _per_region("alert.attendance_window_days")
    last_complete = today - datetime.timedelta(days=2)
    start = today - datetime.timedelta(days=LOOKBACK_DAYS)
    projects = list(_projects(scope))
    ids = [p.pk for p in projects]
    seen, seen_workers = defaultdict(set), defaultdict(set)
    for project_id, worker_id, day in AttendanceDay.objects.filter(project_id__in=ids, day__range=(start, last_complete)).values_list(
            "project_id", "worker_id", "day"):
        seen[project_id].add(day)
        seen_workers[(project_id, worker_id)].add(day)
    rosters = defaultdict(list)
    for project_id, worker_id, entered, exited in Employment.objects.filter(project_id__in=ids).on_roster(start, last_complete).values_list(
            "project_id", "worker_id", "entered_on", "exited_on"):
        rosters[project_id].append((worker_id, entered, exited))
    holidays = {day for day in _days(start, last_complete) if workdays.public_holiday(day)}
    shutdowns = shutdown_days(ids, start, last_complete)
    found = []
    for project in projects:
        spans = [(entered, exited) for _worker, entered, exited in rosters[project.pk]]
        if spans:  # from the first day someone was on the roster in the window
            first = max(start, min(entered for entered, _exited in spans))
            days_off = holidays | shutdowns.get(project.pk, set())
            found += _silent_runs(project, seen[project.pk], spans, first, last_complete, int(need(project.region)), days_off)
            found += _low_update_weeks(project, rosters[project.pk], seen_workers, start, last_complete, rate(project.region), days_off,
                                       int(window(project.region)))
    return found


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


UPDATE_RATE_MIN_WORKERS = 5  # a rate over fewer people on the roster all week says little


def window_update(roster, attended, first: datetime.date, days: int) -> tuple[int, int]:
    """(workers on the roster the whole window, of them seen at the gate at least once in it). `roster`: (worker,
    entered, exited); `attended(worker)`: the days the worker was seen."""
    last = first + datetime.timedelta(days=days - 1)
    window = set(_days(first, last))
    registered = {w for w, entered, exited in roster if entered <= first and (exited is None or exited >= last)}
    return len(registered), sum(1 for w in registered if attended(w) & window)


def _low_update_weeks(project, roster, seen_workers, start, last_complete, limit, days_off: set, length: int):
    """Windows of `length` days (a week by default, from a Monday) with too few of the workers on the roster the
    whole window seen; a window whose every day is a day off is not judged."""
    found = []
    first = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    step = datetime.timedelta(days=length)
    while first + step - datetime.timedelta(days=1) <= last_complete:
        registered, updated = window_update(roster, lambda w: seen_workers.get((project.pk, w), set()), first, length)
        all_off = all(day in days_off for day in _days(first, first + step - datetime.timedelta(days=1)))
        if not all_off and registered >= UPDATE_RATE_MIN_WORKERS and Decimal(updated) / registered < limit:
            latest = first + 2 * step - datetime.timedelta(days=1) > last_complete
            found.append(_engine().Finding(
                "project", f"{project.pk}:update-rate", first.isoformat(), project.pk,
                {"week": first.isoformat(), "days": length, "registered": registered, "seen": updated,
                 "rate": f"{Decimal(updated) / registered:.2f}", "limit": str(limit)}, enterprise_id=project.general_contractor_id,
                ended="" if latest else _("The week is over; the following weeks are judged on their own.")))
        first += step
    return found


def late_data(scope, today):
    """Data later than the one-day deadline: a project's punches of a day that arrived after it (marked late
    on arrival), and — in a sweep over everything — a sender that should deliver every day and sent nothing
    for longer than it. A site that stays silent is also `no_attendance`'s."""
    return _late_punches(scope, today) + (_silent_senders(today) if scope.project_ids is None else [])


def _midnight(day: datetime.date) -> datetime.datetime:
    """The start of a local day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _deadline(region) -> datetime.timedelta:
    """Data of a day is due by the end of the next day (the region may allow more or fewer hours)."""
    return datetime.timedelta(hours=24 + int(thresholds.value("alert.late_data_hours", region)))


def _late_punches(scope, today):
    from wageguard.attendance.models import BatchProjectCount

    start = _midnight(today - datetime.timedelta(days=LOOKBACK_DAYS))
    with_late = BatchProjectCount.objects.filter(late__gt=0, received_at__gte=start).values("project_id")  # few projects
    projects = {p.pk: p for p in _projects(scope).filter(pk__in=with_late)}
    found = []
    rows = (_punches(scope, today, grace=0).filter(project_id__in=projects, is_late=True).values("project_id", "day")
            .annotate(punches=Count("id"), first_received=Min("received_at"), last_received=Max("received_at")).order_by("project_id", "day"))
    for row in rows:
        project = projects[row["project_id"]]
        due = _midnight(row["day"]) + _deadline(project.region)
        if row["last_received"] > due:
            found.append(_engine().Finding("project", str(project.pk), row["day"].isoformat(), project.pk,
                                           {"day": row["day"].isoformat(), "punches": row["punches"],
                                            "received": timezone.localtime(row["last_received"]).strftime("%Y-%m-%d %H:%M")},
                                           enterprise_id=project.general_contractor_id))
    return found


def _silent_senders(today):
    """Gate systems with staffed sites and banks with open accounts deliver every day (punches; the daily
    balances): a gap between two deliveries, or since the last one, longer than the deadline is a silence —
    one alert per silence, its period the first day without data; a silence that ended is recorded as ended."""
    from wageguard.core.models import Region, RegionLevel
    from wageguard.exchange.models import ApiClient, ClientKind, IngestionBatch

    start = _midnight(today - datetime.timedelta(days=LOOKBACK_DAYS))
    now = min(clock.now(), _midnight(today + datetime.timedelta(days=1)))
    kinds = (ClientKind.GATE_SYSTEM, ClientKind.BANK)
    received = defaultdict(list)
    for sender_id, at in (IngestionBatch.objects.filter(received_at__range=(start, now), sender__kind__in=kinds)
                          .values_list("sender_id", "received_at").order_by("sender_id", "received_at")):
        received[sender_id].append(at)
    found = []
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    senders = ApiClient.objects.filter(Q(pk__in=received) | Q(active=True, kind__in=kinds)).annotate(
        last_ever=Max("batches__received_at", filter=Q(batches__received_at__lt=start)))
    for sender in senders.prefetch_related("projects__region__parent").order_by("id"):
        served = _served(sender, province)
        if served is None:
            continue
        region, industry = served
        deadline = _deadline(region)
        # before its first delivery in the window: its last one before, else its registration
        times = received[sender.pk] or [sender.last_ever or sender.created_at]
        times += [now] if sender.active else []  # a revoked sender owes nothing any more
        for last, following in zip(times, times[1:]):
            if following - last <= deadline:
                continue
            first_day = max(timezone.localdate(last) + datetime.timedelta(days=1), today - datetime.timedelta(days=LOOKBACK_DAYS))
            first_day = _first_owed(sender, first_day, max(first_day, timezone.localdate(following) - datetime.timedelta(days=1)))
            if first_day is None:
                continue
            ongoing = following is now
            never = last is sender.created_at
            facts = {"sender": sender.name or sender.key_id, "kind": sender.kind, "last_received": "—" if never else _local(last),
                     "hours_silent": int((following - last).total_seconds() // 3600)}
            if not ongoing:
                facts["resumed"] = _local(following)
            found.append(_engine().Finding("sender", str(sender.pk), first_day.isoformat(), None, facts, region_id=region.pk,
                                           industry=industry,
                                           ended="" if ongoing else _("The sender delivered again at %(at)s.") % {"at": _local(following)}))
    return found


def _local(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _served(sender, province):
    """Where a sender's silence is handled: a gate system by the region and industry its sites share (the county,
    else the city, else the province; the industry's agency, else HRSS); a bank by the province's HRSS."""
    from wageguard.core.models import Industry
    from wageguard.exchange.models import ClientKind

    if sender.kind == ClientKind.BANK:
        return province, Industry.OTHER
    projects = list(sender.projects.all())
    if not projects:
        return None
    counties = {p.region for p in projects}
    if len(counties) == 1:
        region = counties.pop()
    else:
        cities = {c.parent for c in counties}
        region = cities.pop() if len(cities) == 1 else province
    industries = {p.industry for p in projects}
    return region, industries.pop() if len(industries) == 1 else Industry.OTHER


def _first_owed(sender, first: datetime.date, last: datetime.date) -> datetime.date | None:
    """The first of the silent days on which the sender had something to deliver: a bank with open accounts, any
    day; a gate system, a day one of its sites was staffed and not off (a public holiday, a declared shutdown)."""
    from wageguard.accounts.models import WageAccount
    from wageguard.exchange.models import ClientKind
    from wageguard.registry.models import Employment

    if sender.kind == ClientKind.BANK:
        open_accounts = WageAccount.objects.filter(bank__code=sender.bank_code, opened_on__lt=first).exclude(status="closed")
        return first if open_accounts.exists() else None
    staffed = list(Employment.objects.filter(project__in=sender.projects.all()).on_roster(first, last)
                   .values_list("project_id", "entered_on", "exited_on"))
    shut = shutdown_days({project_id for project_id, _e, _x in staffed}, first, last)
    return next((day for day in _days(first, last) if not workdays.public_holiday(day)
                 and any(entered <= day and (exited is None or day <= exited) and day not in shut.get(project_id, ())
                         for project_id, entered, exited in staffed)), None)


def _punches(scope, today, *, grace: int = 2):
    """Punches of the look-back window, up to the last day whose data is no longer due (`grace` days back)."""
    from wageguard.attendance.models import AttendanceRecord

    start = today - datetime.timedelta(days=LOOKBACK_DAYS)
    qs = AttendanceRecord.objects.filter(day__range=(start, today - datetime.timedelta(days=grace)))
    if scope.periods is not None:
        within = Q(pk__in=[])
        for period in scope.periods:
            within |= Q(day__range=(datetime.date.fromisoformat(f"{period}-01"), months.last_day(period))) if len(period) == 7 else Q(day=period)
        qs = qs.filter(within)
    return qs.filter(project_id__in=scope.project_ids) if scope.project_ids is not None else qs


def proxy_clockin(scope, today):
    """One card or face punching for several workers within a minute (a foreman holding their cards), and
    several workers of one ledger paid to one card."""
    from wageguard.registry.models import Project

    window = _per_region("alert.proxy_window_seconds")
    regions = {}
    found = []
    for field in ("card_hash", "face_hash"):
        punches = _punches(scope, today).exclude(**{field: ""})
        shared = (punches.values("project_id", "day", field).annotate(workers=Count("worker_id", distinct=True)).filter(workers__gt=1))
        groups = {(g["project_id"], g["day"], g[field]) for g in shared}
        if not groups:
            continue
        records = defaultdict(list)
        for project_id, day, value, worker_id, at in (punches.filter(project_id__in={g[0] for g in groups}, day__in={g[1] for g in groups})
                                                      .values_list("project_id", "day", field, "worker_id", "occurred_at").order_by("occurred_at")):
            if (project_id, day, value) in groups:
                records[(project_id, day, value)].append((at, worker_id))
        missing = {project_id for project_id, _d, _v in records} - set(regions)
        regions |= {p.pk: p.region for p in Project.objects.filter(pk__in=missing).select_related("region__parent__parent")}
        for (project_id, day, value), rows in sorted(records.items()):
            seconds = int(window(regions[project_id]))
            workers = set()
            for (at, worker), (next_at, next_worker) in zip(rows, rows[1:]):
                if worker != next_worker and (next_at - at).total_seconds() <= seconds:
                    workers |= {worker, next_worker}
            if len(workers) > 1:
                found.append(_engine().Finding("project", f"{project_id}:{day}:{value[:12]}", day.isoformat(), project_id,
                                               {"workers": sorted(workers), "by": field, "day": day.isoformat()}))
    return found + shared_cards(scope, today)


def manual_punch_rate(scope, today):
    """A project-month whose manual and supplementary punches exceed the allowed share."""
    from wageguard.attendance.models import MANUAL_METHODS

    share = _per_region("alert.manual_punch_share")
    projects = {p.pk: p for p in _projects(scope)}
    found = []
    rows = (_punches(scope, today).filter(project_id__in=projects).annotate(month=TruncMonth("day")).values("project_id", "month")
            .annotate(total=Count("id"), manual=Count("id", filter=Q(method__in=MANUAL_METHODS))).filter(manual__gt=0))
    for row in rows.order_by("project_id", "month"):
        project = projects[row["project_id"]]
        rate = Decimal(row["manual"]) / Decimal(row["total"])
        if row["total"] >= MIN_PUNCHES_FOR_A_SHARE and rate > share(project.region):
            found.append(_engine().Finding("project", str(project.pk), f"{row['month']:%Y-%m}", project.pk,
                                           {"punches": row["total"], "manual": row["manual"], "share": f"{rate:.2f}",
                                            "limit": str(share(project.region))}, enterprise_id=project.general_contractor_id))
    return found


def labour_cost(flag: str):
    """Months whose labour-cost allocation is missing (after the due day), late (first money after it) or below
    the project's required share, as `accounts.selectors.allocation_by_month` derives them."""
    def evaluate(scope, today):
        from wageguard.accounts.models import WageAccount
        from wageguard.accounts.selectors import allocations

        found = []
        horizon = _engine().horizon(today)
        accounts = list(WageAccount.objects.filter(project__in=_projects(scope)).select_related("project__region__parent__parent"))
        by_account = allocations(accounts=accounts)
        for account in sorted(accounts, key=lambda a: a.pk):
            project = account.project
            due_day = int(thresholds.value("labour_cost.due_day", project.region))
            for row in by_account[account.pk]:
                due = datetime.date.fromisoformat(f"{row.month}-01").replace(day=due_day)
                if row.month < horizon or flag not in row.flags or today <= due + datetime.timedelta(days=1):  # a day's grace
                    continue
                found.append(_engine().Finding(
                    "project", str(project.pk), row.month, project.pk,
                    {"progress_payment": str(row.progress_payment), "expected": str(row.expected), "allocated": str(row.allocated or 0),
                     "first_allocated_on": row.first_allocated_on.isoformat() if row.first_allocated_on else "", "due_day": due_day},
                    enterprise_id=project.general_contractor_id))
        return found
    evaluate.__name__ = f"labour_cost_{flag}"
    return evaluate


def account_misuse(scope, today):
    """Debits that are neither wages to a card the project's ledgers pay, nor a bank fee or a permitted refund."""
    from wageguard.accounts.models import AccountTransaction, TransactionPurpose
    from wageguard.payroll.models import PayrollLine

    allowed = (TransactionPurpose.FEE, TransactionPurpose.REFUND)
    oldest = datetime.date.fromisoformat(f"{_engine().horizon(today)}-01")
    debits = (AccountTransaction.objects.filter(amount__lt=0, account__project__in=_projects(scope), booked_at__date__gte=oldest)
              .exclude(purpose__in=allowed).select_related("account__project", "bank"))
    debits = list(debits.order_by("id"))
    paid_to = {txn.pk: txn.counterparty_account_index for txn in debits
               if txn.purpose == TransactionPurpose.WAGE_OUT and txn.counterparty_account_index}
    ledger_cards = set(PayrollLine.objects.filter(payroll__project_id__in={t.account.project_id for t in debits},
                                                  card_index__in=set(paid_to.values()))
                       .values_list("payroll__project_id", "card_index").distinct())
    found = []
    for txn in debits:
        project = txn.account.project
        if txn.pk in paid_to and (project.pk, paid_to[txn.pk]) in ledger_cards:
            continue  # a wage to a card this project's ledgers pay
        found.append(_engine().Finding(
            "transaction", f"{txn.bank.code}:{txn.bank_txn_id}", f"{timezone.localtime(txn.booked_at):%Y-%m}", project.pk,
            {"amount": str(txn.amount), "purpose": txn.purpose, "counterparty": txn.counterparty_name_masked,
             "booked_at": txn.booked_at.isoformat(), "account": txn.account_id}, enterprise_id=project.general_contractor_id))
    return found


def deposit_missing(scope, today):
    """A wage deposit not lodged within its deadline, or an exemption claimed that the rules do not allow."""
    from wageguard.accounts.deposits import DepositStatus, deposit_state
    from wageguard.accounts.models import WageDeposit

    found = []
    for deposit in (WageDeposit.objects.filter(project__in=_projects(scope)).select_related("project__region")
                    .prefetch_related("movements", "certificates").order_by("id")):
        state = deposit_state(deposit, today)
        reasons = (["overdue"] if state.status == DepositStatus.OVERDUE else []) + list(state.flags)
        if reasons:
            found.append(_engine().Finding("project", str(deposit.project_id), "", deposit.project_id,
                                           {"required": str(state.required), "held": str(state.held), "due_on": deposit.due_on.isoformat(),
                                            "reasons": reasons}, enterprise_id=deposit.project.general_contractor_id))
    return found
