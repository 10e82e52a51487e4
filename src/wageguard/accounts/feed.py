"""The bank feed: what partner banks push about dedicated wage accounts, over the signed API.

Four kinds of batch, each with the same envelope, idempotency and per-record verdicts as attendance
(`exchange.batches`): accounts opened, status changes, transactions, daily closing balances. A bank
pushes only for its own accounts: another bank's account number is simply `unknown_account`.

Bank data is never typed in the console. A record that differs from what is stored is refused
(`conflicts_with_stored`) unless it carries `correction_reason`: then it replaces the stored version and
the audit trail keeps both (before, after, reason).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from wageguard.core import audit, clock, events, rules
from wageguard.core.errors import ServiceError
from wageguard.core.events import ACCOUNT_BOOKED, ACCOUNT_OPENED
from wageguard.core.pii import blind_index
from wageguard.exchange.batches import BatchKindSpec, Item, apply_batch
from wageguard.exchange.fields import Invalid
from wageguard.exchange.fields import date_field as _date
from wageguard.exchange.fields import moment_field as _moment
from wageguard.exchange.fields import money_field as _money
from wageguard.exchange.fields import parser as _parser
from wageguard.exchange.fields import text_field as _text
from wageguard.exchange.models import ApiClient, BatchKind, ClientKind, IngestionBatch
from wageguard.registry.models import FilingStatus, Project, ProjectStatus
from wageguard.registry.validators import validate_uscc

from . import continuity
from .models import (
    AccountStatus,
    AccountStatusEvent,
    AccountTransaction,
    Bank,
    BankDataIssue,
    DailyBalance,
    DataIssueKind,
    TransactionPurpose,
    WageAccount,
)

LATE_AFTER = datetime.timedelta(days=1)
ACCOUNT_NAME_MARK = "农民工工资专用账户"
CREDIT_PURPOSES = {TransactionPurpose.LABOUR_COST_IN, TransactionPurpose.INTEREST}
DEBIT_PURPOSES = {TransactionPurpose.WAGE_OUT, TransactionPurpose.FEE, TransactionPurpose.TRANSFER_OUT}
STATUS_PUSHES = {"frozen": AccountStatus.FROZEN, "unfrozen": AccountStatus.ACTIVE, "closing": AccountStatus.CLOSING,
                 "closed": AccountStatus.CLOSED}


def bank_of(client: ApiClient) -> Bank:
    """The client's bank (looked up once per request: the client object lives for one request)."""
    if not hasattr(client, "_bank"):
        client._bank = Bank.objects.filter(code=client.bank_code).first() if client.kind == ClientKind.BANK else None
    if client._bank is None:
        raise ServiceError("out_of_scope", "only a partner bank's client may push bank data", None, status=403)
    return client._bank


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _event_late(item: Item, event_day: datetime.date, now) -> None:
    """Reported more than a day after the day it happened: counts against the bank's timeliness."""
    item.is_late = timezone.localdate(now) - event_day > LATE_AFTER


def _audit_correction(obj, before: dict, reason: str, client: ApiClient) -> None:
    audit.record(actor=None, action=f"accounts.bank_correction.{obj._meta.model_name}", obj=obj, before=before,
                 after=audit.snapshot(obj) | {"correction_reason": reason, "sender": client.key_id})


# ---------------------------------------------------------------- accounts opened


@dataclass
class OpenedAccount(Item):
    project_code: str = ""
    holder_uscc: str = ""
    number: str = ""
    name: str = ""
    section: str = ""
    opened_on: datetime.date | None = None
    correction_reason: str = ""
    project: Project | None = None


def _fill_opened(item: OpenedAccount, record: dict) -> None:
    item.project_code = _text(record, "project_code", 32)
    try:
        item.holder_uscc = validate_uscc(_text(record, "holder_uscc", 18))
    except ServiceError:
        raise Invalid("invalid_uscc", "holder_uscc") from None
    item.number = _text(record, "account_number", 40)
    item.name = _text(record, "account_name", 200)
    item.section = _text(record, "section", 40, required=False)
    item.opened_on = _date(record, "opened_on")
    item.correction_reason = _text(record, "correction_reason", 200, required=False)


def _prepare_opened(client: ApiClient, items: list[OpenedAccount], now) -> None:
    bank_of(client)
    live = [i for i in items if i.status == "accepted"]
    projects = {p.code: p for p in Project.objects.filter(code__in={i.project_code for i in live})
                .select_related("general_contractor", "region")}
    for item in live:
        item.project = projects.get(item.project_code)
        if item.project is None:
            item.reject("unknown_project", "project_code")
        elif item.project.filing_status == FilingStatus.PROPOSED:
            item.reject("project_not_filed", "project_code")  # not yet accepted by its department: no account yet
        elif item.holder_uscc != item.project.general_contractor.uscc:
            item.reject("holder_not_general_contractor", "holder_uscc")
        elif not all(part in item.name for part in (item.project.general_contractor.name, item.project.name, ACCOUNT_NAME_MARK)):
            item.reject("account_name", "account_name")
        elif item.opened_on > clock.localdate():
            item.reject("future_date", "opened_on")
        else:
            _event_late(item, item.opened_on, now)
            if opened_late(item.project, item.opened_on):
                item.flags.append("opened_late")


