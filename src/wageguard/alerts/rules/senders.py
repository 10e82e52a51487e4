"""`late_data`: punches that reached the platform after their deadline, and senders — gate systems, banks — that
delivered nothing for longer than it."""
from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.accounts import selectors as account_reads
from wageguard.core import clock
from wageguard.core.models import Industry, Region, RegionLevel
from wageguard.exchange import selectors as exchange_reads
from wageguard.exchange.models import ClientKind
from wageguard.registry import selectors as registry

from ..findings import Finding
from . import LOOKBACK_DAYS, days, local, midnight, off_days
from .attendance import deadline, late_punches

SENDER_KINDS = (ClientKind.GATE_SYSTEM, ClientKind.BANK)


def late_data(scope, today):
    """Data later than the one-day deadline: a project's punches of a day that arrived after it (marked late
    on arrival), and — in a sweep over everything — a sender that should deliver every day and sent nothing
    for longer than it. A site that stays silent is also `no_attendance`'s."""
    return late_punches(scope, today) + (silent_senders(today) if scope.project_ids is None else [])


def silent_senders(today):
    """Gate systems with staffed sites and banks with open accounts deliver every day (punches; the daily
    balances): a gap between two deliveries, or since the last one, longer than the deadline is a silence —
    one alert per silence, its period the first day whose data it owed; a silence that ended is recorded as ended."""
    start = midnight(today - datetime.timedelta(days=LOOKBACK_DAYS))
    now = min(clock.now(), midnight(today + datetime.timedelta(days=1)))
    received = defaultdict(list)
    for sender_id, at in exchange_reads.deliveries(start, now, SENDER_KINDS):
        received[sender_id].append(at)
    found = []
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    for sender in exchange_reads.senders_owing(received, SENDER_KINDS, start):
        served = _served(sender, province)
        if served is None:
            continue
        region, industry = served
        allowed = deadline(region)
        # before its first delivery in the window: its last one before, else its registration
        times = received[sender.pk] or [sender.last_ever or sender.created_at]
        times += [now] if sender.active else []  # a revoked sender owes nothing any more
        for last, following in zip(times, times[1:]):
            if following - last <= allowed:
                continue
            silent_from = max(timezone.localdate(last) + datetime.timedelta(days=1), today - datetime.timedelta(days=LOOKBACK_DAYS))
            first_day = _first_owed(sender, silent_from, max(silent_from, timezone.localdate(following) - datetime.timedelta(days=1)))
            if first_day is None or (first_day > silent_from and following <= midnight(first_day) + allowed):
                continue  # nothing owed; or after days off, what it owed first came within its deadline
            ongoing = following is now
            never = last is sender.created_at
            facts = {"sender": sender.name or sender.key_id, "kind": sender.kind, "last_received": "—" if never else local(last),
                     "hours_silent": int((following - last).total_seconds() // 3600)}
            if not ongoing:
                facts["resumed"] = local(following)
            found.append(Finding("sender", str(sender.pk), first_day.isoformat(), None, facts, region_id=region.pk, industry=industry,
                                 ended="" if ongoing else _("The sender delivered again at %(at)s.") % {"at": local(following)}))
    return found


def _served(sender, province):
    """Where a sender's silence is handled: a gate system by the region and industry its sites share (the county,
    else the city, else the province; the industry's agency, else HRSS); a bank by the province's HRSS."""
    if sender.kind == ClientKind.BANK:
        return province, Industry.OTHER
    sites = list(sender.projects.all())
    if not sites:
        return None
    counties = {p.region for p in sites}
    if len(counties) == 1:
        region = counties.pop()
    else:
        cities = {c.parent for c in counties}
        region = cities.pop() if len(cities) == 1 else province
    industries = {p.industry for p in sites}
    return region, industries.pop() if len(industries) == 1 else Industry.OTHER


def _first_owed(sender, first: datetime.date, last: datetime.date) -> datetime.date | None:
    """The first of the silent days on which the sender had something to deliver: a bank with open accounts, any
    day; a gate system, a day one of its sites was staffed and not off (a public holiday, a declared shutdown)."""
    if sender.kind == ClientKind.BANK:
        return first if account_reads.bank_holds_open_accounts(sender.bank_code, first) else None
    staffed = list(registry.roster_between([p.pk for p in sender.projects.all()], first, last)
                   .values_list("project_id", "entered_on", "exited_on"))
    off = off_days({project_id for project_id, _e, _x in staffed}, first, last)
    return next((day for day in days(first, last)
                 if any(entered <= day and (exited is None or day <= exited) and day not in off[project_id]
                        for project_id, entered, exited in staffed)), None)
