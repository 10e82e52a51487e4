"""A province generator: plausible enterprises, projects, workers, teams, contracts, entries, exits.

Everything is written through the registry services (so the audit trail, validation and scope are
exercised exactly as in production) and is deterministic for a seed and a `today`. Anomalies are
injected on purpose and each is written as a label {kind, subject, period} so that tests and
benchmarks can check that the platform catches it.
"""
from __future__ import annotations

import datetime
import functools
import json
import random
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Callable, TextIO

from django.utils import timezone
from stdnum import luhn, numdb
from stdnum.cn import ric, uscc

from wageguard.core import clock, events, months
from wageguard.core.errors import ServiceError
from wageguard.core.models import Region, RegionLevel, Role, User
from wageguard.core.services import regions_load, user_create
from wageguard.core.transactions import service
from wageguard.registry import services
from wageguard.registry.models import Enterprise, EnterpriseKind, IdCardReading, ParticipationRole, Project, ProjectStatus, Team
from wageguard.registry.validators import region_of_id_number
from wageguard.stats import forecast as stats_forecast
from wageguard.stats import rollup as stats_rollup

from . import names
from .attendance import AttendanceSummary, Gates
from .banking import Banks, BankSummary, _at, simulate_deposits
from .complaints import simulate_complaints
from .credit import CreditSummary, simulate_credit
from .models import SimulationRun
from .payroll import Payrolls, PayrollSummary

# Label kinds (later issues add theirs; each names the rule that must catch it).
MISSING_CONTRACT = "missing_contract"
WORKER_ON_TWO_SITES = "worker_on_two_sites"
EXPIRED_ID_CARD = "expired_id_card"

ORG_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SIMULATOR_USERNAME = "simulator"


@dataclass(frozen=True)
class Params:
    seed: int = 1
    projects: int = 40
    workers: int = 2000
    months: int = 3
    today: datetime.date | None = None
    # Anomaly rates.
    missing_contract_rate: float = 0.03
    two_sites_rate: float = 0.01
    expired_card_rate: float = 0.005

    def key(self) -> dict:
        """What makes a province: a later "today" catches up on attendance instead of generating anew."""
        data = asdict(self)
        del data["today"]
        return data


@dataclass
class Summary:
    run_id: int | None = None
    skipped: bool = False
    enterprises: int = 0
    projects: int = 0
    workers: int = 0
    employments: int = 0
    contracts: int = 0
    labels: list[dict] = field(default_factory=list)
    attendance: AttendanceSummary | None = None
    banks: BankSummary | None = None
    payroll: PayrollSummary | None = None
    alerts: dict[str, int] = field(default_factory=dict)  # raised by the final sweep, per rule
    credit: CreditSummary | None = None
    complaints: int = 0
    stats: object = None  # stats.rollup.Rebuilt

    @property
    def rows(self) -> int:
        return self.enterprises + self.projects + self.workers + self.employments + self.contracts


Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------- identifiers


@functools.lru_cache(maxsize=None)
def county_codes(province: str) -> tuple[str, ...]:
    """County-level codes still in use (stdnum's location table)."""
    top = next(p for p in numdb.get("cn/loc").prefixes if p[1] == province)
    codes = []
    for _len, low, high, props, _children in top[4]:
        name = props.get("county", "")
        if low != high or low.endswith("00") or "市辖区" in name or "," in name:
            continue
        if name.startswith("["):
            span = name[1:].split("]")[0]
            if span.partition("-")[2]:
                continue
        codes.append(province + low)
    return tuple(sorted(codes))