def _store_opened(client: ApiClient, batch: IngestionBatch, items: list[OpenedAccount], now) -> None:
    bank = bank_of(client)
    stored = {a.number: a for a in WageAccount.objects.select_for_update().filter(bank=bank, number__in={i.number for i in items})}
    open_sections = set(WageAccount.objects.filter(project__in={i.project.pk for i in items}).exclude(status=AccountStatus.CLOSED)
                        .values_list("project_id", "section"))
    for item in items:
        fields = {"project": item.project, "section": item.section, "holder": item.project.general_contractor,
                  "name": item.name, "opened_on": item.opened_on}
        account = stored.get(item.number)
        if account is not None:
            if all(getattr(account, k) == v for k, v in fields.items()):
                item.status = "duplicate"
            elif not item.correction_reason:
                item.reject("conflicts_with_stored", "account_number")
            elif (account.project_id, account.section) != (item.project.pk, item.section):
                item.reject("account_moved", "project_code")  # an account never moves: close it, and open another
            else:
                before = audit.snapshot(account)
                for k, v in fields.items():
                    setattr(account, k, v)
                account.save()
                _audit_correction(account, before, item.correction_reason, client)
            continue
        if (item.project.pk, item.section) in open_sections:
            item.reject("account_exists", "project_code")  # one open account per project (per section)
            continue
        stored[item.number] = WageAccount.objects.create(bank=bank, number=item.number, **fields)
        open_sections.add((item.project.pk, item.section))
    events.emit(ACCOUNT_OPENED, project_ids={i.project.pk for i in items if i.status == "accepted"})


def opened_late(project: Project, opened_on: datetime.date) -> bool:
    """Opened more than the allowed days after the project's start (its contract / permit date)."""
    if project.started_on is None:
        return False
    return (opened_on - project.started_on).days > int(rules.value("account.open_within_days", project.region))


def account_opened_late(account: WageAccount) -> bool:
    return opened_late(account.project, account.opened_on)


# ---------------------------------------------------------------- status changes


@dataclass
class StatusChange(Item):
    number: str = ""
    pushed: str = ""  # frozen / unfrozen / closing / closed (`status` is the record's verdict)
    effective_on: datetime.date | None = None
    reason_text: str = ""
    account: WageAccount | None = None


def _fill_status(item: StatusChange, record: dict) -> None:
    item.number = _text(record, "account_number", 40)
    pushed = _text(record, "status", 12)
    if pushed not in STATUS_PUSHES:
        raise Invalid("invalid_choice", "status")
    item.pushed = pushed
    item.effective_on = _date(record, "effective_on")
    item.reason_text = _text(record, "reason", 200, required=False)


def _prepare_by_account(client: ApiClient, items: list, now) -> None:
    """Resolve account numbers among this bank's accounts only (another bank's look unknown)."""
    bank = bank_of(client)
    live = [i for i in items if i.status == "accepted"]
    accounts = {a.number: a for a in WageAccount.objects.filter(bank=bank, number__in={i.number for i in live})
                .select_related("project__region")}
    for item in live:
        item.account = accounts.get(item.number)
        if item.account is None:
            item.reject("unknown_account", "account_number")


def _prepare_status(client: ApiClient, items: list[StatusChange], now) -> None:
    _prepare_by_account(client, items, now)
    for item in items:
        if item.status == "accepted":
            _event_late(item, item.effective_on, now)


def _closing_flags(account: WageAccount, effective_on: datetime.date) -> list[str]:
    flags = []
    notice = AccountStatusEvent.objects.filter(account=account, status=AccountStatus.CLOSING).order_by("effective_on").first()
    days = int(rules.value("account.closing_notice_days", account.project.region))
    if notice is None or (effective_on - notice.effective_on).days < days:
        flags.append("closed_without_notice")
    if account.project.status != ProjectStatus.COMPLETED:
        flags.append("project_not_completed")
    return flags + [flag for check in CLOSING_CHECKS if (flag := check(account))]


# What else must be settled before an account closes: each app above registers its own check (a function of the
# account giving a flag or None) in its AppConfig.ready, so that accounts never imports them.
CLOSING_CHECKS: list = []


