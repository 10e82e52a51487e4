"""`service`: every write path is one transaction, without a savepoint per nested call.

A service called at the top (from a view, an API handler, a task, a test) opens a transaction
(a savepoint only if the caller already holds one). A service called *inside another service*
joins that transaction without a savepoint: PostgreSQL keeps only 64 subtransactions per
transaction in its cache, and bulk paths (imports, the simulator) that nest thousands of service
calls became several times slower past that. If a nested service raises, the whole outer
transaction is marked for rollback, so a caller can never keep half of a failed change.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools

from django.db import transaction

_inside_service = contextvars.ContextVar("wageguard_inside_service", default=False)


@contextlib.contextmanager
def service_transaction():
    if _inside_service.get():
        try:
            yield
        except BaseException:
            transaction.set_rollback(True)
            raise
        return
    token = _inside_service.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _inside_service.reset(token)


def service(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with service_transaction():
            return fn(*args, **kwargs)

    return wrapper
