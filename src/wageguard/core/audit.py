"""The hash-chained audit log. Every service records its change here, inside its transaction."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry
from .pii import EncryptedField, sm3_hex

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "prev": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return sm3_hex(_canonical(entry))


def snapshot(instance: models.Model | None, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe picture of a row for before/after; personal data appears masked only."""
    if instance is None:
        return None
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name.endswith("_index") or isinstance(field, models.FileField):
            value = getattr(instance, field.attname)
            data[field.name] = str(value) if value else None
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedField):
            value = field.masker(value) if value else value
        data[field.name] = value if isinstance(value, (int, float, bool, str, type(None))) else str(value)
    return data


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = _entry(actor, head.last_hash, action=action, obj=obj, object_type=object_type, object_id=object_id,
                       before=before, after=after, reason=reason)
        entry.save()
        head.last_hash = entry.hash
        head.save(update_fields=["last_hash"])
    return entry


def record_many(*, actor, entries: list[dict]) -> list[AuditEntry]:
    """Append several entries (each a dict of `record`'s keyword arguments but the actor) in one go: one lock
    of the chain head and one insert, however many entries. Must run inside the caller's transaction."""
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        previous, rows = head.last_hash, []
        for item in entries:
            entry = _entry(actor, previous, **item)
            rows.append(entry)
            previous = entry.hash
        AuditEntry.objects.bulk_create(rows)
        head.last_hash = previous
        head.save(update_fields=["last_hash"])
    return rows


def _entry(actor, prev_hash: str, *, action: str, obj: models.Model | None = None, object_type: str = "", object_id: str = "",
           before: dict | None = None, after: dict | None = None, reason: str = "") -> AuditEntry:
    """An unsaved entry linked to `prev_hash`, hashed over exactly what the database will return."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(getattr(actor, "username", "") or str(actor or "system"))[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        prev_hash=prev_hash,
    )
    # Round-trip through JSON so the hash is over exactly what the database will return.
    entry.before = json.loads(json.dumps(before, default=str)) if before is not None else None
    entry.after = json.loads(json.dumps(after, default=str)) if after is not None else None
    entry.hash = entry_hash(entry)
    return entry


@dataclass
class VerifyResult:
    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain() -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
    previous = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            return VerifyResult(checked, entry.pk, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry) != entry.hash:
            return VerifyResult(checked, entry.pk, "content does not match its hash (entry altered)")
        previous = entry.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.last_hash != previous:
        return VerifyResult(checked, None, "the chain head does not match the last entry (entries removed at the end)")
    return VerifyResult(checked)
