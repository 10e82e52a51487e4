"""The demo province's site gates: punches generated day by day and delivered through the signed API.

Gate vendors (one `gate_system` client per twenty projects) deliver each day's punches the way real gates
do: the morning's at 09:00, the rest at 20:00, and today's up to the moment the simulator runs. Each
delivery is signed by the shipped client and runs at its simulated moment (`core.clock.travel`), so
timeliness is judged as it would have been. Every day and project has its own random stream, so a later
run that catches up to a new "now" sends exactly the punches a single long run would have sent.

Injected anomalies, each written as a label {kind, subject, period} naming the rule that must catch it:
`no_attendance` (a project's gates silent for 3-5 days, or any run of 3 staffed days in which nobody punches), `proxy_clockin` (one card for several workers
within a minute), `manual_punch_rate` (a project where site staff type in a large share of punches),
`clock_drift` (a device whose clock runs two hours ahead), `duplicate_delivery` (a batch delivered
twice, or resent under a new batch id), `not_registered` (a person at the gate who is not on the roster) and
`late_data` (a site's day of punches held back and sent two days later; a vendor's whole system down for
two or three days, its sites' punches sent when it comes back — the sender's silence and every site-day
that arrived after its deadline).

The Spring Festival: most sites stop for about three weeks around it, their general contractor declaring the
stop (`ProjectShutdown`) a fortnight ahead, and their workers go home; public holidays and declared stops are
days the data standard does not judge, so a silence or a week's update rate counts only the other days (a day
off without punches neither extends a silent run nor ends it), and a vendor whose every site is off owes nothing.

Two kinds of people never pass the gates, for the payroll simulator to pay anyway (`simulate.payroll`):
ghosts (a few monthly-wage employments that exist only on paper) and workers absent a whole month.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
import functools
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from django.utils import timezone

from wageguard.core import clock, rules, workdays
from wageguard.exchange.client import Client
from wageguard.exchange.models import ApiClient, ClientKind
from wageguard.exchange.services import apiclient_create
from wageguard.registry import services as registry_services
from wageguard.registry.models import Employment, LabourContract, Project, ShutdownReason, Worker

from .people import enterprise_admin
from .transport import InProcessTransport

BATCH_PATH = "/api/v1/attendance/batches"
BATCH_SIZE = 1000
PROJECTS_PER_VENDOR = 20
VENDOR_NAME = "模拟闸机厂商{n:02d}（模拟#{run}）"
DELIVERIES = (datetime.time(9, 0), datetime.time(20, 0))
DRIFT = datetime.timedelta(hours=2)
LATE_DELAY = datetime.timedelta(days=2)
GHOST_SHARE = 0.03   # of monthly-wage employments
ABSENT_SHARE = 0.004  # of workers, each month
WEEK_ROSTER_MIN = 5  # the data standard's update rate is a share of a crew: fewer than five on the roster all week is none
WEEK_WORKING_DAYS_MIN = 3  # and of a working week: a week of one or two days between holidays or a stop is none

# Label kinds: the alert rules (and ingestion verdicts) that must catch each anomaly.
NO_ATTENDANCE = "no_attendance"
PROXY_CLOCKIN = "proxy_clockin"
MANUAL_PUNCH_RATE = "manual_punch_rate"
LATE_DATA = "late_data"
CLOCK_DRIFT = "clock_drift"
DUPLICATE_DELIVERY = "duplicate_delivery"
NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class Rates:
    attendance: float = 0.92        # a rostered worker comes on a working day
    sunday: float = 0.4
    forgot_out: float = 0.03
    outage_share: float = 0.05      # projects whose gates fall silent once
    vendor_outage_share: float = 0.5  # gate vendors whose system is down once for 2-3 days (punches sent when back)
    manual_share: float = 0.05      # projects where staff type in punches
    manual_punches: float = 0.4
    proxy_per_day: float = 0.2      # chance that one project has a proxy clock-in that day
    drift_per_day: float = 0.1
    duplicate_per_day: float = 0.3
    late_per_day: float = 0.1       # chance that one site's punches of the day reach the platform two days late
    unregistered_per_day: float = 0.3
    spring_break_share: float = 0.85  # projects that stop over the Spring Festival (declared ahead; the rest work through)


@dataclass
class Entry:
    worker_id: int
    id_number: str
    entered_on: datetime.date
    exited_on: datetime.date | None
    ghost: bool = False

    def on_roster(self, day: datetime.date) -> bool:
        return self.entered_on <= day and (self.exited_on is None or day <= self.exited_on)


@dataclass
class Site:
    project_id: int
    code: str
    entries: list[Entry]
    devices: list[str]
    vendor: int


@dataclass
class Punch:
    site: Site
    at: datetime.datetime          # when it really happened
    record: dict
    worker_id: int | None = None   # a registered worker's punch (a stranger's has none)


@dataclass
class AttendanceSummary:
    batches: int = 0
    records: int = 0
    verdicts: dict = field(default_factory=lambda: defaultdict(int))


Label = Callable[[str, dict, str], None]
Progress = Callable[[str, int, int], None]


def is_ghost(seed: int, id_number: str, project_code: str, wage_basis: str) -> bool:
    """A monthly-wage employment that exists only on paper: paid every month, never at the gate."""
    return wage_basis == "monthly" and random.Random(f"{seed}:ghost:{id_number}:{project_code}").random() < GHOST_SHARE


@functools.lru_cache(maxsize=100_000)
def absent_month(seed: int, id_number: str, month: str) -> bool:
    """A worker who does not come at all in a month (and whose team claims days for them anyway)."""
    return random.Random(f"{seed}:absent:{id_number}:{month}").random() < ABSENT_SHARE


@functools.lru_cache(maxsize=100_000)  # asked for every day of every ledger line
def spring_break(seed: int, code: str, year: int, share: float = Rates.spring_break_share) -> tuple[datetime.date, datetime.date] | None:
    """The Spring Festival of a year: most sites stop from about a week before it until about two weeks after,
    their workers gone home, the stop declared by the general contractor a fortnight ahead; the rest work through."""
    rng = random.Random(f"{seed}:spring-break:{year}:{code}")
    if rng.random() >= share:
        return None
    festival = workdays.spring_festival(year)
    return festival - datetime.timedelta(days=rng.randint(5, 9)), festival + datetime.timedelta(days=rng.randint(10, 15))


def site_on_break(seed: int, code: str, day: datetime.date) -> bool:
    """Whether the site has stopped for the Spring Festival (of the year the day's festival belongs to)."""
    return any(first <= day <= last for year in (day.year, day.year + 1) if (b := spring_break(seed, code, year)) for first, last in [b])


def _hash(kind: str, worker_id: int) -> str:
    return hashlib.sha256(f"{kind}:{worker_id}".encode()).hexdigest()[:40]


def _deadline() -> datetime.timedelta:
    """A day's data is due by the end of the next day (`alert.late_data_hours` after midnight)."""
    return datetime.timedelta(hours=24 + int(rules.RULES["alert.late_data_hours"].default))


def _at(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, t))


