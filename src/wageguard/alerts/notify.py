"""Notifications: the in-app inbox is the alert list itself; SMS and e-mail go through pluggable senders.

`settings.WAGEGUARD_ALERT_SENDERS` lists dotted paths of classes with `send(recipients, subject, body)`; the
default writes to the log, so that nothing is sent anywhere by accident. A failing sender is logged and
never breaks the transaction that raised the alert (notifications run after its commit).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .catalogue import RULES

log = logging.getLogger("wageguard.alerts.notify")


class LogSender:
    def send(self, recipients: list[str], subject: str, body: str) -> None:
        log.info("alert notification to %s: %s — %s", ", ".join(recipients) or "(no one)", subject, body)


def senders() -> list:
    return [import_string(path.strip())() for path in settings.WAGEGUARD_ALERT_SENDERS]


def _recipients(alert) -> list[str]:
    return [u.username for u in alert.department.users.filter(is_active=True).order_by("username")]


def _send(alert, subject: str) -> None:
    rule = RULES.get(alert.rule)
    body = f"{rule.name if rule else alert.rule} · {alert.project or alert.facts.get('sender', '')} · {alert.period}"
    for sender in senders():
        try:
            sender.send(_recipients(alert), subject, body)
        except Exception:  # a broken SMS gateway must not stop the others
            log.exception("alert notification failed (%s)", type(sender).__name__)


def alert_raised(alert) -> None:
    _send(alert, _("New alert"))


def alert_escalated(alert) -> None:
    _send(alert, _("Alert escalated to you"))
