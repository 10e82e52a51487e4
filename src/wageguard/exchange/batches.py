"""Signed batches of records, whatever they carry (punches, bank pushes): one mechanism for all.

    {"batch_id": str, "mode": "all_or_nothing" | "partial", "records": [{"client_record_id": str, ...}, ...]}

- Every record gets a verdict (`accepted`, `duplicate`, `rejected` with a reason and a field), in the
  order sent. all_or_nothing (the default): one rejected record and nothing is stored; partial: the valid
  records are stored.
- Idempotent per sender and batch_id: the same body again returns the first answer and stores nothing;
  another body under a used batch_id is 409 `batch_id_conflict`.
- The batch row is inserted first in the transaction, so a concurrent delivery of the same batch waits on
  it and then replays its answer.

A kind of batch supplies: a record parser (no database), `prepare` (look-ups before the transaction,
rejecting what it can), `store` (writes the accepted records inside the transaction, marking repeats
`duplicate`) and optionally `log` (its own record of the outcome, same transaction).
"""
from __future__ import annotations

import json
from decimal import Decimal
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Callable, Generic, TypeVar

from wageguard.core import clock
from wageguard.core.errors import ServiceError
from wageguard.core.transactions import service_transaction

from .models import ApiClient, BatchStatus, IngestionBatch
from .signing import sm3_hex

MODES = ("all_or_nothing", "partial")


class BatchError(ServiceError):
    """The envelope itself is wrong: the whole request is refused, nothing stored."""


@dataclass
class Item:
    """One record of a batch and its verdict. Kinds of batch subclass it with their fields."""

    index: int
    client_record_id: str
    status: str = "accepted"
    reason: str | None = None
    field: str | None = None
    is_late: bool = False
    flags: list[str] = dataclass_field(default_factory=list)  # accepted, but a rule was broken (e.g. "opened_late")

    def reject(self, reason: str, field_name: str | None = None) -> None:
        if self.status != "rejected":
            self.status, self.reason, self.field = "rejected", reason, field_name

    def verdict(self) -> dict:
        answer = {"client_record_id": self.client_record_id, "status": self.status}
        if self.reason:
            answer["reason"] = self.reason
        if self.field:
            answer["field"] = self.field
        if self.flags and self.status == "accepted":
            answer["flags"] = self.flags
        return answer


T = TypeVar("T", bound=Item)


@dataclass
class Envelope(Generic[T]):
    batch_id: str
    mode: str
    items: list[T] = dataclass_field(default_factory=list)


@dataclass(frozen=True)
class BatchKindSpec(Generic[T]):
    kind: str
    parse_record: Callable[[int, str, dict, dict], T]  # (index, client_record_id, record, per-batch memo) -> item
    prepare: Callable[[ApiClient, list[T], object], None]
    store: Callable[[ApiClient, IngestionBatch, list[T], object], None]
    log: Callable[[IngestionBatch, list[T], list[T]], None] | None = None
    max_records: int = 5000