class Gates:
    def __init__(self, *, run_id: int, seed: int, window_start: datetime.date, first_today: datetime.date, actor, label: Label,
                 progress: Progress, make_id_number: Callable[[random.Random], str], rates: Rates = Rates(), transport=None):
        self.run_id, self.seed, self.window_start, self.first_today = run_id, seed, window_start, first_today
        self.actor, self.label, self.progress, self.rates = actor, label, progress, rates
        self.make_id_number = make_id_number
        self.transport = transport or InProcessTransport()
        self.summary = AttendanceSummary()
        self.sites = self._load_sites()
        self.clients, self.client_ids = self._vendor_clients()
        self.outages = self._choose_outages()
        self.vendor_outages = self._choose_vendor_outages()
        self.breaks = self._choose_breaks()
        self.manual_sites = self._choose(f"{seed}:manual", rates.manual_share)
        self.manual_months_labelled: set[tuple[str, str]] = set()
        self.pending_labels: list[tuple] = []

    # -- the province's gates

    def _load_sites(self) -> list[Site]:
        ids = {}
        for worker in Worker.objects.filter(employments__isnull=False).distinct().only("id", "id_number"):
            ids[worker.pk] = worker.id_number
        by_project: dict[int, list] = defaultdict(list)
        codes = {}
        basis = dict(LabourContract.objects.order_by("signed_on", "id").values_list("employment_id", "wage_basis"))  # latest wins
        for e in Employment.objects.select_related("project").order_by("project__code", "id"):
            ghost = is_ghost(self.seed, ids[e.worker_id], e.project.code, basis.get(e.pk, ""))
            by_project[e.project_id].append(Entry(e.worker_id, ids[e.worker_id], e.entered_on, e.exited_on, ghost))
            codes[e.project_id] = e.project.code
        sites = []
        for n, (project_id, entries) in enumerate(sorted(by_project.items(), key=lambda item: codes[item[0]])):
            code = codes[project_id]
            devices = [f"{code}-G{i + 1}" for i in range(min(4, 1 + len(entries) // 150))]
            sites.append(Site(project_id, code, entries, devices, vendor=n // PROJECTS_PER_VENDOR))
        return sites

    def _vendor_clients(self) -> tuple[dict[int, Client], dict[int, int]]:
        clients, ids = {}, {}
        for vendor in sorted({s.vendor for s in self.sites}):
            name = VENDOR_NAME.format(n=vendor + 1, run=self.run_id)
            api_client = ApiClient.objects.filter(kind=ClientKind.GATE_SYSTEM, name=name).first()
            if api_client is None:
                codes = [s.code for s in self.sites if s.vendor == vendor]
                api_client, _secret = apiclient_create(actor=self.actor, kind=ClientKind.GATE_SYSTEM, name=name, project_codes=codes)
            clients[vendor] = Client("http://localhost", api_client.key_id, api_client.secret, transport=self.transport)
            ids[vendor] = api_client.pk
        return clients, ids

    def _choose(self, stream: str, share: float) -> set[str]:
        if not self.sites:
            return set()
        rng = random.Random(stream)
        return {s.code for s in rng.sample(self.sites, k=max(1, round(len(self.sites) * share)))}

    def _choose_outages(self) -> dict[str, tuple[datetime.date, datetime.date]]:
        """Silent gates, anchored to the province's first generation so that later catch-ups agree."""
        span = max(1, (self.first_today - self.window_start).days - 8)
        outages = {}
        for code in sorted(self._choose(f"{self.seed}:outage", self.rates.outage_share)):
            rng = random.Random(f"{self.seed}:outage:{code}")
            start = self.window_start + datetime.timedelta(days=rng.randrange(span))
            outages[code] = (start, start + datetime.timedelta(days=rng.randint(2, 4)))
        return outages

    def _choose_vendor_outages(self) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
        """Gate vendors whose system is down from midnight of a first day until 09:00 after a last one (2-3 days):
        nothing is sent meanwhile; the held punches go out when it is back."""
        vendors = sorted(self.clients)
        if not vendors:
            return {}
        rng = random.Random(f"{self.seed}:vendor-outage")
        span = max(1, (self.first_today - self.window_start).days - 10)
        outages = {}
        for vendor in sorted(rng.sample(vendors, k=max(1, round(len(vendors) * self.rates.vendor_outage_share)))):
            first = self.window_start + datetime.timedelta(days=1 + rng.randrange(span))
            last = first + datetime.timedelta(days=rng.randint(1, 2))
            outages[vendor] = (_at(first, datetime.time(0)), _at(last + datetime.timedelta(days=1), DELIVERIES[0]))
        return outages

    def _choose_breaks(self) -> dict[str, list[tuple[datetime.date, datetime.date]]]:
        years = range(self.window_start.year, self.first_today.year + 2)
        return {site.code: [b for year in years if (b := spring_break(self.seed, site.code, year, self.rates.spring_break_share))]
                for site in self.sites}

    def silenced(self, code: str, days: list[datetime.date]) -> bool:
        """Whether the site's gates were silent (its outage) on every one of these days."""
        outage = self.outages.get(code)
        return bool(days) and outage is not None and all(outage[0] <= day <= outage[1] for day in days)

    def on_break(self, site: Site, day: datetime.date) -> bool:
        return any(first <= day <= last for first, last in self.breaks.get(site.code, ()))

    def day_off(self, site: Site, day: datetime.date) -> bool:
        """A day the data standard does not judge a site's attendance: a public holiday, or its declared stop."""
        return bool(workdays.public_holiday(day)) or self.on_break(site, day)

    def _declare_breaks(self, day: datetime.date, since, until: datetime.datetime) -> None:
        """The general contractor declares a stop a fortnight ahead, at 09:00 — or, for a stop already under way
        when the province's window opens, the department records it on the window's first day."""
        for site in self.sites:
            for first, last in self.breaks.get(site.code, ()):
                if last < self.window_start:
                    continue  # over before the province's history begins
                ahead = first - datetime.timedelta(days=14)
                declared_on = max(ahead, self.window_start)
                moment = _at(declared_on, datetime.time(9, 0))
                if declared_on != day or (since is not None and moment <= since) or moment > until:
                    continue
                project = Project.objects.select_related("general_contractor").get(pk=site.project_id)
                if project.shutdowns.filter(starts_on__lte=last, ends_on__gte=first).exists():
                    continue  # declared already (another simulation over the same projects)
                by = enterprise_admin(project.general_contractor) if (first - declared_on).days >= 7 else self.actor  # else recorded
                with clock.travel(moment):
                    registry_services.shutdown_declare(actor=by, project=project, starts_on=first, ends_on=last,
                                                       reason=ShutdownReason.SPRING_FESTIVAL, note="春节停工，工人返乡")

    def _resumed(self, vendor: int, moment: datetime.datetime) -> datetime.datetime:
        """When a delivery due at `moment` actually goes out: at once, or when the vendor's system is back."""
        down = self.vendor_outages.get(vendor)
        return down[1] if down and down[0] <= moment < down[1] else moment

    # -- one day's punches

    def day_punches(self, day: datetime.date) -> list[Punch]:
        rates, rng = self.rates, random.Random(f"{self.seed}:{day}")
        staffed = [s for s in self.sites if any(e.on_roster(day) for e in s.entries)]
        present_sites = [s for s in staffed if not self.on_break(s, day)]
        proxy_site = rng.choice(present_sites) if present_sites and rng.random() < rates.proxy_per_day else None
        drift_site = rng.choice(present_sites) if present_sites and rng.random() < rates.drift_per_day else None
        stranger_site = rng.choice(present_sites) if present_sites and rng.random() < rates.unregistered_per_day else None
        punches = []
        self.quiet = {site.code for site in staffed}  # staffed sites without a registered worker's punch today
        self.punched: dict[str, set[int]] = {}  # site -> workers seen today
        for site in present_sites:
            outage = self.outages.get(site.code)
            if outage and outage[0] <= day <= outage[1]:
                continue
            site_punches = self._site_day(site, day, random.Random(f"{self.seed}:{day}:{site.code}"))
            if site_punches:
                self.quiet.discard(site.code)
                self.punched[site.code] = {p.worker_id for p in site_punches}
            if site is proxy_site:
                self._proxy_clockin(site, day, site_punches, rng)
            if site is drift_site:
                self._clock_ahead(site, day, site_punches)
            if site is stranger_site:
                self._stranger(site, day, site_punches, rng)
            punches += site_punches
        return punches

    def _site_day(self, site: Site, day: datetime.date, rng: random.Random) -> list[Punch]:
        rates = self.rates
        chance = rates.sunday if day.weekday() == 6 else rates.attendance
        manual = site.code in self.manual_sites
        punches = []
        month = f"{day:%Y-%m}"
        for entry in site.entries:
            if not entry.on_roster(day) or rng.random() >= chance or entry.ghost or absent_month(self.seed, entry.id_number, month):
                continue
            came = _at(day, datetime.time(6, 30)) + datetime.timedelta(seconds=rng.randrange(80 * 60))
            left = _at(day, datetime.time(17, 0)) + datetime.timedelta(seconds=rng.randrange(110 * 60))
            moments = [("in", came)] + ([] if rng.random() < rates.forgot_out else [("out", left)])
            for direction, at in moments:
                if manual and rng.random() < rates.manual_punches:
                    method = rng.choice(["supplementary", "manual"])
                else:
                    method = "face" if rng.random() < 0.8 else "card"
                record = {
                    "client_record_id": f"{site.code}-{day:%Y%m%d}-{entry.worker_id}-{direction}",
                    "id_number": entry.id_number, "project_code": site.code, "device_id": rng.choice(site.devices),
                    "occurred_at": at.isoformat(), "direction": direction, "method": method,
                }
                if method == "face":
                    record.update(face_hash=_hash("face", entry.worker_id), liveness_score=round(rng.uniform(0.9, 0.995), 3))
                elif method == "card":
                    record["card_hash"] = _hash("card", entry.worker_id)
                punches.append(Punch(site, at, record, entry.worker_id))
        return punches

    def _proxy_clockin(self, site: Site, day: datetime.date, punches: list[Punch], rng: random.Random) -> None:
        """A foreman holding the cards of several workers punches them all in within a minute."""
        ins = [p for p in punches if p.record["direction"] == "in"]
        if len(ins) < 3:
            return
        chosen = rng.sample(ins, k=min(len(ins), rng.randint(3, 4)))
        foreman = chosen[0].record["client_record_id"].split("-")[-2]
        base = min(p.at for p in chosen)
        for n, p in enumerate(chosen):
            p.at = base + datetime.timedelta(seconds=12 * n)
            p.record.update(method="card", card_hash=_hash("card", int(foreman)), device_id=site.devices[0],
                            occurred_at=p.at.isoformat())
            p.record.pop("face_hash", None)
            p.record.pop("liveness_score", None)
        workers = sorted(int(p.record["client_record_id"].split("-")[-2]) for p in chosen)
        self.pending_labels.append((base, PROXY_CLOCKIN, {"type": "project", "id": site.project_id, "workers": workers}, day.isoformat()))

    def _clock_ahead(self, site: Site, day: datetime.date, punches: list[Punch]) -> None:
        device = site.devices[0]
        mine = [p for p in punches if p.record["device_id"] == device]
        for p in mine:
            p.record["occurred_at"] = (p.at + DRIFT).isoformat()
        if mine:
            self.pending_labels.append((min(p.at for p in mine), CLOCK_DRIFT,
                                        {"type": "device", "id": device, "project": site.project_id}, day.isoformat()))

    def _stranger(self, site: Site, day: datetime.date, punches: list[Punch], rng: random.Random) -> None:
        at = _at(day, datetime.time(7, 0)) + datetime.timedelta(seconds=rng.randrange(3600))
        record = {"client_record_id": f"{site.code}-{day:%Y%m%d}-visitor", "id_number": self.make_id_number(rng),
                  "project_code": site.code, "device_id": site.devices[-1], "occurred_at": at.isoformat(),
                  "direction": "in", "method": "face", "face_hash": hashlib.sha256(f"visitor:{day}".encode()).hexdigest()[:40]}
        punches.append(Punch(site, at, record))
        self.pending_labels.append((at, NOT_REGISTERED, {"type": "project", "id": site.project_id}, day.isoformat()))

    # -- delivery

    def send(self, since: datetime.datetime | None, until: datetime.datetime) -> AttendanceSummary:
        """Deliver every punch whose delivery moment falls in (since, until]: those that happened then, and a
        held-back day's punches of a late site (`LATE_DELAY` after their day, whichever run that falls in)."""
        first = max(self.window_start, timezone.localdate(since) if since else self.window_start)
        back = max(self.window_start, first - LATE_DELAY)  # held punches may fall due now; silent runs carry on
        days = [back + datetime.timedelta(days=n) for n in range((timezone.localdate(until) - back).days + 1)]
        quiet_runs: dict[str, list[datetime.date]] = defaultdict(list)
        self.seen_on: dict[datetime.date, dict[str, set[int]]] = {}
        for n, day in enumerate(days):
            self.pending_labels: list[tuple] = []
            punches = [p for p in self.day_punches(day) if p.at <= until]
            fresh = [p for p in punches if since is None or p.at > since]
            for site in self.sites:  # a day off without punches neither extends a silent run nor ends it
                run = quiet_runs[site.code]
                quiet_runs[site.code] = [] if site.code not in self.quiet else run if self.day_off(site, day) else run + [day]
            self.seen_on[day] = self.punched
            self._declare_breaks(day, since, until)
            if day >= first:
                self._label_day(day, fresh, since, until)
                self._label_silence(day, quiet_runs, since)
                self._label_low_update(day, since)
            self._label_silent_vendors(day, since, until)  # its moment may fall in this run for a day before `first`
            self._deliver(day, punches, since, until)
            self.progress("attendance", n + 1, len(days))
        return self.summary

    def _label_day(self, day: datetime.date, punches: list[Punch], since, until) -> None:
        for at, kind, subject, period in self.pending_labels:
            if (since is None or at > since) and at <= until:
                self.label(kind, subject, period)
        month = f"{day:%Y-%m}"
        for code in sorted({p.site.code for p in punches} & self.manual_sites):
            if (code, month) not in self.manual_months_labelled:
                self.manual_months_labelled.add((code, month))
                site = next(s for s in self.sites if s.code == code)
                self.label(MANUAL_PUNCH_RATE, {"type": "project", "id": site.project_id}, month)

    def _label_low_update(self, day: datetime.date, since) -> None:
        """On a Sunday: sites where fewer than the rule's share of the workers on the roster all week were seen."""
        if day.weekday() != 6 or (since is not None and _at(day, datetime.time(0)) <= since):
            return
        monday = day - datetime.timedelta(days=6)
        week = [monday + datetime.timedelta(days=n) for n in range(7)]
        for d in week:
            if d not in self.seen_on:  # a catch-up run began inside this week: the earlier days are recomputed
                quiet, punched = self.quiet, self.punched
                self.day_punches(d)
                self.seen_on[d], self.quiet, self.punched = self.punched, quiet, punched
        limit = rules.RULES["alert.attendance_update_rate"].default
        for site in self.sites:
            if sum(not self.day_off(site, d) for d in week) < WEEK_WORKING_DAYS_MIN:
                continue
            whole_week = {e.worker_id for e in site.entries if e.on_roster(monday) and e.on_roster(day)}
            seen = sum(1 for worker in whole_week if any(worker in self.seen_on[d].get(site.code, ()) for d in week))
            if len(whole_week) >= WEEK_ROSTER_MIN and Decimal(seen) / len(whole_week) < limit:
                self.label(NO_ATTENDANCE, {"type": "project", "id": site.project_id, "update_rate": f"{seen}/{len(whole_week)}"},
                           f"{monday}/{day}")

    def _label_silence(self, day: datetime.date, quiet_runs: dict[str, list[datetime.date]], since) -> None:
        """Staffed days without a registered worker's punch — the gates' outages, or nobody coming — labelled
        when a run reaches the rule's length (a run that started before the look-back the runs carry counts
        from where they begin)."""
        need = int(rules.RULES["alert.no_attendance_days"].default)
        if since is not None and _at(day, datetime.time(0)) <= since:
            return
        for site in self.sites:
            run = quiet_runs[site.code]
            if len(run) == need and run[-1] == day:  # the day it reached that length (days off leave it as it was)
                self.label(NO_ATTENDANCE, {"type": "project", "id": site.project_id}, f"{run[0]}/{day}")

    def _label_silent_vendors(self, day: datetime.date, since, until: datetime.datetime) -> None:
        """A vendor down from a first day: silent since its last delivery the evening before; labelled (with the
        first day as period) in the run during which the silence outlasts the data deadline."""
        overdue = _at(day - datetime.timedelta(days=1), DELIVERIES[-1]) + _deadline()
        if (since is not None and overdue <= since) or overdue > until:
            return
        for vendor, (down, back) in sorted(self.vendor_outages.items()):
            if down.date() != day:
                continue
            silent_days = [day + datetime.timedelta(days=n) for n in range((back.date() - day).days)]
            owed = [d for d in silent_days if any(any(e.on_roster(d) for e in site.entries) and not self.day_off(site, d)
                                                  for site in self.sites if site.vendor == vendor)]
            if owed and (owed[0] == day or back > _at(owed[0], datetime.time(0)) + _deadline()):  # from its first day owed
                self.label(LATE_DATA, {"type": "sender", "id": self.client_ids[vendor]}, owed[0].isoformat())

    def _deliver(self, day: datetime.date, punches: list[Punch], since, until: datetime.datetime) -> None:
        """Each punch goes out at the day's next delivery, a late site's two days later, and whatever falls due
        while its vendor is down once the vendor is back; a site-day that arrives past the deadline is labelled."""
        moments = [_at(day, t) for t in DELIVERIES]
        late_site, late_moment = self._late_site(day, punches)
        groups: dict[tuple, list[dict]] = defaultdict(list)
        late_sites = set()
        for p in sorted(punches, key=lambda p: p.at):
            natural = late_moment if p.site is late_site else next((m for m in moments if p.at <= m), moments[-1])
            moment = self._resumed(p.site.vendor, natural)
            tag = f"-held{day:%m%d}" if moment != natural else "-late" if p.site is late_site else ""
            if tag:  # held back: sent in the run whose window holds the moment it goes out
                if (since is None or moment > since) and moment <= until:
                    groups[(moment, p.site.vendor, tag)].append(p.record)
                    if moment > _at(day, datetime.time(0)) + _deadline():
                        late_sites.add(p.site.project_id)
            elif since is None or p.at > since:
                groups[(min(natural, until), p.site.vendor, tag)].append(p.record)
        for project_id in sorted(late_sites):
            self.label(LATE_DATA, {"type": "project", "id": project_id}, day.isoformat())
        rng = random.Random(f"{self.seed}:delivery:{day}")
        repeat = rng.random() < self.rates.duplicate_per_day and groups
        repeated_key = rng.choice(sorted(groups)) if repeat else None
        for (moment, vendor, tag), records in sorted(groups.items()):
            for start in range(0, len(records), BATCH_SIZE):
                batch = {"batch_id": f"sim{self.run_id}-{vendor + 1:02d}-{moment:%Y%m%dT%H%M%S}-{start // BATCH_SIZE}{tag}",
                         "mode": "partial",
                         "records": records[start:start + BATCH_SIZE]}
                self._post(vendor, moment, batch)
                if (moment, vendor, tag) == repeated_key and start == 0:
                    self._duplicate(vendor, moment, batch, day, resend_as_new=rng.random() < 0.5)

    def _late_site(self, day: datetime.date, punches: list[Punch]):
        """Now and then one site's gate system holds a day's punches and sends them `LATE_DELAY` later."""
        rng = random.Random(f"{self.seed}:late:{day}")
        sites = sorted({p.site.code: p.site for p in punches}.items())
        if not sites or rng.random() >= self.rates.late_per_day:
            return None, None
        return rng.choice(sites)[1], _at(day + LATE_DELAY, datetime.time(9, 0))

    def _duplicate(self, vendor: int, moment, batch: dict, day: datetime.date, *, resend_as_new: bool) -> None:
        """The gate lost the answer and delivers again: the same batch, or the same punches under a new batch id."""
        later = moment + datetime.timedelta(minutes=5)
        again = dict(batch, batch_id=batch["batch_id"] + "-r") if resend_as_new else batch
        answer = self._post(vendor, later, again, replay=not resend_as_new)
        assert resend_as_new or answer == self.last_answer, "a repeated delivery must get the first answer"
        self.label(DUPLICATE_DELIVERY, {"type": "batch", "sender": self.clients[vendor].key_id, "batch_id": again["batch_id"],
                                        "records": len(batch["records"])}, day.isoformat())

    def _post(self, vendor: int, moment: datetime.datetime, batch: dict, replay: bool = False) -> dict:
        """Send one batch at its simulated moment; a replay's (identical) answer is not counted twice."""
        client = self.clients[vendor]
        client.clock = moment.timestamp
        with clock.travel(moment):
            response = client.post_json(BATCH_PATH, batch)
        if response.status != 200:
            raise RuntimeError(f"the platform refused a simulated batch ({response.status}): {response.body[:300]!r}")
        answer = response.json()
        self.summary.batches += 1
        if replay:
            return answer
        self.last_answer = answer
        self.summary.records += len(batch["records"])
        for result in answer["results"]:
            self.summary.verdicts[result["status"]] += 1
        return answer
