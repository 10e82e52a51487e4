"""The platform's notion of "now" for data-timeliness rules (late punches, clock skew, day boundaries).

Production reads the real clock. The simulator replays a province's history as it would have happened
(each day's punches delivered that evening), so it runs the same code under `travel(at)`; nothing else does.
A context variable keeps the override to the simulator's own thread.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime

from django.utils import timezone

_override: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar("wageguard_clock", default=None)


def now() -> datetime.datetime:
    return _override.get() or timezone.now()


def localdate() -> datetime.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def travel(to: datetime.datetime):
    if timezone.is_naive(to):
        raise ValueError("travel() needs an aware datetime")
    token = _override.set(to)
    try:
        yield
    finally:
        _override.reset(token)
