"""Read scale-out: inside `replica_reads()` (the statistics pages, reports and exports), reads go to the
`replica` database alias when `WAGEGUARD_READ_DATABASE_URL` configures one; every write, and every read outside
it, goes to the primary. A replica lags the primary by a moment: only reads that tolerate that run inside."""
from __future__ import annotations

import contextlib
import functools
import threading

from django.conf import settings

REPLICA = "replica"
_state = threading.local()


@contextlib.contextmanager
def replica_reads():
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def reads_from_replica(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)
    return wrapped


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if getattr(_state, "depth", 0) and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"  # the replica follows the primary's schema by streaming replication
