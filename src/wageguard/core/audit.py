"""The audit log, a chain sealed with HMAC-SM3. Every service records its change here, inside its transaction.

Each entry's seal covers its content and the previous seal, keyed with `WAGEGUARD_AUDIT_KEY`, which lives in
the environment, never in the database: someone who can write the database can change an entry, but cannot
compute the seals that would hide it. Entries written before the chain was keyed carry plain SM3 and an empty
`key_id`; they all come first, and the first keyed entry's seal covers the last of them. A daily anchor (the
head's id and seal) is appended to a file outside the database, so that cutting entries off the end is seen too.
"""
from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from typing import Any, Iterable

from django.conf import settings
from django.db import models, transaction

from . import clock
from .models import AuditChainHead, AuditEntry
from .pii import EncryptedField, hmac_sm3, sm3_hex

GENESIS = "0" * 64


def _key_id(key: bytes) -> str:
    return sm3_hex(b"wageguard-audit-key:" + key)[:8]


def audit_keys() -> tuple[str, dict[str, bytes]]:
    """The current key's id and every known key by id (the current one and those retired)."""
    keys = [settings.AUDIT_KEY.encode()] + [k.strip().encode() for k in settings.AUDIT_KEYS_OLD]
    return _key_id(keys[0]), {_key_id(k): k for k in keys}


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
    if entry.key_id:  # entries from before the chain was keyed were hashed without it
        body["key"] = entry.key_id
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class UnknownKey(Exception):
    pass


def entry_hash(entry: AuditEntry) -> str:
    """The entry's seal: HMAC-SM3 under its key, or plain SM3 for an entry from before the chain was keyed."""
    if not entry.key_id:
        return sm3_hex(_canonical(entry))
    key = audit_keys()[1].get(entry.key_id)
    if key is None:
        raise UnknownKey(entry.key_id)
    return hmac_sm3(key, _canonical(entry)).hex()


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
        at=clock.now().astimezone(datetime.timezone.utc),  # hashed as the database gives it back: UTC
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(getattr(actor, "username", "") or str(actor or "system"))[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        prev_hash=prev_hash,
        key_id=audit_keys()[0],
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
    anchors: int = 0
    last_anchor: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


class Walk:
    """The rules a chain must keep, entry by entry: each links to the one before; each seal holds under a key this
    server has; unkeyed (legacy) entries only where allowed, and never after a keyed one or where the anchors say
    the chain was already keyed; a key never follows a newer one (a retired, perhaps leaked, key cannot seal new
    entries); an anchored entry is the one anchored."""

    def __init__(self, anchors: list[dict], previous: str = GENESIS, keyed: bool = False, rank: int | None = None):
        self.anchored = {a["entry"]: a for a in anchors}
        self.keyed_from = min((a["keyed_from"] for a in anchors if a.get("keyed_from")), default=None)
        self.ranks = {key_id: n for n, key_id in enumerate(_key_ids())}
        self.previous, self.keyed, self.rank, self.checked = previous, keyed, rank, 0

    def problem(self, entry: AuditEntry) -> str:
        if entry.prev_hash != self.previous:
            return "prev_hash does not match the previous entry's seal"
        if not entry.key_id:
            if not settings.AUDIT_LEGACY_ALLOWED:
                return "an unkeyed entry (this deployment seals every entry: entry forged or altered)"
            if self.keyed or (self.keyed_from is not None and entry.pk >= self.keyed_from):
                return "an unkeyed entry after the chain was keyed (entry forged or altered)"
        else:
            rank = self.ranks.get(entry.key_id)
            if rank is None:
                return (f"sealed with a key this server does not have ({entry.key_id!r}): the entry was altered, or a retired "
                        f"key is missing from WAGEGUARD_AUDIT_KEYS_OLD")
            if self.rank is not None and rank > self.rank:
                return "sealed with a retired key after a newer one (entry forged)"
            self.keyed, self.rank = True, rank
        if entry_hash(entry) != entry.hash:
            return "content does not match its seal (entry altered)"
        anchor = self.anchored.pop(entry.pk, None)
        if anchor is not None and (anchor["hash"], anchor.get("key_id", entry.key_id)) != (entry.hash, entry.key_id):
            return f"differs from the anchor of {anchor['at']} (history rewritten)"
        self.previous = entry.hash
        self.checked += 1
        return ""


def _key_ids() -> list[str]:
    """Key ids newest first: the current key, then the retired ones in the order they were retired."""
    keys = [settings.AUDIT_KEY.encode()] + [k.strip().encode() for k in settings.AUDIT_KEYS_OLD]
    return [_key_id(k) for k in keys]


def verify_chain() -> VerifyResult:
    """Walk the chain in order; report the first entry whose link, seal or anchor does not hold."""
    try:
        anchors = read_anchors()
    except ValueError as error:
        return VerifyResult(0, None, str(error))
    walk = Walk(anchors)
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if problem := walk.problem(entry):
            return VerifyResult(walk.checked, entry.pk, problem)
    if walk.anchored:
        missing = min(walk.anchored)
        return VerifyResult(walk.checked, missing, f"anchored entry #{missing} ({walk.anchored[missing]['at']}) is missing (entries removed)")
    head = AuditChainHead.objects.filter(pk=1).first()
    if walk.checked and (head is None or head.last_hash != walk.previous):
        return VerifyResult(walk.checked, None, "the chain head does not match the last entry (entries removed at the end)")
    last = max(anchors, key=lambda a: a["entry"]) if anchors else None
    return VerifyResult(walk.checked, anchors=len(anchors), last_anchor=last)


# ---------------------------------------------------------------- anchors outside the database


def anchor_path():
    return settings.VAR_DIR / "audit-anchors.jsonl"


def read_anchors() -> list[dict]:
    """The anchors, oldest first; `ValueError` naming the line when one is not readable (a file tampered with)."""
    path = anchor_path()
    if not path.exists():
        return []
    anchors = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                anchor = json.loads(line)
                anchor["entry"], anchor["hash"], anchor["at"] = int(anchor["entry"]), str(anchor["hash"]), str(anchor["at"])
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"the anchor file's line {number} is not an anchor (file altered)") from None
            anchors.append(anchor)
    return anchors


