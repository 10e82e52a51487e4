"""Text messages (one-time sign-in codes), through a pluggable sender: `WAGEGUARD_SMS_SENDER` names a class with
`send(phone, text)`. The default writes to the log (the demo also shows the code on screen); `HttpSender` posts to
a provider's HTTP API (`WAGEGUARD_SMS_URL`, `WAGEGUARD_SMS_KEY`), the shape most Chinese SMS gateways accept."""
from __future__ import annotations

import json
import re
import logging
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("wageguard.sms")


class LogSender:
    """Development only (settings refuse it in production): the log, with any code in the text masked."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s******%s: %s", phone[:3], phone[-2:], re.sub(r"\d{4,}", "******", text))


class HttpSender:
    """POST {"phone", "content"} as JSON with the key in `Authorization`; any answer but 2xx is an error."""

    timeout = 5

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "content": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(settings.WAGEGUARD_SMS_URL, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.WAGEGUARD_SMS_KEY}"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the configured provider
            if not 200 <= response.status < 300:
                raise OSError(f"SMS provider answered {response.status}")


def sender():
    return import_string(settings.WAGEGUARD_SMS_SENDER)()
