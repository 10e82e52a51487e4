"""Domain events: a write service calls `emit` inside its transaction; after the commit, each subscriber (the
alert engine today; credit, complaints and statistics later) gets the events of that transaction, coalesced
into one call per event name with the projects and periods they touched. Producers import this module only,
never their consumers (a consumer subscribes in its `AppConfig.ready`).

`suppressed()` drops events (the simulator uses it while it delivers months of data at once) and `dispatch`
runs the subscribers of an event at once, in this process (the simulator does so at its own simulated moments;
`SWEEP` asks every subscriber to judge everything again, as a replay of all the events would).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Callable

from django.db import transaction

PAYROLL_CHANGED = "payroll.changed"          # built, adjusted, submitted, confirmed, results posted
ATTENDANCE_INGESTED = "attendance.ingested"
ACCOUNT_BOOKED = "account.transaction_booked"
ACCOUNT_OPENED = "account.opened"
DEPOSIT_CHANGED = "deposit.changed"
ALERT_CHANGED = "alert.changed"              # raised, closed, escalated (credit listens: ratings, proposals)
CREDIT_CHANGED = "credit.changed"            # a credit record proposed, decided, published, removed or repaired
REGISTRY_CHANGED = "registry.changed"        # a project filed or onboarded, a roster entry or exit, a contract, an ID card read
COMPLAINT_CHANGED = "complaint.changed"      # a complaint filed or a step of its handling
PROGRESS_RECORDED = "accounts.progress_recorded"  # a month's progress payment (what labour cost the owner owes)
DATA_RECEIVED = "data.received"              # a batch's records counted per project, whatever their verdict
SWEEP = "platform.sweep"                     # everything judged again (only ever dispatched, never emitted)

Subscriber = Callable[..., object]  # (event, project ids, periods, *, now: bool): now = run it here, not queued
_subscribers: list[Subscriber] = []
_state = threading.local()


def subscribe(subscriber: Subscriber) -> None:
    """Called once per event name after each commit that emitted it (idempotent per subscriber)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def emit(event: str, *, project_ids=(), periods=()) -> None:
    """An event names the projects its write touched; one that touched none (a batch all refused or duplicate)
    is nothing to judge, and is dropped (to its subscribers no project would mean every project)."""
    if getattr(_state, "suppressed", 0) or not project_ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _run({event: (set(project_ids), set(periods))})
        return
    batch = getattr(_state, "batch", None)
    if batch is None or batch.done or not any(entry[1] is batch.callback for entry in connection.run_on_commit):
        batch = _state.batch = _Batch()  # the first event of this transaction (or the last one rolled back)
        transaction.on_commit(batch.callback)
    projects, months = batch.events.setdefault(event, (set(), set()))
    projects.update(project_ids)
    months.update(periods)


class _Batch:
    """The events of one transaction, run once after its commit."""

    def __init__(self):
        self.events: dict[str, tuple[set, set]] = {}
        self.done = False
        self.callback = self.flush  # one bound method, so that it can be found among the pending callbacks

    def flush(self) -> None:
        self.done = True
        _run(self.events)


def _run(events: dict[str, tuple[set, set]]) -> None:
    for event, (projects, months) in events.items():
        for subscriber in _subscribers:
            subscriber(event, sorted(projects), sorted(months), now=False)


def dispatch(event: str, *, project_ids=(), periods=()) -> list:
    """Run the subscribers of `event` now, in this process and at this moment (no commit to wait for, nothing
    queued), whether or not events are suppressed; returns what each subscriber returned."""
    return [subscriber(event, sorted(project_ids), sorted(periods), now=True) for subscriber in _subscribers]


def is_suppressed() -> bool:
    return bool(getattr(_state, "suppressed", 0))


@contextlib.contextmanager
def suppressed():
    _state.suppressed = getattr(_state, "suppressed", 0) + 1
    try:
        yield
    finally:
        _state.suppressed -= 1
