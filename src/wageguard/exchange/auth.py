"""Server side of the signature: who is calling, refused with 401 and a reason code otherwise."""
from __future__ import annotations

import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from ninja.security import APIKeyHeader

from wageguard.core import clock
from wageguard.core.errors import ServiceError

from . import signing
from .models import ApiClient, ApiNonce

NONCE_RE = re.compile(r"[A-Za-z0-9_\-]{%d,%d}" % (signing.NONCE_MIN, signing.NONCE_MAX))


class Unauthorized(ServiceError):
    status = 401

    def __init__(self, code: str, detail: str, field: str | None = None):
        super().__init__(code, detail, field)


def _header(request, name: str) -> str:
    value = request.headers.get(name, "")
    if not value:
        raise Unauthorized("missing_header", f"header {name} is required", name)
    return value


def authenticate(request) -> ApiClient:
    key_id = _header(request, signing.HEADER_KEY)
    timestamp = _header(request, signing.HEADER_TIMESTAMP)
    nonce = _header(request, signing.HEADER_NONCE)
    given = _header(request, signing.HEADER_SIGNATURE)
    client = ApiClient.objects.filter(key_id=key_id).first()
    if client is None:
        raise Unauthorized("unknown_key", "no client with this key id", signing.HEADER_KEY)
    raw_query = request.META.get("QUERY_STRING", "")
    expected = signing.sign(client.secret, request.method, request.path, raw_query, timestamp, nonce, request.body)
    if not signing.signature_matches(expected, given):
        raise Unauthorized("bad_signature", "the signature does not match the request", signing.HEADER_SIGNATURE)
    if not client.active:
        raise Unauthorized("client_disabled", "this client has been disabled", signing.HEADER_KEY)
    if not timestamp.isdigit() or abs(int(timestamp) - clock.now().timestamp()) > signing.CLOCK_SKEW_SECONDS:
        raise Unauthorized("clock_skew", f"timestamp is more than {signing.CLOCK_SKEW_SECONDS} s from the server's clock",
                           signing.HEADER_TIMESTAMP)
    if not NONCE_RE.fullmatch(nonce):
        raise Unauthorized("bad_nonce", f"nonce must be {signing.NONCE_MIN}-{signing.NONCE_MAX} letters, digits, - or _",
                           signing.HEADER_NONCE)
    try:
        with transaction.atomic():
            ApiNonce.objects.create(client=client, nonce=nonce, seen_at=clock.now())
    except IntegrityError:
        raise Unauthorized("nonce_reused", "this nonce was already used", signing.HEADER_NONCE)
    request.api_client = client
    return client


def sweep_nonces() -> int:
    cutoff = clock.now() - timedelta(seconds=2 * signing.CLOCK_SKEW_SECONDS)
    deleted, _ = ApiNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


class SignedRequest(APIKeyHeader):
    """ninja auth: a signed machine request (401 with a reason code otherwise); named in the OpenAPI document
    by its key header (the signature headers are described in docs/api.md)."""

    param_name = signing.HEADER_KEY

    def authenticate(self, request, key) -> ApiClient:
        return authenticate(request)


class SignedIfPresent(SignedRequest):
    """For endpoints shared with signed-in people: a signed request only when it carries a key."""

    def authenticate(self, request, key) -> ApiClient | None:
        return authenticate(request) if key else None


signed = SignedRequest()
signed_if_present = SignedIfPresent()
