"""Personal data at rest: SM4-GCM field encryption, HMAC-SM3 blind indexes, masking.

Ciphertext format: "<key version>:<base64(nonce | ciphertext | tag)>". The key version lets
old rows be read while `wageguard pii_rekey` moves them to the current key (docs/pii.md).
Encryption and blind-index keys are both derived from WAGEGUARD_FIELD_KEY with HMAC-SM3 so
that one secret is configured, yet the two uses never share a key.
"""
from __future__ import annotations

import base64
import functools
import os

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

NONCE_BYTES = 12
TAG_BYTES = 16


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _parse_master_key(value: str, name: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be hex encoded (32 hex characters, a 16-byte SM4 key).")
    if len(key) != 16:
        raise ImproperlyConfigured(f"{name} must be 16 bytes (32 hex characters); got {len(key)} bytes.")
    return key


@functools.lru_cache(maxsize=None)
def _keyring() -> tuple[str, dict[str, bytes]]:
    """Current key version and every known master key by version."""
    current_version = os.environ.get("WAGEGUARD_FIELD_KEY_VERSION", "1")
    keys = {current_version: _parse_master_key(settings.FIELD_KEY, "WAGEGUARD_FIELD_KEY")}
    for pair in filter(None, (p.strip() for p in settings.FIELD_KEYS_OLD.split(","))):
        version, _, hex_key = pair.partition(":")
        keys.setdefault(version, _parse_master_key(hex_key, "WAGEGUARD_FIELD_KEYS_OLD"))
    return current_version, keys


def check_keys() -> None:
    _keyring.cache_clear()
    _keyring()


@functools.lru_cache(maxsize=32)  # one HMAC per key and purpose, not one per field encrypted
def _subkey(master: bytes, purpose: bytes) -> bytes:
    return hmac_sm3(master, b"wageguard:" + purpose)[:16]


def _current() -> tuple[str, bytes]:
    version, keys = _keyring()
    return version, keys[version]


def encrypt(plaintext: str) -> str:
    version, master = _current()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_subkey(master, b"enc")), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return f"{version}:{base64.b64encode(nonce + body + encryptor.tag).decode()}"


def decrypt(token: str) -> str:
    version, _, payload = token.partition(":")
    keys = _keyring()[1]
    if version not in keys:
        raise ImproperlyConfigured(f"No field key for version {version!r}; set WAGEGUARD_FIELD_KEYS_OLD.")
    raw = base64.b64decode(payload)
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(_subkey(keys[version], b"enc")), modes.GCM(nonce, tag)).decryptor()
    return (decryptor.update(body) + decryptor.finalize()).decode()


def encrypt_bytes(plaintext: bytes) -> bytes:
    """A file at rest (an evidence package): b"<key version>:" + nonce | ciphertext | tag, SM4-GCM under a subkey of
    its own (files and fields never share a key)."""
    version, master = _current()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_subkey(master, b"file")), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext) + encryptor.finalize()
    return version.encode() + b":" + nonce + body + encryptor.tag


def decrypt_bytes(blob: bytes) -> bytes:
    """The plaintext of `encrypt_bytes`; a blob altered at rest fails (`cryptography`'s InvalidTag)."""
    prefix, _, raw = blob.partition(b":")
    version, keys = prefix.decode(errors="replace"), _keyring()[1]
    if version not in keys:
        raise ImproperlyConfigured(f"No field key for version {version!r}; set WAGEGUARD_FIELD_KEYS_OLD.")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(_subkey(keys[version], b"file")), modes.GCM(nonce, tag)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def key_version(token: str) -> str:
    return token.partition(":")[0]


def blind_index(value: str) -> str:
    """Keyed HMAC-SM3 of the normalised value: exact lookup and uniqueness without plaintext."""
    _, master = _current()
    return hmac_sm3(_subkey(master, b"idx"), value.encode()).hex()


def mask(value: str | None, keep_start: int = 6, keep_end: int = 4) -> str:
    """370102********1234; short values keep less so that something is always hidden."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        keep_start, keep_end = min(keep_start, len(value) // 4), min(keep_end, len(value) // 4)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_phone(value: str | None) -> str:
    return mask(value, 3, 4)


ORGANISATION_ENDS = ("公司", "集团", "银行", "分行", "支行", "中心", "局", "厅", "委员会", "合作社", "厂", "所", "院", "站", "部", "社")


def mask_name(value: str | None) -> str:
    """欧阳** for a person (the first character only); 山东******公司 for an organisation, recognisable by its ends."""
    if not value:
        return ""
    value = value.strip()
    if len(value) > 5 and value.endswith(ORGANISATION_ENDS):
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return value[0] + "*" * (len(value) - 1)


class EncryptedField(models.TextField):
    """A text field stored SM4-GCM encrypted; Python code sees plaintext."""

    def __init__(self, *args, masker=mask, **kwargs):
        self.masker = masker
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return value if not value else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertexts are randomised: equality lookups would silently never match.
        if lookup_name not in ("isnull",):
            raise TypeError(f"Encrypted field {self.name!r} only supports isnull lookups; use its blind index.")
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field, recomputed on every save (bulk_create included)."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        plaintext = getattr(model_instance, self.source)
        value = blind_index(plaintext) if plaintext else None
        setattr(model_instance, self.attname, value)
        return value


def is_ciphertext(value: str) -> bool:
    """Whether a stored value is one of our ciphertexts (it decrypts), not plain text that happens to hold a colon."""
    try:
        decrypt(value)
    except Exception:  # noqa: BLE001 - anything that does not decrypt is plain text
        return False
    return True


def encrypt_columns_in_place(schema_editor, table: str, columns: list[str], indexes: dict[str, str] | None = None) -> None:
    """For a migration that turns plain columns into encrypted ones: encrypt each stored plain value in place (raw
    SQL: the historical model would try to decrypt them) and fill the blind indexes ({column: index column})."""
    indexes = indexes or {}
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(quote(c) for c in columns)} FROM {quote(table)}")
        for pk, *values in cursor.fetchall():
            plain = {c: v for c, v in zip(columns, values) if v and not is_ciphertext(v)}
            if not plain:
                continue
            sets = {c: encrypt(v) for c, v in plain.items()} | {indexes[c]: blind_index(v) for c, v in plain.items() if c in indexes}
            cursor.execute(f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in sets)} WHERE id = %s", [*sets.values(), pk])
