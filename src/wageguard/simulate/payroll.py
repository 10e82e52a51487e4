"""The demo province's monthly payrolls, through the payroll services and the bank API — never around them.

For each month M, at its simulated moment (`core.clock.travel`):
- 1st of M+1, 02:00: the month-end task builds every employer's draft ledger;
- 2nd, 10:00: the teams enter piece quantities and deductions (and the anomalies below);
- 4th, 10:00: the wage officers correct what the checks refuse and explain the warnings;
- 5th / 6th: submitted by the employer, confirmed by the general contractor (late payrolls: the 3rd / 4th of M+2);
- the 8th, 13th and 23rd of every month, 16:00: each bank fetches what is addressed to it, reports the holder of
  each new line's card (a card held by someone else is not paid) and posts each line's result; its account shows
  the wage debits (`simulate.banking`);
- 12th, 10:00: failed lines mostly re-issued to a new card.

Labels (the alert rule that must catch each): `pay_without_attendance` (days claimed for a worker absent all
month), `days_over_claimed`, `ghost_worker` (a monthly-wage employment nobody sees at the gate all month —
on paper only, away, or punching at another site — paid anyway), `large_payment` (a piece-rate settlement above
¥50,000), `exit_without_settlement` (left after working, paid nothing, whatever the cause: the team's choice, piece
work nobody measured, days moved to another employer's ledger), `proxy_clockin` (a foreman's card registered for several workers, their wages paid to it),
`bank_line_failed`, and `arrears` (month M still not fully paid when M+1 ends — late payrolls, failed lines
never re-issued, projects whose bank account does not exist yet).

Every step's choices come from random streams keyed by seed, project code, enterprise and month (never by
database ids), and each step acts on what the database holds at its moment, so a later run that catches up
does exactly what one long run would have done.
"""
from __future__ import annotations

import datetime
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from django.utils import timezone
from stdnum import luhn

from wageguard.core import clock, events, months
from wageguard.core.errors import ServiceError
from wageguard.payroll import ledger
from wageguard.payroll import services as payroll_services
from wageguard.payroll.models import Payroll, PayrollLine, PayrollStatus
from wageguard.payroll.tasks import build_month
from wageguard.registry import services as registry_services
from wageguard.registry.models import WageBasis

from .attendance import absent_month, is_ghost, site_on_break
from .people import enterprise_admin

PAY_WITHOUT_ATTENDANCE = "pay_without_attendance"
DAYS_OVER_CLAIMED = "days_over_claimed"
GHOST_WORKER = "ghost_worker"
LARGE_PAYMENT = "large_payment"
EXIT_WITHOUT_SETTLEMENT = "exit_without_settlement"
PROXY_CLOCKIN = "proxy_clockin"
BANK_LINE_FAILED = "bank_line_failed"
ARREARS = "arrears"

BANK_PAY_DAYS = (8, 13, 23)
# The simulator's own reading (not the rule's): a worker new on the roster for a day or two of work may simply not
# have come yet, so an absence only that long is no ghost (the days its site stopped do not count; its sites work
# through public holidays).
SETTLING_IN_DAYS = 3
FAILURE_CODES = ("CARD_CLOSED", "CARD_FROZEN", "NAME_MISMATCH", "ACCOUNT_DORMANT")
WARNING_REASONS = {
    "large_payment": "计件结算一次性支付，经总包核实",
    "exit_without_settlement": "离场时已现金结清，附本人签字确认",
    "paid_twice": "两个项目分别计薪，天数已核对",
    "contract": "劳动合同已补签",
    "card_changed": "工人本人已确认新工资卡",
}


@dataclass(frozen=True)
class Rates:
    over_claim: float = 0.08      # payrolls where the team claims days above attendance for one worker
    large: float = 0.05           # payrolls with a piece-rate settlement above ¥50,000 (if a piece worker is there)
    exit_unsettled: float = 0.25  # of daily-wage workers leaving during the month after working
    proxy_cards: float = 0.03     # employers on a project where a foreman registers his card for others (once)
    late: float = 0.03            # payrolls submitted only in the month after next
    deduction: float = 0.04       # lines with an advance deducted
    line_failed: float = 0.008    # lines the bank cannot pay
    reissued: float = 0.6         # of failed lines paid again to a new card


