"""The demo province's partner banks: accounts, transactions and daily balances, pushed through the
signed bank feed exactly as a bank's system would (the simulator never writes bank rows itself).

Each project's account lives at one bank (the big state banks most often, the city's own bank often).
Account openings are reported the evening they happen (those opened before the simulated window in the
bank's initial load when the window starts); transactions and closing balances in the bank's batch at 06:00
the next morning. Owners record their monthly progress payments through the service;
the owner's labour-cost allocation follows. Wages paid out come with the payroll (issue 6).

Every (project, month) has its own random stream and the whole record is rebuilt each run and filtered
to the delivery window, so catch-ups agree with one long run, as for the gates.

Labels (the alert rule meant to catch each): `account_not_opened` (never, or more than 30 days after the
start), `labour_cost_missing` (none, or a late allocation that has not come yet at the run's moment), `labour_cost_late`, `labour_cost_low`, `account_misuse` (a debit to a
counterparty that is neither a worker's card nor a refund), `balance_break` (an error in the bank's data).
"""
from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from django.utils import timezone

from wageguard.accounts.banks import BANKS
from wageguard.accounts.models import ProgressPayment
from wageguard.accounts.requirements import expected_allocation, money
from wageguard.accounts.services import progress_payment_record
from wageguard.core import clock, months
from wageguard.exchange.client import Client
from wageguard.exchange.models import ApiClient, ClientKind
from wageguard.exchange.services import apiclient_create
from wageguard.registry.models import Employment, Project

from .people import enterprise_admin
from .transport import InProcessTransport

CLIENT_NAME = "模拟银行 {code}（模拟#{run}）"
STATE_BANKS = ("ICBC", "ABC", "BOC", "CCB", "BOCOM", "PSBC")
CITY_BANKS = {"3701": "QLB", "3702": "QDCCB", "3707": "WFCCB", "3706": "YTCCB", "3710": "WHCCB", "3711": "RZB", "3713": "LSCCB",
              "3705": "DYCCB", "3708": "JNCCB", "3709": "TACCB", "3714": "DZCCB", "3704": "ZZCCB", "3703": "QSCCB"}
MISUSE_COUNTERPARTIES = ("{city}宏达建材有限公司", "{city}顺通物流有限公司", "{city}鑫源商贸有限公司")

ACCOUNT_NOT_OPENED = "account_not_opened"
LABOUR_COST_MISSING = "labour_cost_missing"
LABOUR_COST_LATE = "labour_cost_late"
LABOUR_COST_LOW = "labour_cost_low"
ACCOUNT_MISUSE = "account_misuse"
BALANCE_BREAK = "balance_break"


@dataclass(frozen=True)
class Rates:
    never_opened: float = 0.04
    opened_late: float = 0.05
    missing_month: float = 0.04
    late_month: float = 0.06
    low_month: float = 0.05
    misuse_month: float = 0.03
    break_per_txn: float = 0.012
    deposit_missing: float = 0.08
    exemption_claim: float = 0.06


@dataclass
class Event:
    at: datetime.datetime          # when it happened
    deliver_at: datetime.datetime  # when the bank reports it
    kind: str                      # "accounts" | "transactions" | "balances"
    record: dict
    label: tuple | None = None


