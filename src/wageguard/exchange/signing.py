"""The request signature shared by the server and every client (docs/api.md, "Signing").

    canonical = METHOD \n PATH \n SORTED_QUERY \n TIMESTAMP \n NONCE \n HEX_SM3(BODY)
    X-WG-Signature = lowercase hex HMAC-SM3(secret as UTF-8, canonical as UTF-8)

SORTED_QUERY: the raw query string's `key=value` pairs exactly as sent (percent-encoding kept),
sorted, joined with `&`; empty when there is none. BODY: the raw request bytes (empty for GET).
This module has no Django import so that vendors can copy it alongside `client.py`.
"""
from __future__ import annotations

import hmac as std_hmac

from cryptography.hazmat.primitives import hashes, hmac

HEADER_KEY = "X-WG-Key"
HEADER_TIMESTAMP = "X-WG-Timestamp"
HEADER_NONCE = "X-WG-Nonce"
HEADER_SIGNATURE = "X-WG-Signature"
CLOCK_SKEW_SECONDS = 300
NONCE_MIN, NONCE_MAX = 16, 64


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def sorted_query(raw_query: str) -> str:
    return "&".join(sorted(part for part in (raw_query or "").split("&") if part))


def canonical(method: str, path: str, raw_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, sorted_query(raw_query), timestamp, nonce, sm3_hex(body or b"")])


def sign(secret: str, method: str, path: str, raw_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode("utf-8"), hashes.SM3())
    mac.update(canonical(method, path, raw_query, timestamp, nonce, body).encode("utf-8"))
    return mac.finalize().hex()


def signature_matches(expected: str, given: str) -> bool:
    return std_hmac.compare_digest(expected.encode(), (given or "").strip().lower().encode())