@dataclass
class PayrollSummary:
    payrolls: int = 0
    fetched: int = 0
    results: int = 0
    verdicts: dict = field(default_factory=lambda: defaultdict(int))
    rejected: list = field(default_factory=list)  # the simulator expects none


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _next(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _card(rng: random.Random) -> str:
    body = "621700" + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


class Payrolls:
    def __init__(self, *, seed: int, window_start: datetime.date, actor, label: Callable, progress: Callable, banks,
                 silenced: Callable[[str, list], bool] = lambda code, days: False, rates: Rates = Rates()):
        self.seed, self.window_start, self.actor, self.label, self.progress = seed, window_start, actor, label, progress
        self.banks, self.rates, self.silenced = banks, rates, silenced
        self.summary = PayrollSummary()
        self.labelled: set[tuple[str, int]] = set()  # (kind, line) already labelled

    # -- the timeline

    def steps(self, until: datetime.datetime) -> list[tuple[datetime.datetime, int, str, str]]:
        steps = []
        month_day = self.window_start.replace(day=1)
        last = timezone.localdate(until)
        while month_day <= last:
            m = f"{month_day:%Y-%m}"
            after, after_next = _next(month_day), _next(_next(month_day))
            steps += [(_at(month_day.replace(day=28), 12), 0, "proxy_cards", m),
                      (_at(after, 2), 1, "build", m), (_at(after.replace(day=2), 10), 2, "team", m),
                      (_at(after.replace(day=4), 10), 3, "fix", m), (_at(after.replace(day=5), 10), 4, "submit", m),
                      (_at(after.replace(day=6), 10), 5, "confirm", m), (_at(after.replace(day=12), 10), 6, "reissue", m),
                      (_at(after_next.replace(day=3), 10), 4, "submit_late", m), (_at(after_next.replace(day=4), 10), 5, "confirm", m),
                      (_at(after_next, 0), 0, "arrears", m)]
            steps += [(_at(month_day.replace(day=d), 16), 9, "bank_pay", m) for d in BANK_PAY_DAYS]
            month_day = after
        return sorted(steps)

    def send(self, since: datetime.datetime | None, until: datetime.datetime) -> PayrollSummary:
        todo = [s for s in self.steps(until) if (since is None or s[0] > since) and s[0] <= until]
        for n, (moment, _order, kind, month) in enumerate(todo):
            with clock.travel(moment):
                if kind in ("fix", "reissue"):  # what the alert engine sees before people correct it
                    self._alerts(moment)
                getattr(self, f"_{kind}")(month, moment)
            self.progress("payrolls", n + 1, len(todo))
        return self.summary

    @staticmethod
    def _alerts(moment) -> None:
        """What the payroll's events would run, at this moment (the simulator suppresses events while it delivers)."""
        events.dispatch(events.PAYROLL_CHANGED)

    def _rng(self, *parts) -> random.Random:
        return random.Random(":".join([str(self.seed), *map(str, parts)]))

    def _payrolls(self, month: str, *statuses) -> list[Payroll]:
        qs = Payroll.objects.filter(month=month).select_related("project", "enterprise").order_by("project__code", "enterprise__uscc")
        return list(qs.filter(status__in=statuses) if statuses else qs)

    @staticmethod
    def _lines(payroll: Payroll) -> list[PayrollLine]:
        return list(payroll.lines.current().select_related("worker", "employment").order_by("id"))

    def _line_label(self, kind: str, line: PayrollLine, month: str, **extra) -> None:
        if (kind, line.pk) in self.labelled:
            return
        self.labelled.add((kind, line.pk))
        self.label(kind, {"type": "payroll_line", "id": line.pk, "payroll": line.payroll_id, "worker": line.worker_id,
                          "project": line.payroll.project_id} | extra, month)

    # -- the steps

    def _proxy_cards(self, month: str, moment) -> None:
        """Once per chosen employer on a project: a foreman's card registered for two or three of his workers."""
        if month != f"{self.window_start:%Y-%m}":
            return
        from wageguard.registry.models import Employment

        first, last = months.bounds(month)
        by_pair = defaultdict(list)
        for e in (Employment.objects.filter(entered_on__lte=first, exited_on__isnull=True).select_related("project", "enterprise", "worker")
                  .order_by("project__code", "enterprise__uscc", "worker_id")):
            by_pair[(e.project.code, e.enterprise.uscc)].append(e.worker)
        for (code, uscc), workers in sorted(by_pair.items()):
            rng = self._rng("proxy", code, uscc)
            if len(workers) < 5 or rng.random() >= self.rates.proxy_cards:
                continue
            foreman, *others = sorted(rng.sample(workers, k=rng.randint(3, 4)), key=lambda w: w.pk)
            for worker in others:
                registry_services.worker_set_contact(actor=self.actor, worker=worker, bank_card=foreman.bank_card, bank_name=foreman.bank_name)

    def _build(self, month: str, moment) -> None:
        self.summary.payrolls += build_month(month)
        for payroll in self._payrolls(month):
            lines = self._lines(payroll)
            first, last = months.bounds(month)
            code = payroll.project.code
            for line in lines:  # never at the gate, as the simulator made it: a paper-only employment, a worker away all
                e = line.employment  # month, or one whose only working days the site's gates were silenced on; paid anyway
                start, end = max(e.entered_on, first), min(e.exited_on or last, last)
                working = [day for n in range((end - start).days + 1) if not site_on_break(self.seed, code, day := start + datetime.timedelta(days=n))]
                kept_away = (is_ghost(self.seed, line.worker.id_number, code, line.wage_basis)
                             or absent_month(self.seed, line.worker.id_number, month) or self.silenced(code, working))
                if line.net > 0 and line.wage_basis == WageBasis.MONTHLY and kept_away and len(working) >= SETTLING_IN_DAYS:
                    self._line_label(GHOST_WORKER, line, month)
            shared = defaultdict(list)
            for line in lines:
                if line.card_index:
                    shared[line.card_index].append(line.worker_id)
            for workers in shared.values():
                if len(workers) > 1:
                    self.label(PROXY_CLOCKIN, {"type": "payroll_card", "payroll": payroll.pk, "project": payroll.project_id,
                                               "workers": sorted(workers)}, month)

    def _team(self, month: str, moment) -> None:
        """Piece quantities, advances, and what some teams try: days for the absent, more days than attended,
        a huge piece settlement, a leaver left unpaid."""
        first, last = months.bounds(month)
        for payroll in self._payrolls(month, PayrollStatus.DRAFT):
            officer = enterprise_admin(payroll.enterprise)
            rng = self._rng("team", payroll.project.code, payroll.enterprise.uscc, month)
            lines = self._lines(payroll)

            def adjust(line, reason, **change):
                return payroll_services.line_adjust(actor=officer, line=line, reason=reason, **change)

            piece = [line for line in lines if line.wage_basis == WageBasis.PIECE_RATE and line.days_attended > 0]
            large = rng.choice(piece) if piece and rng.random() < self.rates.large else None
            for line in piece:
                quantity = (Decimal(60000) / line.wage_rate).quantize(Decimal("1")) if line is large else \
                    Decimal(str(round(line.days_attended * rng.uniform(6, 14), 2)))
                adjust(line, "班组计量单", quantity=quantity)
            if large is not None:
                self._line_label(LARGE_PAYMENT, large, month)
            advanced = set()  # lines already changed by the team: each line carries at most one anomaly
            nets = dict(payroll.lines.values_list("pk", "net"))  # after the piece quantities
            for line in lines:
                if rng.random() < self.rates.deduction and nets[line.pk] > 1000:
                    adjust(line, "预支生活费", deductions=[{"reason": "预支生活费", "amount": str(rng.randrange(2, 9) * 100)}])
                    advanced.add(line.pk)
            daily = [line for line in lines if line.wage_basis == WageBasis.DAILY and line.pk not in advanced]
            for line in daily:
                employment = line.employment
                whole_month = employment.entered_on <= first and (employment.exited_on is None or employment.exited_on >= last)
                if line.days_attended == 0 and whole_month and absent_month(self.seed, line.worker.id_number, month):
                    adjust(line, "班组长报送出勤", days_claimed=rng.randint(18, 24))
                    self._line_label(PAY_WITHOUT_ATTENDANCE, line, month)
                    advanced.add(line.pk)
                elif (employment.exited_on and first <= employment.exited_on <= last and line.days_attended > 0
                      and rng.random() < self.rates.exit_unsettled):
                    adjust(line, "离场工人工资另行处理", days_claimed=0)
                    self._line_label(EXIT_WITHOUT_SETTLEMENT, line, month)
                    advanced.add(line.pk)
            candidates = [line for line in daily if 0 < line.days_attended < 27 and line.days_claimed == line.days_attended
                          and line.pk not in advanced]  # one anomaly per line
            if candidates and rng.random() < self.rates.over_claim:
                line = rng.choice(candidates)
                adjust(line, "班组长报送出勤", days_claimed=line.days_attended + rng.randint(2, 4))
                self._line_label(DAYS_OVER_CLAIMED, line, month)

    def _fix(self, month: str, moment) -> None:
        """The wage officer corrects what the checks refuse and explains each warning."""
        for payroll in self._payrolls(month, PayrollStatus.DRAFT):
            officer = enterprise_admin(payroll.enterprise)
            unsigned = [line for line in self._lines(payroll) if line.checks.get("contract", {}).get("level") == ledger.ERROR]
            for line in unsigned:  # the missing labour contract is signed now, and the ledger rebuilt with its terms
                registry_services.contract_attach(actor=self.actor, employment=line.employment, signed_on=timezone.localdate(moment),
                                                  wage_basis="daily", wage_rate="300", pay_day=10)
            if unsigned:
                payroll_services.payroll_build(actor=officer, project=payroll.project, enterprise=payroll.enterprise, month=month)
            for line in self._lines(payroll):
                levels = {code: result["level"] for code, result in line.checks.items()}
                if levels.get("days_over_claimed") == ledger.ERROR:
                    line = payroll_services.line_adjust(actor=officer, line=line, reason="按考勤核减", days_claimed=line.days_attended)
                if levels.get("pay_without_attendance") == ledger.ERROR:
                    line = payroll_services.line_adjust(actor=officer, line=line, reason="核实未出勤，不予计薪", days_claimed=0, deductions=[])
                if levels.get("paid_twice") == ledger.ERROR and self._still_paid_twice(payroll, line):
                    line = payroll_services.line_adjust(actor=officer, line=line, reason="另一项目已计薪", days_claimed=0, deductions=[])
                    if line.checks["exit_without_settlement"]["level"] == ledger.WARNING:  # a leaver now left unpaid here
                        self._line_label(EXIT_WITHOUT_SETTLEMENT, line, month)
                for code, result in line.checks.items():
                    if result["level"] == ledger.WARNING and not line.warning_reasons.get(code):
                        line = payroll_services.warning_reason_give(actor=officer, line=line, check=code,
                                                                    reason=WARNING_REASONS.get(code, "已核实"))

    def _unsettled_leavers(self, payroll: Payroll, month: str) -> None:
        """Leavers the ledger sends off with nothing although they worked (e.g. piece work nobody measured, days
        moved to another employer's ledger) are anomalies too, whatever caused them; the team's own are labelled."""
        first, last = months.bounds(month)
        for line in self._lines(payroll):
            exited = line.employment.exited_on if line.employment else None
            if (exited and first <= exited <= last and line.days_attended > 0 and line.net <= 0
                    and (EXIT_WITHOUT_SETTLEMENT, line.pk) not in self.labelled):
                self._line_label(EXIT_WITHOUT_SETTLEMENT, line, month)

    @staticmethod
    def _still_paid_twice(payroll: Payroll, line: PayrollLine) -> bool:
        """Ledgers built together flag the worker on both; once one employer has zeroed the days, the other's stand."""
        ledger.check_lines(payroll, [line])
        return line.checks["paid_twice"]["level"] == ledger.ERROR

    def _submit(self, month: str, moment, *, late: bool = False) -> None:
        for payroll in self._payrolls(month, PayrollStatus.DRAFT):
            if (self._rng("late", payroll.project.code, payroll.enterprise.uscc, month).random() < self.rates.late) != late:
                continue
            self._unsettled_leavers(payroll, month)
            try:
                payroll_services.payroll_submit(actor=enterprise_admin(payroll.enterprise), payroll=payroll)
            except ServiceError:
                continue  # still blocked: it stays a draft, and unpaid

    def _submit_late(self, month: str, moment) -> None:
        self._submit(month, moment, late=True)

    def _confirm(self, month: str, moment) -> None:
        for payroll in self._payrolls(month, PayrollStatus.SUBMITTED):
            payroll_services.payroll_confirm(actor=enterprise_admin(payroll.project.general_contractor), payroll=payroll)

    def _reissue(self, month: str, moment) -> None:
        """Failed lines: the worker brings a new card and the employer pays again (most of the time)."""
        for payroll in self._payrolls(month, PayrollStatus.FAILED, PayrollStatus.PARTLY_PAID):
            officer = enterprise_admin(payroll.enterprise)
            for line in payroll.lines.current().filter(result__status="failed").select_related("worker").order_by("id"):
                rng = self._rng("reissue", payroll.project.code, line.worker.id_number, month)
                if rng.random() >= self.rates.reissued:
                    continue
                registry_services.worker_set_contact(actor=self.actor, worker=line.worker, bank_card=_card(rng), bank_name="中国建设银行")
                line.worker.refresh_from_db()
                payroll_services.line_reissue(actor=officer, line=line, reason="原卡无法入账，改发新卡")

    def _arrears(self, month: str, moment) -> None:
        """Month M not fully paid when M+1 ends: labelled as observed."""
        for payroll in self._payrolls(month):
            unpaid = payroll.lines.current().filter(net__gt=0).exclude(result__status="paid")
            if unpaid.exists():
                self.label(ARREARS, {"type": "payroll", "id": payroll.pk, "project": payroll.project_id,
                                     "enterprise": payroll.enterprise_id, "lines": unpaid.count()}, month)

    # -- the banks' side

    def _bank_pay(self, month: str, moment) -> None:
        """Each bank lists what is addressed to it and still unanswered, and pays what its open accounts can.
        (The simulator reports openings ahead of time in one run — see `deliver` — so an account the bank has not
        opened yet at this moment is skipped, as a catch-up run would find it absent.)"""
        from wageguard.accounts.models import WageAccount

        opened = dict(WageAccount.objects.values_list("number", "opened_on"))
        for code in sorted(set(self.banks.bank_of.values())):
            client = self.banks._client(code)
            client.clock = moment.timestamp
            response = client.get("/api/v1/bank/payrolls", "include_fetched=true")
            if response.status != 200:
                raise RuntimeError(f"the platform refused a simulated bank's fetch ({response.status}): {response.body[:300]!r}")
            records, payroll_of, fetched = [], {}, []
            for payroll in response.json()["payrolls"]:
                if payroll["lines"] and opened.get(payroll["account_number"], moment.date()) <= timezone.localdate(moment):
                    self.summary.fetched += 1
                    fetched.append(payroll)
            self._verify(code, client, fetched, moment)
            for payroll in fetched:
                for record in self._answer(payroll, moment):
                    records.append(record)
                    payroll_of[record["line_id"]] = payroll
            self._post_results(code, client, records, payroll_of, moment)

    @staticmethod
    def _holders(payroll: dict) -> dict[str, tuple[str, str]]:
        """Each card's holder (name, ID number) in the bank's books: the first worker paid to it (the foreman's
        line comes first)."""
        holders: dict[str, int] = {}
        for line in payroll["lines"]:
            holders.setdefault(line["card"], line["line_id"])
        workers = {line.pk: line.worker for line in PayrollLine.objects.filter(pk__in=holders.values()).select_related("worker")}
        return {card: (workers[line_id].name, workers[line_id].id_number) for card, line_id in holders.items()}

    def _verify(self, code: str, client, payrolls: list[dict], moment) -> None:
        """Before paying, the bank checks each new line's card against the account holder in its books."""
        records = []
        for payroll in payrolls:
            holders = self._holders(payroll)
            records += [{"client_record_id": f"v-{line['line_id']}", "line_id": line["line_id"], "card": line["card"],
                         "holder_name": holders[line["card"]][0], "holder_id_number": holders[line["card"]][1]}
                        for line in payroll["lines"] if line["card_holder"] == "pending"]
        for start in range(0, len(records), 1000):
            batch = {"batch_id": f"verify-{code}-{moment:%Y%m%d%H%M}-{start // 1000}", "mode": "partial", "records": records[start:start + 1000]}
            response = client.post_json("/api/v1/bank/card-verifications", batch)
            if response.status != 200:
                raise RuntimeError(f"the platform refused simulated card verifications ({response.status}): {response.body[:300]!r}")

    def _answer(self, payroll: dict, moment) -> list[dict]:
        """The bank's result for each line of one fetched ledger: a card held by someone else is not paid."""
        holders = self._holders(payroll)
        records = []
        for line in payroll["lines"]:
            holder = holders[line["card"]][0]
            txn = hashlib.sha1(f"{payroll['enterprise_uscc']}:{line['card']}:{line['name']}".encode()).hexdigest()[:10]
            txn_id = f"{payroll['account_number']}-W{payroll['month'].replace('-', '')}-{txn}{'-R' if line['reissue_of'] else ''}"
            rng = self._rng("pay", payroll["project_code"], payroll["month"], txn_id)
            record = {"client_record_id": txn_id, "line_id": line["line_id"], "amount": line["amount"], "card": line["card"],
                      "holder_name": holder}
            if holder != line["name"]:
                records.append(record | {"status": "failed", "reason_code": "NAME_MISMATCH"})
            elif not line["reissue_of"] and rng.random() < self.rates.line_failed:
                records.append(record | {"status": "failed", "reason_code": rng.choice(FAILURE_CODES)})
            else:
                records.append(record | {"status": "paid", "bank_txn_id": txn_id, "paid_at": moment.isoformat()})
        return records

    def _post_results(self, code: str, client, records: list[dict], payroll_of: dict[int, dict], moment) -> None:
        """One results file per bank and payment run, as banks send them (split at 1,000 lines)."""
        for start in range(0, len(records), 1000):
            batch = {"batch_id": f"pay-{code}-{moment:%Y%m%d%H%M}-{start // 1000}", "mode": "partial",
                     "records": records[start:start + 1000]}
            response = client.post_json("/api/v1/bank/payroll-results", batch)
            if response.status != 200:
                raise RuntimeError(f"the platform refused simulated payroll results ({response.status}): {response.body[:300]!r}")
            for record, result in zip(batch["records"], response.json()["results"]):
                self.summary.results += 1
                self.summary.verdicts[result["status"]] += 1
                if result["status"] == "rejected":
                    self.summary.rejected.append((record, result))
                elif record["status"] == "failed":
                    payroll = payroll_of[record["line_id"]]
                    self.label(BANK_LINE_FAILED, {"type": "payroll_line", "id": record["line_id"], "payroll": payroll["payroll_id"],
                                                  "reason_code": record["reason_code"]}, payroll["month"])
