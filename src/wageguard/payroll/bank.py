"""The bank's side of payroll: fetching confirmed ledgers addressed to it, and posting each line's result.

A ledger is addressed to the bank that holds the project's open dedicated account. Nothing is marked paid
without the bank's result, and no line may be paid before the bank has verified that its card is held by the
worker (`card-verifications`: the line's `card_holder` becomes `match` or `mismatch`; a `paid` result for a line
that is not a match is refused, `card_not_verified`). Results are a signed batch like every push (idempotent, per-record verdicts);
a result whose amount or card differs from the ledger line is rejected for that line only.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from wageguard.accounts.feed import bank_of
from wageguard.core import access, audit, clock
from wageguard.core.transactions import service
from wageguard.exchange.batches import BatchKindSpec, Item, apply_batch
from wageguard.exchange.fields import Invalid, money_field, moment_field, parser, text_field
from wageguard.exchange.models import ApiClient, BatchKind, IngestionBatch

from . import ledger
from .services import changed
from .models import DisbursementResult, Payroll, PayrollLine, PayrollStatus, ResultStatus


def addressed_to(client: ApiClient) -> QuerySet[Payroll]:
    """Ledgers of projects whose confirmed, open dedicated account is at this bank."""
    bank = bank_of(client)
    return Payroll.objects.filter(project_id__in=access.paying_accounts().filter(bank=bank).values("project_id"))


@service
def fetch_confirmed(*, client: ApiClient, include_fetched: bool = False) -> list[dict]:
    """Confirmed ledgers for this bank, marked fetched; `include_fetched` lists again those still without results."""
    statuses = [PayrollStatus.CONFIRMED] + ([PayrollStatus.FETCHED] if include_fetched else [])
    payrolls = list(addressed_to(client).filter(status__in=statuses).select_for_update(of=("self",))
                    .select_related("project", "enterprise").order_by("id"))
    prefetch_related_objects(payrolls, Prefetch("lines", to_attr="unanswered", queryset=PayrollLine.objects.filter(
        result__isnull=True, net__gt=0).select_related("worker").order_by("id")))
    accounts = {a.project_id: a.number for a in access.paying_accounts().filter(
        bank=bank_of(client), project_id__in=[p.project_id for p in payrolls])}
    now = clock.now()
    answer = []
    for payroll in payrolls:
        answer.append({
            "payroll_id": payroll.pk, "project_code": payroll.project.code, "month": payroll.month,
            "enterprise_uscc": payroll.enterprise.uscc, "account_number": accounts.get(payroll.project_id),
            "lines": [{"line_id": line.pk, "name": line.worker.name, "card": line.card, "bank_name": line.bank_name,
                       "amount": str(line.net), "reissue_of": line.reissue_of_id, "card_holder": ledger.card_holder(line)}
                      for line in payroll.unanswered],
        })
        if payroll.status == PayrollStatus.CONFIRMED:
            audit.record(actor=None, action="payroll.fetched", obj=payroll, before={"status": "confirmed"},
                         after={"status": "fetched", "bank": client.bank_code})
    Payroll.objects.filter(pk__in=[p.pk for p in payrolls if p.status == PayrollStatus.CONFIRMED]).update(
        status=PayrollStatus.FETCHED, fetched_at=now)
    return answer


@dataclass
class LineResult(Item):
    line_id: int = 0
    result: str = ""
    amount: Decimal = Decimal("0")
    card: str = ""
    bank_txn_id: str = ""
    paid_at: datetime.datetime | None = None
    reason_code: str = ""
    holder_name: str = ""
    line: PayrollLine | None = None


def _fill(item: LineResult, record: dict) -> None:
    line_id = record.get("line_id")
    if isinstance(line_id, bool) or not isinstance(line_id, int):
        raise Invalid("invalid_value", "line_id")
    item.line_id = line_id
    item.result = text_field(record, "status", 8)
    if item.result not in ResultStatus.values:
        raise Invalid("invalid_choice", "status")
    item.amount = money_field(record, "amount")
    item.card = text_field(record, "card", 19)
    item.holder_name = text_field(record, "holder_name", 60, required=False)
    if item.result == ResultStatus.PAID:
        item.bank_txn_id = text_field(record, "bank_txn_id", 64)
        item.paid_at = moment_field(record, "paid_at")
    else:
        item.reason_code = text_field(record, "reason_code", 32)


def _lines_of(client: ApiClient, items) -> list:
    """The accepted items with their ledger line (of a ledger addressed to this bank and fetched); the others
    rejected. Another bank's line looks like no line at all."""
    live = [i for i in items if i.status == "accepted"]
    lines = {line.pk: line for line in PayrollLine.objects.filter(
        pk__in={i.line_id for i in live}, payroll__in=addressed_to(client)).select_related("payroll", "worker")}
    for item in live:
        item.line = lines.get(item.line_id)
        if item.line is None:
            item.reject("unknown_line", "line_id")
        elif item.line.payroll.status not in (PayrollStatus.FETCHED, PayrollStatus.PARTLY_PAID, PayrollStatus.FAILED, PayrollStatus.PAID):
            item.reject("not_fetched", "line_id")
        elif item.card != item.line.card:
            item.reject("card_mismatch", "card")
    return [i for i in live if i.status == "accepted"]