@dataclass
class BankSummary:
    batches: int = 0
    records: int = 0
    verdicts: dict = field(default_factory=lambda: defaultdict(int))
    rejected: list = field(default_factory=list)  # (kind, record, verdict): the simulator expects none


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class Banks:
    def __init__(self, *, run_id: int, seed: int, window_start: datetime.date, actor, label: Callable, progress: Callable,
                 rates: Rates = Rates(), transport=None):
        self.run_id, self.seed, self.window_start, self.actor = run_id, seed, window_start, actor
        self.label, self.progress, self.rates = label, progress, rates
        self.transport = transport or InProcessTransport()
        self.summary = BankSummary()
        self.projects = list(Project.objects.filter(pk__in=Employment.objects.values("project_id"))
                             .select_related("general_contractor", "region__parent").order_by("code"))
        self.bank_of = {p.pk: self._choose_bank(p) for p in self.projects}
        self.clients: dict[str, Client] = {}

    def _choose_bank(self, project: Project) -> str:
        rng = random.Random(f"{self.seed}:bank:{project.code}")
        local = CITY_BANKS.get(project.region.code[:4])
        if local and rng.random() < 0.35:
            return local
        return rng.choice(STATE_BANKS + ("CMB", "CIB", "EGB"))

    def _client(self, code: str) -> Client:
        if code not in self.clients:
            name = CLIENT_NAME.format(code=code, run=self.run_id)
            api_client = ApiClient.objects.filter(kind=ClientKind.BANK, name=name).first()
            if api_client is None:
                api_client, _secret = apiclient_create(actor=self.actor, kind=ClientKind.BANK, name=name, bank_code=code)
            self.clients[code] = Client("http://localhost", api_client.key_id, api_client.secret, transport=self.transport)
        return self.clients[code]

    # -- one project's whole record (deterministic), as events

    def project_events(self, project: Project, until: datetime.datetime, *, movements: bool = True) -> list[Event]:
        rng = random.Random(f"{self.seed}:account:{project.code}")
        start = project.started_on or self.window_start
        gc = project.general_contractor
        roll = rng.random()
        if roll < self.rates.never_opened:  # only a qualifying project must open one
            due = start + datetime.timedelta(days=30)
            return [Event(_at(due, 0), _at(due, 0), "label", {}, (ACCOUNT_NOT_OPENED, {"type": "project", "id": project.pk,
                                                                                      "never_opened": True}, f"{due:%Y-%m}"))
                    ] if project.is_qualifying else []
        late = roll < self.rates.never_opened + self.rates.opened_late
        opened_on = start + datetime.timedelta(days=rng.randint(35, 80) if late else rng.randint(2, 25))
        number = f"{project.code}{rng.randrange(10**4):04d}"
        opened = {"client_record_id": f"open-{project.code}", "project_code": project.code, "holder_uscc": gc.uscc,
                  "account_number": number, "account_name": f"{gc.name}{project.name}农民工工资专用账户", "opened_on": opened_on.isoformat()}
        # reported the evening it opens; one opened before the platform's start is in the bank's initial load then
        events = [Event(_at(opened_on, 11), max(_at(opened_on, 18), _at(self.window_start, 6)), "accounts", opened,
                        (ACCOUNT_NOT_OPENED, {"type": "project", "id": project.pk, "opened_late": True}, f"{opened_on:%Y-%m}")
                        if late and project.is_qualifying else None)]
        if movements:
            events += self._movements(project, number, max(opened_on, self.window_start), until)
        return events

    def _movements(self, project: Project, number: str, first_day: datetime.date, until: datetime.datetime) -> list[Event]:
        """Allocations, interest, fees and the anomalies, numbered in the bank's sequence, with closing balances."""
        moves = []  # (when, amount, purpose, counterparty, label)
        last_day = timezone.localdate(until)
        owner_name = project.owner.name if project.owner_id else "建设单位"
        for month in map(months.first_day, months.span(first_day, last_day)):
            rng = random.Random(f"{self.seed}:money:{project.code}:{month:%Y-%m}")
            key = f"{month:%Y-%m}"
            progress = money(project.contract_amount / 24 * Decimal(str(round(rng.uniform(0.6, 1.4), 2))))
            if month.day == 1 and _at(month.replace(day=1), 9) <= until:
                self._record_progress(project, key, progress, _at(month, 9))
            expected = expected_allocation(progress_payment=progress, labour_cost_ratio=project.labour_cost_ratio,
                                           industry=project.industry, contract_amount=project.contract_amount, region=project.region)
            roll = rng.random()
            r = self.rates
            if roll < r.missing_month:
                moves.append((_at(month.replace(day=11), 0), None, None, None,
                              (LABOUR_COST_MISSING, {"type": "project", "id": project.pk}, key)))
            else:
                late = r.missing_month <= roll < r.missing_month + r.late_month
                low = r.missing_month + r.late_month <= roll < r.missing_month + r.late_month + r.low_month
                day = rng.randint(15, 25) if late else rng.randint(1, 10)
                amount = money(expected * Decimal("0.4")) if low else expected
                label = ((LABOUR_COST_LATE if late else LABOUR_COST_LOW), {"type": "project", "id": project.pk}, key) if late or low else None
                when = _at(month.replace(day=day), 10, rng.randrange(60))
                moves.append((when, amount, "labour_cost_in", owner_name, label))
                if late and when > until:  # the late money has not come yet: as of now the month's allocation is missing
                    moves.append((_at(month.replace(day=11), 0), None, None, None, (LABOUR_COST_MISSING, {"type": "project", "id": project.pk}, key)))
            moves.append((_at(month.replace(day=20), 16), Decimal("-10.00"), "fee", "银行手续费", None))
            if month.month in (3, 6, 9, 12):
                moves.append((_at(month.replace(day=21), 8), money(progress * Decimal("0.0003")) or Decimal("0.01"), "interest", "结息", None))
            if rng.random() < r.misuse_month:
                city = project.region.parent.name.removesuffix("市") if project.region.parent else ""
                moves.append((_at(month.replace(day=rng.randint(12, 27)), 14), None, "transfer_out",
                              rng.choice(MISUSE_COUNTERPARTIES).format(city=city), ("misuse", rng.uniform(0.1, 0.3))))
        kept = []
        for move in moves:  # nothing moves before the account exists: an allocation due before it opened is missing
            if timezone.localdate(move[0]) >= first_day:
                kept.append(move)
            elif move[2] == "labour_cost_in":
                month = f"{timezone.localdate(move[0]):%Y-%m}"
                kept.append((move[0], None, None, None, (LABOUR_COST_MISSING, {"type": "project", "id": project.pk}, month)))
        moves = kept
        moves += self._wages_paid(project)
        return self._number(project, number, sorted(moves, key=lambda m: m[0]), first_day, until)

    @staticmethod
    def _wages_paid(project: Project) -> list[tuple]:
        """The debits behind the bank's paid payroll results (simulate.payroll), at the moment it reported them."""
        from wageguard.payroll.models import DisbursementResult

        return [(r.paid_at, -r.amount, "wage_out", r.line.worker.name, {"bank_txn_id": r.bank_txn_id, "counterparty_account": r.card})
                for r in DisbursementResult.objects.filter(line__payroll__project=project, status="paid")
                .select_related("line__worker").order_by("paid_at", "bank_txn_id")]

    def _number(self, project, number, moves, first_day, until) -> list[Event]:
        events, balance, sequence = [], Decimal("0.00"), 0
        rng = random.Random(f"{self.seed}:breaks:{project.code}")
        closing_by_day: dict[datetime.date, Decimal] = {}
        gc_name = project.general_contractor.name
        for when, amount, purpose, counterparty, label in moves:
            if amount is None and purpose is None:  # a month without allocation: only its label
                events.append(Event(when, when, "label", {}, label))
                continue
            extra = {}
            if purpose == "wage_out":
                extra, label = label, None
                if balance + amount < 0:  # the general contractor advances what the account lacks, just before
                    sequence += 1
                    topup = money(-(balance + amount) + Decimal("10000.00"))
                    balance += topup
                    events.append(self._txn_event(number, sequence, when - datetime.timedelta(minutes=5), topup, "other",
                                                  f"{gc_name}（垫付工资款）", balance, None))
                    closing_by_day[timezone.localdate(when)] = balance
            if label and label[0] == "misuse":  # money moved to a supplier: a share of what is there
                if balance <= 100:
                    continue
                amount = -money(balance * Decimal(str(round(label[1], 2))))
                label = (ACCOUNT_MISUSE, {"type": "transaction", "bank": self.bank_of[project.pk],
                                          "bank_txn_id": f"{number}-{sequence + 1:06d}", "project": project.pk}, f"{when:%Y-%m}")
            sequence += 1
            balance += amount
            reported = balance
            if rng.random() < self.rates.break_per_txn and sequence > 1:
                reported = balance + Decimal(rng.choice(["100.00", "-50.00", "1000.00"]))  # the bank's data error
                if label:  # the movement's own anomaly keeps its label
                    events.append(Event(when, when, "label", {}, label))
                label = (BALANCE_BREAK, {"type": "account", "number": number, "sequence": sequence, "project": project.pk},
                         timezone.localdate(when).isoformat())
                balance = reported  # the bank carries its own figure forward
            events.append(self._txn_event(number, sequence, when, amount, purpose, counterparty, reported, label, **extra))
            closing_by_day[timezone.localdate(when)] = reported
        # A closing balance for every day the account existed in the window.
        day, last, closing = first_day, timezone.localdate(until), Decimal("0.00")
        while day < last:
            closing = closing_by_day.get(day, closing)
            events.append(Event(_at(day, 23, 59), _at(day + datetime.timedelta(days=1), 6), "balances",
                                {"client_record_id": f"{number}-{day:%Y%m%d}", "account_number": number, "day": day.isoformat(),
                                 "closing_balance": str(closing)}))
            day += datetime.timedelta(days=1)
        return events

    @staticmethod
    def _txn_event(number, sequence, when, amount, purpose, counterparty, balance_after, label, **extra) -> Event:
        record = {"client_record_id": f"{number}-{sequence}", "account_number": number, "bank_txn_id": f"{number}-{sequence:06d}",
                  "sequence": sequence, "booked_at": when.isoformat(), "amount": str(amount), "counterparty_name": counterparty,
                  "purpose": purpose, "balance_after": str(balance_after)} | extra
        return Event(when, _at(timezone.localdate(when) + datetime.timedelta(days=1), 6), "transactions", record, label)

    def _record_progress(self, project: Project, month: str, amount: Decimal, at: datetime.datetime) -> None:
        if not ProgressPayment.objects.filter(project=project, month=month).exists():
            with clock.travel(at):
                progress_payment_record(actor=self.actor, project=project, month=month, amount=amount)

    # -- delivery

    def send(self, since: datetime.datetime | None, until: datetime.datetime, kinds: tuple = ("accounts", "transactions", "balances")
             ) -> BankSummary:
        """Deliver what happened in (since, until]; openings can go first (`kinds`) so that payrolls find their bank."""
        by_moment: dict[tuple, list[Event]] = defaultdict(list)
        for n, project in enumerate(self.projects):
            for event in self.project_events(project, until, movements=kinds != ("accounts",)):
                if (since is not None and event.at <= since) or event.at > until:
                    continue
                if event.kind not in kinds and not (event.kind == "label" and "transactions" in kinds):
                    continue
                if event.kind == "label":
                    self.label(*event.label)
                    continue
                if event.label:
                    self.label(*event.label)
                by_moment[(min(event.deliver_at, until), self.bank_of[project.pk])].append(event)
            self.progress("banks", n + 1, len(self.projects))
        order = {"accounts": 0, "transactions": 1, "balances": 2}
        for (moment, bank), events in sorted(by_moment.items()):
            for kind in sorted({e.kind for e in events}, key=order.get):
                records = [e.record for e in events if e.kind == kind]
                for start in range(0, len(records), 1000):
                    self._post(bank, kind, moment, {"batch_id": f"sim{self.run_id}-{kind}-{moment:%Y%m%dT%H%M%S}-{start // 1000}",
                                                    "mode": "partial", "records": records[start:start + 1000]})
        return self.summary

    def _post(self, bank: str, kind: str, moment: datetime.datetime, batch: dict) -> None:
        client = self._client(bank)
        client.clock = moment.timestamp
        with clock.travel(moment):
            response = client.post_json(f"/api/v1/bank/{kind}", batch)
        if response.status != 200:
            raise RuntimeError(f"the platform refused a simulated bank batch ({response.status}): {response.body[:300]!r}")
        self.summary.batches += 1
        self.summary.records += len(batch["records"])
        for record, result in zip(batch["records"], response.json()["results"]):
            self.summary.verdicts[result["status"]] += 1
            if result["status"] == "rejected":
                self.summary.rejected.append((kind, record, result))
            elif kind == "accounts" and result["status"] == "accepted":
                self._confirm(bank, record["account_number"], moment)

    @staticmethod
    def _confirm(bank: str, number: str, moment: datetime.datetime) -> None:
        """The general contractor confirms, that day, the account its bank reported."""
        from wageguard.accounts import services as account_services
        from wageguard.accounts.models import WageAccount

        from .people import enterprise_admin

        account = WageAccount.objects.select_related("project__general_contractor").get(bank__code=bank, number=number)
        with clock.travel(moment):
            account_services.account_confirm(actor=enterprise_admin(account.project.general_contractor), account=account)


