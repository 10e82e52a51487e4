"""The platform's one clock: every read of "now" or "today" goes through here.

Production reads the real clock. Two overrides exist, both for runs set at another moment:
- `travel(at)`: this thread only, for a block (the simulator replays a province's history as it would have
  happened, each day's punches delivered that evening);
- the process's moment (`WAGEGUARD_CLOCK=YYYY-MM-DD[THH:MM]`, or `set_moment` from `--today`): the whole
  process starts at that moment and runs on from it in real time (a demo or a bench "on 29 February 2028").
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime
import os

from django.utils import timezone

_override: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar("wageguard_clock", default=None)
_offset = datetime.timedelta(0)


def parse_moment(text: str) -> datetime.datetime:
    """`YYYY-MM-DD` (that day at 20:30, after the day's deliveries) or `YYYY-MM-DDTHH:MM`, Asia/Shanghai."""
    text = text.strip()
    try:
        moment = datetime.datetime.fromisoformat(text) if "T" in text else datetime.datetime.combine(
            datetime.date.fromisoformat(text), datetime.time(20, 30))
    except ValueError:
        raise ValueError(f"not a moment: {text!r} (write YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def set_moment(moment: datetime.datetime | None) -> None:
    """The whole process runs from `moment` on (None: the real clock again)."""
    global _offset
    _offset = (moment - timezone.now()) if moment is not None else datetime.timedelta(0)


def now() -> datetime.datetime:
    return _override.get() or (timezone.now() + _offset)


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


if os.environ.get("WAGEGUARD_CLOCK"):
    set_moment(parse_moment(os.environ["WAGEGUARD_CLOCK"]))