def _prepare(client: ApiClient, items: list[LineResult], now) -> None:
    for item in _lines_of(client, items):
        if item.amount != item.line.net:
            item.reject("amount_mismatch", "amount")
        elif item.result == ResultStatus.PAID and ledger.card_holder(item.line) != "match":
            item.reject("card_not_verified", "line_id")


def _store(client: ApiClient, batch: IngestionBatch, items: list[LineResult], now) -> None:
    stored = {r.line_id: r for r in DisbursementResult.objects.filter(line_id__in={i.line_id for i in items})}
    touched = set()
    checked, fresh = [], []
    for item in items:
        existing = stored.get(item.line_id)
        if existing is not None:
            same = (existing.status, existing.amount, existing.bank_txn_id, existing.reason_code) == (
                item.result, item.amount, item.bank_txn_id, item.reason_code)
            if same:
                item.status = "duplicate"
            else:
                item.reject("conflicts_with_stored", "status")
            continue
        stored[item.line_id] = DisbursementResult(
            line=item.line, status=item.result, amount=item.amount, card=item.card, bank_txn_id=item.bank_txn_id,
            paid_at=item.paid_at, reason_code=item.reason_code, holder_name=item.holder_name, batch=batch, received_at=now)
        fresh.append(stored[item.line_id])
        touched.add(item.line.payroll_id)
        if item.holder_name and ledger.card_holder(item.line) == "pending":  # a verdict once given stays
            item.line.checks = {**item.line.checks, "card_holder": ledger.holder_check(item.line, item.holder_name)}
            checked.append(item.line)
    DisbursementResult.objects.bulk_create(fresh)
    PayrollLine.objects.bulk_update(checked, ["checks"])
    for payroll_id in sorted(touched):
        _settle(payroll_id)
    changed(Payroll.objects.filter(pk__in=touched))


def _settle(payroll_id: int) -> None:
    """paid when every line to pay is paid, failed when all failed, partly_paid otherwise (pending lines remain)."""
    payroll = Payroll.objects.select_for_update().get(pk=payroll_id)
    to_pay = payroll.lines.current().filter(net__gt=0)
    results = list(DisbursementResult.objects.filter(line__in=to_pay).values_list("status", flat=True))
    if len(results) < to_pay.count():
        status = PayrollStatus.PARTLY_PAID if ResultStatus.PAID in results else payroll.status
    elif all(r == ResultStatus.PAID for r in results):
        status = PayrollStatus.PAID
    elif all(r == ResultStatus.FAILED for r in results):
        status = PayrollStatus.FAILED
    else:
        status = PayrollStatus.PARTLY_PAID
    if status != payroll.status:
        before = payroll.status
        Payroll.objects.filter(pk=payroll.pk).update(status=status)
        audit.record(actor=None, action=f"payroll.{status}", obj=payroll, before={"status": before}, after={"status": status})


RESULTS = BatchKindSpec(BatchKind.BANK_PAYROLL_RESULTS, parser(LineResult, _fill), _prepare, _store)


def post_results(*, client: ApiClient, body: bytes) -> dict:
    bank_of(client)
    return apply_batch(client=client, body=body, spec=RESULTS)


# ---------------------------------------------------------------- card holder verification, before paying


@dataclass
class Verification(Item):
    line_id: int = 0
    card: str = ""
    holder_name: str = ""
    holder_id_number: str = ""
    line: PayrollLine | None = None


def _fill_verification(item: Verification, record: dict) -> None:
    line_id = record.get("line_id")
    if isinstance(line_id, bool) or not isinstance(line_id, int):
        raise Invalid("invalid_value", "line_id")
    item.line_id = line_id
    item.card = text_field(record, "card", 19)
    item.holder_name = text_field(record, "holder_name", 60)
    item.holder_id_number = text_field(record, "holder_id_number", 18)


def _prepare_verifications(client: ApiClient, items: list[Verification], now) -> None:
    _lines_of(client, items)


def _locked_lines(items) -> dict[int, PayrollLine]:
    """The items' lines re-read and locked inside the batch's transaction (a concurrent batch waits)."""
    return {line.pk: line for line in PayrollLine.objects.select_for_update(of=("self",)).select_related("worker").filter(
        pk__in={i.line_id for i in items if i.status == "accepted"}).order_by("pk")}


def _store_verifications(client: ApiClient, batch: IngestionBatch, items: list[Verification], now) -> None:
    """Each line's card holder as the bank's account-name check found it; a line already verified keeps its
    verdict (the same again is a duplicate, a different one is refused)."""
    lines = _locked_lines(items)
    checked = {}
    for item in items:
        line = lines[item.line_id]
        verdict = ledger.holder_check(line, item.holder_name, item.holder_id_number)
        stored = line.checks.get("card_holder", {})
        if stored.get("level", ledger.PENDING) != ledger.PENDING:
            if stored == verdict:
                item.status = "duplicate"
            else:
                item.reject("conflicts_with_stored", "holder_name")
            continue
        line.checks = {**line.checks, "card_holder": verdict}
        checked[line.pk] = line
    PayrollLine.objects.bulk_update(checked.values(), ["checks"])
    changed(Payroll.objects.filter(pk__in={line.payroll_id for line in checked.values()}))


VERIFICATIONS = BatchKindSpec(BatchKind.BANK_CARD_VERIFICATIONS, parser(Verification, _fill_verification), _prepare_verifications,
                              _store_verifications)


def post_verifications(*, client: ApiClient, body: bytes) -> dict:
    bank_of(client)
    return apply_batch(client=client, body=body, spec=VERIFICATIONS)