def _store_status(client: ApiClient, batch: IngestionBatch, items: list[StatusChange], now) -> None:
    for item in sorted(items, key=lambda i: (i.effective_on, i.index)):
        new_status = STATUS_PUSHES[item.pushed]
        if AccountStatusEvent.objects.filter(account=item.account, status=new_status, effective_on=item.effective_on).exists():
            item.status = "duplicate"
            continue
        flags = _closing_flags(item.account, item.effective_on) if new_status == AccountStatus.CLOSED else []
        item.flags.extend(flags)
        AccountStatusEvent.objects.create(account=item.account, status=new_status, effective_on=item.effective_on,
                                          reason=item.reason_text, flags=flags, batch=batch, client_record_id=item.client_record_id)
        latest = AccountStatusEvent.objects.filter(account=item.account).order_by("-effective_on", "-id").first()
        WageAccount.objects.filter(pk=item.account.pk).update(status=latest.status)


# ---------------------------------------------------------------- transactions


@dataclass
class Txn(Item):
    number: str = ""
    bank_txn_id: str = ""
    sequence: int = 0
    booked_at: datetime.datetime | None = None
    amount: Decimal = Decimal("0")
    counterparty_name: str = ""
    counterparty_account: str = ""
    purpose: str = ""
    balance_after: Decimal = Decimal("0")
    correction_reason: str = ""
    account: WageAccount | None = None

    def values(self) -> dict:
        return {"sequence": self.sequence, "booked_at": self.booked_at, "amount": self.amount,
                "counterparty_name": self.counterparty_name, "counterparty_account": self.counterparty_account,
                "purpose": self.purpose, "balance_after": self.balance_after}


def _fill_txn(item: Txn, record: dict) -> None:
    item.number = _text(record, "account_number", 40)
    item.bank_txn_id = _text(record, "bank_txn_id", 64)
    sequence = record.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise Invalid("invalid_value", "sequence")
    item.sequence = sequence
    item.booked_at = _moment(record, "booked_at")
    item.amount = _money(record, "amount")
    item.counterparty_name = _text(record, "counterparty_name", 200)
    item.counterparty_account = _text(record, "counterparty_account", 40, required=False)
    item.purpose = _text(record, "purpose", 16)
    if item.purpose not in TransactionPurpose.values:
        raise Invalid("invalid_choice", "purpose")
    if (item.purpose in CREDIT_PURPOSES and item.amount <= 0) or (item.purpose in DEBIT_PURPOSES and item.amount >= 0) or not item.amount:
        raise Invalid("wrong_sign", "amount")
    item.balance_after = _money(record, "balance_after")
    item.correction_reason = _text(record, "correction_reason", 200, required=False)


def _prepare_txns(client: ApiClient, items: list[Txn], now) -> None:
    _prepare_by_account(client, items, now)
    for item in items:
        if item.status == "accepted":
            if item.booked_at - now > datetime.timedelta(minutes=10):
                item.reject("future_date", "booked_at")
            else:
                item.is_late = now - item.booked_at > LATE_AFTER


def _store_txns(client: ApiClient, batch: IngestionBatch, items: list[Txn], now) -> None:
    bank = bank_of(client)
    stored = {t.bank_txn_id: t for t in AccountTransaction.objects.select_for_update().filter(
        bank=bank, bank_txn_id__in={i.bank_txn_id for i in items})}
    taken = set(AccountTransaction.objects.filter(account__in={i.account.pk for i in items}, sequence__in={i.sequence for i in items})
                .values_list("account_id", "sequence"))
    touched: set[int] = set()
    for item in items:
        existing = stored.get(item.bank_txn_id)
        if existing is not None:
            same = existing.account_id == item.account.pk and all(getattr(existing, k) == v for k, v in item.values().items())
            if same:
                item.status = "duplicate"
            elif not item.correction_reason or existing.account_id != item.account.pk:
                item.reject("conflicts_with_stored", "bank_txn_id")
            else:
                before = audit.snapshot(existing)
                AccountTransaction.objects.filter(pk=existing.pk).update(
                    **item.values(), received_at=now,
                    counterparty_account_index=blind_index(item.counterparty_account) if item.counterparty_account else None)
                existing.refresh_from_db()
                _audit_correction(existing, before, item.correction_reason, client)
                touched.add(item.account.pk)
            continue
        if (item.account.pk, item.sequence) in taken:
            item.reject("sequence_taken", "sequence")
            continue
        stored[item.bank_txn_id] = AccountTransaction.objects.create(account=item.account, bank=bank, bank_txn_id=item.bank_txn_id,
                                                                     received_at=now, **item.values())
        taken.add((item.account.pk, item.sequence))
        touched.add(item.account.pk)
    for account_id in sorted(touched):
        check_continuity(account_id, now)
    booked = [i for i in items if i.status == "accepted"]
    events.emit(ACCOUNT_BOOKED, project_ids={i.account.project_id for i in booked}, periods={f"{timezone.localtime(i.booked_at):%Y-%m}" for i in booked})