def make_id_number(rng: random.Random, province: str, birth: datetime.date, sex: str) -> str:
    order = rng.randrange(0, 500) * 2 + (1 if sex == "male" else 0)  # odd for men, even for women
    body = f"{rng.choice(county_codes(province))}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_uscc(rng: random.Random, region_code: str, serial: int | None = None) -> str:
    """A valid USCC of the region; `serial` (below 10^8) makes the organisation code unique instead of random."""
    digits = [rng.randrange(10) for _ in range(8)] if serial is None else [int(c) for c in f"{serial:08d}"]
    check = 11 - sum(d * w for d, w in zip(digits, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    org = "".join(map(str, digits)) + {10: "X", 11: "0"}.get(check, str(check))
    body = "91" + region_code + org
    return body + uscc.calc_check_digit(body)


def make_bank_card(rng: random.Random, bin_prefix: str) -> str:
    body = bin_prefix + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def make_phone(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + "".join(str(rng.randrange(10)) for _ in range(9))


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# ---------------------------------------------------------------- the generator


class Province:
    def __init__(self, params: Params, progress: Progress | None = None, labels_out: TextIO | None = None):
        self.p = params
        self.today = params.today or clock.localdate()
        self.rng = random.Random(params.seed)
        self.progress = progress or (lambda phase, done, total: None)
        self.labels_out = labels_out
        self.summary = Summary()
        self.window_start = window_start(self.today, params.months)

    # -- plumbing

    def label(self, kind: str, subject: dict, period: str) -> None:
        record = {"kind": kind, "subject": subject, "period": period}
        self.summary.labels.append(record)
        if self.labels_out is not None:
            self.labels_out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def actor(self):
        return user_create(username=SIMULATOR_USERNAME, password=f"sim-{self.rng.random()}", role=Role.PLATFORM_ADMIN,
                           full_name="模拟数据生成器")

    # -- entry point

    @service
    def run(self) -> Summary:
        """One transaction: a run that fails leaves nothing behind, so it can simply be run again."""
        existing = SimulationRun.objects.filter(params=self.p.key(), finished_at__isnull=False).first()
        if existing is not None:
            self.summary.run_id, self.summary.skipped = existing.pk, True
            return self.summary
        regions_load()
        run = SimulationRun.objects.create(seed=self.p.seed, params=self.p.key(), today=self.today)
        self.sim = self.actor()
        self.counties_by_city = {}
        for county in Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent"):
            self.counties_by_city.setdefault(county.parent.code, []).append(county)
        projects = self.make_projects()
        self.make_workers(projects)
        SimulationRun.objects.filter(pk=run.pk).update(finished_at=clock.now(), rows=self.summary.rows,
                                                       labels=len(self.summary.labels))
        self.summary.run_id = run.pk
        return self.summary

    # -- enterprises and projects

    def enterprise(self, kind: str, suffixes: list[str], region: Region) -> Enterprise:
        rng = self.rng
        name = f"{region.parent.name.removesuffix('市') if region.parent else '山东'}{''.join(rng.sample(names.BRAND_WORDS, 2))}{rng.choice(suffixes)}"
        code = make_uscc(rng, region.code)
        found = Enterprise.objects.filter(uscc=code).first()
        if found:
            return found
        self.summary.enterprises += 1
        return services.enterprise_register(actor=self.sim, uscc=code, name=name, kind=kind, region=region,
                                            legal_representative=rng.choice(names.SURNAMES) + rng.choice(names.GIVEN))

    def make_projects(self) -> list[Project]:
        rng, p = self.rng, self.p
        contractors: list[Enterprise] = []
        labour: list[Enterprise] = []
        projects = []
        for i in range(p.projects):
            self.progress("projects", i + 1, p.projects)
            city = _weighted(rng, names.CITY_WEIGHTS)
            county = rng.choice(self.counties_by_city[city])
            industry = _weighted(rng, names.INDUSTRY_WEIGHTS)
            owner = self.enterprise(EnterpriseKind.DEVELOPER, names.OWNER_SUFFIX, county)
            if not contractors or rng.random() < 0.6:
                contractors.append(self.enterprise(EnterpriseKind.CONSTRUCTION, names.CONTRACTOR_SUFFIX, county))
            gc = rng.choice(contractors)
            started = self.window_start - datetime.timedelta(days=rng.randrange(0, 400))
            amount = Decimal(int(rng.lognormvariate(17.5, 1.0))).quantize(Decimal("1")) + Decimal("3000000")
            pattern = rng.choice(names.PROJECT_PATTERNS[industry])
            data = services.ProjectData(
                name=pattern.format(place=rng.choice(names.PLACE_WORDS), county=county.name, n=rng.randint(1, 9)),
                region=county, industry=industry, owner=owner, general_contractor=gc, contract_amount=amount,
                labour_cost_ratio=Decimal(rng.randint(15, 35)) / 100, permit_no=f"{county.code}{started:%Y%m}{rng.randrange(10000):04d}",
                started_on=started, planned_end=started + datetime.timedelta(days=rng.randint(365, 1100)),
                status=ProjectStatus.UNDER_CONSTRUCTION, is_qualifying=rng.random() < 0.97,
            )
            proposed = rng.random() < 0.05
            project = (services.project_propose if proposed else services.project_file)(actor=self.sim, data=data)
            if proposed:
                self.summary.projects += 1
                projects.append(project)
                continue
            if not labour or rng.random() < 0.5:
                labour.append(self.enterprise(EnterpriseKind.LABOUR_SERVICE, names.LABOUR_SUFFIX, county))
            for sub in rng.sample(labour, k=min(len(labour), rng.randint(1, 2))):
                services.participation_add(actor=self.sim, project=project, enterprise=sub,
                                           role=ParticipationRole.LABOUR_SUBCONTRACTOR)
            if project.is_qualifying and rng.random() < 0.85:
                for participation in project.participations.all():
                    services.participation_review(actor=self.sim, participation=participation, approve=True)
                with clock.travel(_at(min(self.today, started + datetime.timedelta(days=i * 7 % 45)), 10)):  # no draw: the
                    services.project_onboard(actor=self.sim, project=project)  # seed's province stays; onboarded soon after its start
            self.summary.projects += 1
            projects.append(project)
        return projects

    # -- workers

    def reader_payload(self, *, expired: bool = False) -> dict:
        rng = self.rng
        sex = rng.choice(["male"] * 4 + ["female"])
        birth = datetime.date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
        province = _weighted(rng, names.NATIVE_PROVINCE_WEIGHTS)
        number = make_id_number(rng, province, birth, sex)
        if expired:
            valid_from = self.today - datetime.timedelta(days=365 * 10 + rng.randint(30, 400))
            valid_until = months.add_years(valid_from, 10)
        else:
            valid_from = self.today - datetime.timedelta(days=rng.randint(100, 3000))
            valid_until = months.add_years(valid_from, 20)
        place = region_of_id_number(number)
        county = place["county"]
        return {
            "name": rng.choice(names.SURNAMES) + "".join(rng.sample(names.GIVEN, rng.choice([1, 2]))),
            "sex": "男" if sex == "male" else "女", "ethnicity": rng.choice(names.ETHNICITIES),
            "birth_date": birth.strftime("%Y%m%d"), "address": f"{place.get('province', '')}{county}{rng.randint(1, 200)}号",
            "id_number": number, "issuing_authority": f"{county}公安局",
            "valid_from": valid_from.strftime("%Y%m%d"), "valid_until": valid_until.strftime("%Y%m%d"),
        }

    def entry_date(self, project: Project) -> datetime.date:
        start = max(self.window_start, project.started_on or self.window_start)
        span = max(1, (self.today - start).days - 3)
        return start + datetime.timedelta(days=self.rng.randrange(span))

    def make_workers(self, projects: list[Project]) -> None:
        rng, p = self.rng, self.p
        sized = [(proj, max(1, int(rng.paretovariate(1.5)))) for proj in projects if proj.filing_status != "proposed"]
        total_weight = sum(w for _, w in sized) or 1
        teams: dict[int, list[Team]] = {}
        placed: list[tuple] = []
        for i in range(p.workers):
            if rng.random() < p.expired_card_rate:
                payload = self.reader_payload(expired=True)
                try:
                    services.worker_register_from_reading(actor=self.sim, payload=payload, device_id="SIM-READER")
                except ServiceError:
                    reading = IdCardReading.objects.filter(accepted=False).latest("id")
                    self.label(EXPIRED_ID_CARD, {"type": "id_card_reading", "id": reading.pk}, months.of(self.today))
                continue
            with clock.travel(_at(self.window_start, 8)):  # registered (the card read) when the simulated history begins
                worker, _created = services.worker_register_from_reading(actor=self.sim, payload=self.reader_payload(),
                                                                         device_id="SIM-READER")
            bank, bin_prefix = rng.choice(names.BANKS)
            services.worker_set_contact(actor=self.sim, worker=worker, phone=make_phone(rng),
                                        bank_card=make_bank_card(rng, bin_prefix), bank_name=bank)
            project = rng.choices([s[0] for s in sized], weights=[s[1] / total_weight for s in sized])[0]
            employment = self.employ(worker, project, teams)
            placed.append((worker, employment))
            self.progress("workers", i + 1, p.workers)
        self.summary.workers = len(placed)
        for worker, employment in placed:
            if rng.random() < p.two_sites_rate and len(sized) > 1:
                other = rng.choice([s[0] for s in sized if s[0].pk != employment.project_id])
                second = self.employ(worker, other, teams, around=employment.entered_on)
                self.label(WORKER_ON_TWO_SITES, {"type": "worker", "id": worker.pk, "employments": [employment.pk, second.pk]},
                           months.of(max(employment.entered_on, second.entered_on)))

    def employ(self, worker, project: Project, teams: dict, around: datetime.date | None = None):
        rng = self.rng
        participations = [pt for pt in project.participations.all() if pt.role in (ParticipationRole.LABOUR_SUBCONTRACTOR, ParticipationRole.GENERAL_CONTRACTOR)]
        enterprise = rng.choice(participations).enterprise
        team_list = teams.setdefault(project.pk, [])
        mine = [t for t in team_list if t.enterprise_id == enterprise.pk]
        if not mine or (len(mine) < 4 and rng.random() < 0.1):
            team = services.team_create(actor=self.sim, project=project, enterprise=enterprise,
                                        name=f"{rng.choice(names.SURNAMES)}{rng.choice(names.TEAM_WORDS)}", leader=worker)
            team_list.append(team)
        else:
            team = rng.choice(mine)
        entered = around + datetime.timedelta(days=rng.randint(0, 5)) if around else self.entry_date(project)
        entered = min(entered, self.today)
        exited = None
        if around is None and rng.random() < 0.2:
            exited = min(self.today, entered + datetime.timedelta(days=rng.randint(10, 90)))
        result = services.employment_enter(actor=self.sim, worker=worker, project=project, enterprise=enterprise, team=team,
                                           trade=rng.choice(names.TRADES), entered_on=entered, exited_on=exited)
        self.summary.employments += 1
        if rng.random() < self.p.missing_contract_rate:
            self.label(MISSING_CONTRACT, {"type": "employment", "id": result.employment.pk}, months.of(entered))
        else:
            basis = rng.choice(["daily"] * 6 + ["monthly"] * 3 + ["piece_rate"])
            rate = {"daily": rng.randint(200, 450), "monthly": rng.randint(5000, 11000), "piece_rate": rng.randint(20, 120)}[basis]
            services.contract_attach(actor=self.sim, employment=result.employment, signed_on=entered, wage_basis=basis,
                                     wage_rate=rate, pay_day=rng.choice([5, 10, 15, 20, 25]))
            self.summary.contracts += 1
        return result.employment


def window_start(today: datetime.date, count: int) -> datetime.date:
    """The first day of the `count` months up to yesterday's (on the 1st, the month that just ended is the last
    whole one: a province generated that day still has history)."""
    return months.first_day(months.shift(months.of(today - datetime.timedelta(days=1)), 1 - count))


def deliver(province: Province, summary: Summary, now: datetime.datetime | None) -> None:
    """Deliver the gates' punches and the banks' data from where the last run stopped up to `now`,
    through the signed API."""
    run = SimulationRun.objects.get(pk=summary.run_id)
    first_today = run.today or province.today
    if now is None:
        now = clock.now() if province.p.today is None else timezone.make_aware(
            datetime.datetime.combine(province.p.today, datetime.time(20, 30)))
    if run.attendance_until and run.attendance_until >= now:
        return
    gates = Gates(run_id=run.pk, seed=province.p.seed, window_start=window_start(first_today, province.p.months), first_today=first_today,
                  actor=User.objects.get(username=SIMULATOR_USERNAME), label=province.label, progress=province.progress,
                  make_id_number=_stranger_id_number)
    labelled_before = len(summary.labels)
    with events.suppressed():  # months of data at once: the engine runs at the simulated moments instead
        _deliver(province, summary, run, gates, first_today, now)
        with clock.travel(now):
            summary.alerts = {code: raised for answer in events.dispatch(events.SWEEP) if answer for code, raised in answer.items()}
        summary.credit = simulate_credit(labels=summary.labels, actor=gates.actor, now=now)
        summary.complaints = simulate_complaints(labels=summary.labels, seed=province.p.seed, now=now)
        with clock.travel(now):
            summary.stats = stats_rollup.rebuild()  # the statistics of everything delivered (events were suppressed)
            stats_forecast.refresh()  # the last month's arrears forecast (its yellow alerts come with the nightly run)
    SimulationRun.objects.filter(pk=run.pk).update(attendance_until=now,
                                                   labels=run.labels + len(summary.labels) - labelled_before)


def _deliver(province: Province, summary: Summary, run: SimulationRun, gates: Gates, first_today: datetime.date,
             now: datetime.datetime) -> None:
    summary.attendance = gates.send(run.attendance_until, now)
    banks = Banks(run_id=run.pk, seed=province.p.seed, window_start=window_start(first_today, province.p.months),
                  actor=gates.actor, label=province.label, progress=province.progress)
    banks.send(run.attendance_until, now, kinds=("accounts",))  # payrolls find the bank that holds the account
    payrolls = Payrolls(seed=province.p.seed, window_start=window_start(first_today, province.p.months), actor=gates.actor,
                        label=province.label, progress=province.progress, banks=banks, silenced=gates.silenced)
    summary.payroll = payrolls.send(run.attendance_until, now)
    summary.banks = banks.send(run.attendance_until, now, kinds=("transactions", "balances"))  # wage debits included
    simulate_deposits(projects=banks.projects, seed=province.p.seed, actor=gates.actor, label=province.label, until=now)


def _stranger_id_number(rng: random.Random) -> str:
    birth = datetime.date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28))
    return make_id_number(rng, "37", birth, "male")


def simulate(params: Params, *, progress: Progress | None = None, labels_out: TextIO | None = None,
             attendance: bool = True, now: datetime.datetime | None = None) -> Summary:
    """Generate the province (once), then deliver its attendance up to `now` (every run catches up)."""
    province = Province(params, progress, labels_out)
    summary = province.run()
    if attendance:
        deliver(province, summary, now)
    return summary
