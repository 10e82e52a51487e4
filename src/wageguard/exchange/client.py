"""A small Python client that signs requests to the wageguard machine API (standard library only).

    from wageguard.exchange.client import Client
    client = Client("https://wageguard.example", key_id="wg_…", secret="…")
    answer = client.post_json("/api/v1/attendance/batches", {"batch_id": "…", "records": [...]})

`Client.headers()` returns the four signature headers for any request, for use with another HTTP library.
"""
from __future__ import annotations

import http.client
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import signing


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class HTTPTransport:
    """Sends over HTTP(S), keeping one connection alive; reconnects once if the server closed it."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        self.base = urlsplit(base_url)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.base.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.base.hostname, self.base.port, timeout=self.timeout)
        return self._conn

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Response:
        conn = self._connection()
        try:
            conn.request(method, url, body=body or None, headers=headers)
            reply = conn.getresponse()
            return Response(reply.status, reply.read())
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            raise RetryableError from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class RetryableError(Exception):
    """The connection dropped before an answer: the request may be sent again (batches are idempotent)."""


class Client:
    """Signs each request; `transport` carries it (HTTP by default; anything with `send` and `close`)."""

    def __init__(self, base_url: str, key_id: str, secret: str, timeout: float = 60.0, clock=time.time, transport=None):
        self.key_id = key_id
        self.secret = secret
        self.clock = clock
        self.transport = transport or HTTPTransport(base_url, timeout)

    def headers(self, method: str, path: str, query: str = "", body: bytes = b"", *, timestamp: int | None = None,
                nonce: str | None = None) -> dict[str, str]:
        timestamp_text = str(int(self.clock()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        return {
            signing.HEADER_KEY: self.key_id,
            signing.HEADER_TIMESTAMP: timestamp_text,
            signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: signing.sign(self.secret, method, path, query, timestamp_text, nonce, body),
        }

    def request(self, method: str, path: str, query: str = "", body: bytes = b"", content_type: str = "application/json") -> Response:
        url = path + (f"?{query}" if query else "")
        for attempt in range(2):  # one retry when a kept-alive connection was closed by the server
            headers = self.headers(method, path, query, body)  # a fresh nonce for each attempt
            if body:
                headers["Content-Type"] = content_type
            try:
                return self.transport.send(method, url, body, headers)
            except RetryableError:
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def get(self, path: str, query: str = "") -> Response:
        return self.request("GET", path, query)

    def post_json(self, path: str, payload: Any) -> Response:
        return self.request("POST", path, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def close(self) -> None:
        self.transport.close()