class AnchorRefused(Exception):
    pass


def write_anchor() -> dict | None:
    """Append the chain head (entry id, seal, key, and the first keyed entry) to the anchor file, flushed to disk —
    after checking the entries since the last anchor: a broken or shortened chain is never anchored. None for an
    empty chain."""
    anchors = read_anchors()
    last = max(anchors, key=lambda a: a["entry"]) if anchors else None
    head = AuditEntry.objects.order_by("-id").values("id", "hash", "key_id").first()
    if head is None:
        return None
    if last is not None:
        if head["id"] < last["entry"]:
            raise AnchorRefused(f"the chain ends at #{head['id']}, before the last anchor #{last['entry']} (entries removed)")
        start = AuditEntry.objects.filter(pk=last["entry"]).first()
        if start is None or start.hash != last["hash"]:
            raise AnchorRefused(f"entry #{last['entry']} no longer matches its anchor of {last['at']}")
        walk = Walk([], previous=start.hash, keyed=bool(start.key_id), rank=Walk([]).ranks.get(start.key_id))
        walk.keyed_from = min((a["keyed_from"] for a in anchors if a.get("keyed_from")), default=None)
        for entry in AuditEntry.objects.filter(pk__gt=last["entry"]).order_by("id").iterator(chunk_size=2000):
            if problem := walk.problem(entry):
                raise AnchorRefused(f"entry #{entry.pk}: {problem}")
    first_keyed = AuditEntry.objects.exclude(key_id="").order_by("id").values_list("id", flat=True).first()
    anchor = {"at": clock.now().isoformat(timespec="seconds"), "entry": head["id"], "hash": head["hash"], "key_id": head["key_id"],
              "keyed_from": first_keyed}
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(anchor) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return anchor
