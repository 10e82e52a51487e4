"""Monthly partitions of the raw punches on PostgreSQL (declarative range partitioning).

Months follow Asia/Shanghai. A DEFAULT partition catches anything outside the created range, so an
insert never fails; `attendance_partitions_ensure` (daily Huey task, and the migration) creates the
coming months ahead of time.
"""
from __future__ import annotations

import datetime

from django.db import connection

from wageguard.core import clock, months

TABLE = "attendance_attendancerecord"


def month_start(day: datetime.date, offset: int = 0) -> datetime.date:
    """The first day of the month `offset` months from the one of `day`."""
    return months.first_day(months.shift(months.of(day), offset))


def partition_name(month: datetime.date) -> str:
    return f"{TABLE}_y{month.year}m{month.month:02d}"


def existing_partitions(cursor) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [TABLE])
    return {row[0] for row in cursor.fetchall()}


def ensure(months_back: int = 12, months_ahead: int = 3, today: datetime.date | None = None) -> list[str]:
    """Create the missing monthly partitions around today; returns the names created."""
    if connection.vendor != "postgresql":
        return []
    today = today or clock.localdate()
    created = []
    with connection.cursor() as cursor:
        have = existing_partitions(cursor)
        for offset in range(-months_back, months_ahead + 1):
            start, end = month_start(today, offset), month_start(today, offset + 1)
            name = partition_name(start)
            if name in have:
                continue
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{start.isoformat()} 00:00:00+08') TO ('{end.isoformat()} 00:00:00+08')"
            )
            created.append(name)
    return created