BANK_CODES = {code for code, _name, _kind in BANKS}
assert set(STATE_BANKS) | set(CITY_BANKS.values()) | {"CMB", "CIB", "EGB"} <= BANK_CODES


# ---------------------------------------------------------------- wage deposits

DEPOSIT_MISSING = "deposit_missing"
CERTIFICATE_PDF = b"%PDF-1.4\n% simulated certificate\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def simulate_deposits(*, projects: list[Project], seed: int, actor, label: Callable, until: datetime.datetime,
                      rates: Rates = Rates()) -> int:
    """Each project's deposit: assessed on its contract date, lodged within the deadline (cash or an approved
    guarantee), with labelled anomalies: never lodged, or an exemption certificate the rules do not allow.
    Written through the deposit services, as the HRSS department and the contractor would; idempotent."""
    from django.core.files.base import ContentFile

    from wageguard.accounts import services as account_services
    from wageguard.accounts.deposits import deposit_state
    from wageguard.accounts.models import WageDeposit

    created = 0
    for project in projects:
        signed_on = project.started_on
        if signed_on is None or _at(signed_on, 9) > until or WageDeposit.objects.filter(project=project).exists():
            continue
        rng = random.Random(f"{seed}:wage-deposit:{project.code}")
        rng.choice(range(6)), rng.random()  # the draws that once typed in a credit history (from credit now): a seed's province stays the same
        with clock.travel(_at(signed_on, 9)):
            deposit = account_services.deposit_assess(actor=actor, project=project, contract_signed_on=signed_on)
        created += 1
        state = deposit_state(deposit, signed_on)
        roll = rng.random()
        if state.status == "exempt":
            continue
        if roll < rates.deposit_missing:
            label(DEPOSIT_MISSING, {"type": "project", "id": project.pk}, f"{deposit.due_on:%Y-%m}")
            continue
        if roll < rates.deposit_missing + rates.exemption_claim:  # the contractor claims an exemption the rules do not allow; it waits for review
            contractor = enterprise_admin(project.general_contractor)
            with clock.travel(_at(signed_on, 15)):
                account_services.certificate_upload(actor=contractor, deposit=deposit, kind="exemption",
                                                    upload=ContentFile(CERTIFICATE_PDF, name="exemption.pdf"))
            label(DEPOSIT_MISSING, {"type": "project", "id": project.pk, "ineligible_exemption": True}, f"{signed_on:%Y-%m}")
            continue
        lodged_on = signed_on + datetime.timedelta(days=rng.randint(1, 20))
        lodged_on = min(lodged_on, deposit.due_on)
        with clock.travel(_at(lodged_on, 10)):
            account_services.deposit_movement_record(actor=actor, deposit=deposit, kind="lodge", amount=state.required,
                                                     on=lodged_on, form=rng.choice(["cash", "cash", "bank_guarantee"]))
    return created