def parse_envelope(body: bytes, spec: BatchKindSpec[T]) -> Envelope[T]:
    try:
        data = json.loads(body or b"", parse_float=Decimal)  # money must stay exact: no binary floats
    except (ValueError, UnicodeDecodeError):
        raise BatchError("invalid_json", "the body is not valid JSON", "body")
    if not isinstance(data, dict):
        raise BatchError("invalid_request", "the body must be a JSON object", "body")
    batch_id = data.get("batch_id")
    if not isinstance(batch_id, str) or not 1 <= len(batch_id) <= 64:
        raise BatchError("invalid_request", "batch_id must be a string of 1-64 characters", "batch_id")
    mode = data.get("mode", "all_or_nothing")
    if mode not in MODES:
        raise BatchError("invalid_request", "mode must be all_or_nothing or partial", "mode")
    records = data.get("records")
    if not isinstance(records, list) or not records:
        raise BatchError("invalid_request", "records must be a non-empty list", "records")
    if len(records) > spec.max_records:
        raise BatchError("too_many_records", f"at most {spec.max_records} records per batch", "records")
    envelope: Envelope[T] = Envelope(batch_id, mode)
    seen_ids: set[str] = set()
    memo: dict = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise BatchError("invalid_request", "each record must be a JSON object", f"records[{index}]")
        record_id = record.get("client_record_id")
        if not isinstance(record_id, str) or not 1 <= len(record_id) <= 64:
            raise BatchError("invalid_request", "client_record_id must be a string of 1-64 characters",
                             f"records[{index}].client_record_id")
        if record_id in seen_ids:
            raise BatchError("duplicate_record_id", "client_record_id must be unique within a batch",
                             f"records[{index}].client_record_id")
        seen_ids.add(record_id)
        envelope.items.append(spec.parse_record(index, record_id, record, memo))
    return envelope


def apply_batch(*, client: ApiClient, body: bytes, spec: BatchKindSpec[T]) -> dict:
    """Apply one batch and return its answer; a repeated delivery returns the first answer."""
    envelope = parse_envelope(body, spec)
    body_sm3 = sm3_hex(body)
    previous = IngestionBatch.objects.filter(sender=client, batch_id=envelope.batch_id).first()
    if previous is not None and previous.status:
        return _replay(previous, body_sm3)
    now = clock.now()
    items = envelope.items
    spec.prepare(client, items, now)
    with service_transaction():
        batch = _claim(client, spec.kind, envelope, body_sm3, now)
        if batch.status:  # a concurrent delivery of the same batch committed first
            return _replay(batch, body_sm3)
        rejected = [item for item in items if item.status == "rejected"]
        if envelope.mode == "all_or_nothing" and rejected:
            for item in items:
                item.reject("batch_rejected")
        else:
            spec.store(client, batch, [item for item in items if item.status == "accepted"], now)
        if spec.log is not None:
            spec.log(batch, items, rejected)
        return _finish(batch, envelope, rejected)


def _replay(batch: IngestionBatch, body_sm3: str) -> dict:
    if batch.body_sm3 != body_sm3:
        raise ServiceError("batch_id_conflict", "this batch_id was already used for a different body", "batch_id", status=409)
    return batch.response


def _claim(client: ApiClient, kind: str, envelope: Envelope, body_sm3: str, now) -> IngestionBatch:
    """Insert the batch row first: a concurrent delivery of the same batch_id waits on it."""
    IngestionBatch.objects.bulk_create(
        [IngestionBatch(sender=client, kind=kind, batch_id=envelope.batch_id, body_sm3=body_sm3, mode=envelope.mode,
                        received_at=now, records=len(envelope.items))],
        ignore_conflicts=True,
    )
    return IngestionBatch.objects.get(sender=client, batch_id=envelope.batch_id)


def _finish(batch: IngestionBatch, envelope: Envelope, culprits: list[Item]) -> dict:
    items = envelope.items
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for item in items:
        counts[item.status] += 1
    counts["late"] = sum(1 for item in items if item.status == "accepted" and item.is_late)
    reasons: dict[str, int] = defaultdict(int)
    for item in culprits:
        reasons[item.reason] += 1
    if counts["rejected"] == 0:
        status = BatchStatus.APPLIED
    elif counts["accepted"] + counts["duplicate"] == 0:
        status = BatchStatus.REJECTED
    else:
        status = BatchStatus.PARTLY_APPLIED
    response = {"batch_id": envelope.batch_id, "status": status, "counts": counts, "results": [item.verdict() for item in items]}
    IngestionBatch.objects.filter(pk=batch.pk).update(
        status=status, accepted=counts["accepted"], duplicate=counts["duplicate"], rejected=counts["rejected"],
        late=counts["late"], reasons=dict(reasons), response=response,
    )
    return response
