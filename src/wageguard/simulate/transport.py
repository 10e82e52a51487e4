"""Carries signed requests straight into this process's Django application, without a server.

The simulator's punches go through the same middleware, signature check, API and services as a gate
vendor's; only the socket is skipped (the demo generates its province before any server runs). The bench
uses the real HTTP transport against gunicorn instead.
"""
from __future__ import annotations

import io

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from wageguard.core.middleware import IN_PROCESS
from wageguard.exchange.client import Response


class InProcessTransport:
    def __init__(self, host: str = "localhost"):
        self.app = WSGIHandler()
        self.host = host

    def send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Response:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
            "SERVER_NAME": self.host, "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": self.host,
            # Months of senders' deliveries replayed in seconds: not rate-limited (no HTTP client can set this key).
            IN_PROCESS: True,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        status: list[str] = []
        # Like Django's test client: the caller's database connection must survive the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, lambda s, h, exc_info=None: status.append(s))
            try:
                content = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return Response(int(status[0].split()[0]), content)

    def close(self) -> None:
        pass