def check_continuity(account_id: int, now) -> None:
    """Recompute the account's breaks from its whole record: new ones open, healed ones close."""
    entries = [continuity.Entry(seq, amount, balance) for seq, amount, balance in
               AccountTransaction.objects.filter(account_id=account_id).order_by("sequence")
               .values_list("sequence", "amount", "balance_after")]
    found = {(b.kind, b.sequence): b for b in continuity.breaks(entries)}
    open_issues = {(i.kind, i.at_sequence): i for i in BankDataIssue.objects.filter(
        account_id=account_id, resolved_at__isnull=True, kind__in=[DataIssueKind.SEQUENCE_GAP, DataIssueKind.BALANCE_BREAK])}
    for key, brk in found.items():
        if key not in open_issues:
            BankDataIssue.objects.create(account_id=account_id, kind=brk.kind, at_sequence=brk.sequence, expected=brk.expected,
                                         found=brk.found, detected_at=now)
    healed = [issue.pk for key, issue in open_issues.items() if key not in found]
    BankDataIssue.objects.filter(pk__in=healed).update(resolved_at=now)


# ---------------------------------------------------------------- daily balances


@dataclass
class Closing(Item):
    number: str = ""
    day: datetime.date | None = None
    closing_balance: Decimal = Decimal("0")
    correction_reason: str = ""
    account: WageAccount | None = None


def _fill_closing(item: Closing, record: dict) -> None:
    item.number = _text(record, "account_number", 40)
    item.day = _date(record, "day")
    item.closing_balance = _money(record, "closing_balance")
    item.correction_reason = _text(record, "correction_reason", 200, required=False)


def _prepare_closings(client: ApiClient, items: list[Closing], now) -> None:
    _prepare_by_account(client, items, now)
    for item in items:
        if item.status == "accepted":
            if item.day > clock.localdate():
                item.reject("future_date", "day")
            else:
                _event_late(item, item.day, now)


def _store_closings(client: ApiClient, batch: IngestionBatch, items: list[Closing], now) -> None:
    stored = {(b.account_id, b.day): b for b in DailyBalance.objects.select_for_update().filter(
        account__in={i.account.pk for i in items}, day__in={i.day for i in items})}
    for item in items:
        existing = stored.get((item.account.pk, item.day))
        if existing is not None:
            if existing.closing_balance == item.closing_balance:
                item.status = "duplicate"
                continue
            if not item.correction_reason:
                item.reject("conflicts_with_stored", "closing_balance")
                continue
            before = audit.snapshot(existing)
            existing.closing_balance, existing.received_at = item.closing_balance, now
            existing.save(update_fields=["closing_balance", "received_at"])
            _audit_correction(existing, before, item.correction_reason, client)
        else:
            stored[(item.account.pk, item.day)] = DailyBalance.objects.create(
                account=item.account, day=item.day, closing_balance=item.closing_balance, received_at=now)
        _check_closing(item.account, item.day, item.closing_balance, now)


def _check_closing(account: WageAccount, day: datetime.date, closing: Decimal, now) -> None:
    end_of_day = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    last = (AccountTransaction.objects.filter(account=account, booked_at__lt=end_of_day).order_by("-sequence")
            .values_list("sequence", "amount", "balance_after").first())
    entry = continuity.Entry(*last) if last else None
    issues = BankDataIssue.objects.filter(account=account, kind=DataIssueKind.CLOSING_MISMATCH, day=day, resolved_at__isnull=True)
    if continuity.closing_mismatch(closing, entry):
        if not issues.exists():
            BankDataIssue.objects.create(account=account, kind=DataIssueKind.CLOSING_MISMATCH, day=day,
                                         expected=str(entry.balance_after if entry else Decimal("0.00")), found=str(closing),
                                         detected_at=now)
    else:
        issues.update(resolved_at=now)


# ---------------------------------------------------------------- the four kinds

OPENED = BatchKindSpec(BatchKind.BANK_ACCOUNTS, _parser(OpenedAccount, _fill_opened), _prepare_opened, _store_opened)
STATUS = BatchKindSpec(BatchKind.BANK_ACCOUNT_STATUS, _parser(StatusChange, _fill_status), _prepare_status, _store_status)
TRANSACTIONS = BatchKindSpec(BatchKind.BANK_TRANSACTIONS, _parser(Txn, _fill_txn), _prepare_txns, _store_txns)
BALANCES = BatchKindSpec(BatchKind.BANK_BALANCES, _parser(Closing, _fill_closing), _prepare_closings, _store_closings)


def push(*, client: ApiClient, body: bytes, spec: BatchKindSpec) -> dict:
    bank_of(client)  # refuse a non-bank client before reading its batch
    return apply_batch(client=client, body=body, spec=spec)
