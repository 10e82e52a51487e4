"""Attendance batches from site gates: validate, store idempotently, roll up days — in one transaction.

The answer lists a verdict for every record in the order sent. See docs/api.md, "Attendance batches".
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from wageguard.core import events
from wageguard.core.errors import ServiceError
from wageguard.core.events import ATTENDANCE_INGESTED
from wageguard.core.pii import blind_index, mask
from wageguard.exchange.batches import BatchKindSpec, Item, apply_batch
from wageguard.exchange.models import ApiClient, BatchKind, IngestionBatch
from wageguard.exchange.scope import client_projects
from wageguard.registry.models import Employment, Project, Worker
from wageguard.registry.validators import validate_id_number

from .models import MANUAL_METHODS, AttendanceDay, AttendanceRecord, BatchProjectCount, Direction, GateDevice, IngestionRejection, Method

MAX_RECORDS = 5000
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
LATE_AFTER = datetime.timedelta(days=1)
INSERT_CHUNK = 1000
DIRECTIONS = frozenset(Direction.values)
METHODS = frozenset(Method.values)
STRING_LIMITS = {"client_record_id": 64, "device_id": 64, "face_hash": 128, "card_hash": 128}


@dataclass
class Punch(Item):
    id_number: str = ""
    project_code: str = ""
    device_id: str = ""
    occurred_at: datetime.datetime | None = None
    direction: str = ""
    method: str = ""
    face_hash: str = ""
    card_hash: str = ""
    liveness_score: float | None = None
    worker_id: int | None = None
    project_id: int | None = None
    day: datetime.date | None = None


# ---------------------------------------------------------------- parsing (no database)


def _checked_id_number(value: str, checked: dict[str, str | None]) -> str | None:
    if value not in checked:
        try:
            checked[value] = validate_id_number(value)
        except ServiceError:
            checked[value] = None
    return checked[value]


def _parse_record(index: int, record_id: str, record: dict, checked_ids: dict[str, str | None]) -> Punch:
    """One punch, checked without the database; `checked_ids` memoises ID checks within the batch."""
    punch = Punch(index, record_id)
    for name in ("id_number", "project_code", "device_id"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            punch.reject("required", name)
            return punch
        setattr(punch, name, value.strip())
    for name in ("face_hash", "card_hash"):
        value = record.get(name) or ""
        if not isinstance(value, str):
            punch.reject("invalid_value", name)
            return punch
        setattr(punch, name, value.strip())
    for name, limit in STRING_LIMITS.items():
        if len(getattr(punch, name, "") or "") > limit:
            punch.reject("too_long", name)
            return punch
    number = _checked_id_number(punch.id_number, checked_ids)
    if number is None:
        punch.reject("invalid_id_number", "id_number")
        return punch
    punch.id_number = number
    occurred = record.get("occurred_at")
    try:
        punch.occurred_at = datetime.datetime.fromisoformat(occurred) if isinstance(occurred, str) else None
    except ValueError:
        punch.occurred_at = None
    if punch.occurred_at is None or punch.occurred_at.tzinfo is None:
        punch.occurred_at = None  # a time without its offset means nothing: keep none
        punch.reject("invalid_datetime", "occurred_at")
        return punch
    punch.direction = record.get("direction", Direction.UNKNOWN)
    if punch.direction not in DIRECTIONS:
        punch.reject("invalid_choice", "direction")
        return punch
    punch.method = record.get("method")
    if punch.method not in METHODS:
        punch.reject("invalid_choice", "method")
        return punch
    score = record.get("liveness_score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float, Decimal)) or not 0 <= score <= 1:
            punch.reject("invalid_value", "liveness_score")
            return punch
        punch.liveness_score = float(score)
    return punch


# ---------------------------------------------------------------- the service


def ingest_batch(*, client: ApiClient, body: bytes) -> dict:
    """Apply one attendance batch (see `exchange.batches`) and return its answer."""
    return apply_batch(client=client, body=body, spec=ATTENDANCE)


def _resolve(client: ApiClient, punches: list[Punch], now) -> None:
    """Projects (in the sender's scope), workers, employments, clock checks — a few queries per batch."""
    live = [p for p in punches if p.status == "accepted"]
    codes = {p.project_code for p in live}
    projects = dict(client_projects(client).filter(code__in=codes).values_list("code", "id"))
    outside = codes - set(projects)
    if outside:
        known = set(Project.objects.filter(code__in=outside).values_list("code", flat=True))
        if known:
            first = next(p for p in live if p.project_code in known)
            raise ServiceError("out_of_scope", f"project {first.project_code} is outside this client's scope",
                               f"records[{first.index}].project_code", status=403)
    indexes = {number: blind_index(number) for number in {p.id_number for p in live}}
    workers = dict(Worker.objects.filter(id_number_index__in=set(indexes.values())).values_list("id_number_index", "id"))
    tz = timezone.get_default_timezone()
    for p in live:
        p.project_id = projects.get(p.project_code)
        if p.project_id is None:
            p.reject("unknown_project", "project_code")
            continue
        if p.occurred_at - now > FUTURE_TOLERANCE:
            p.reject("clock_drift", "occurred_at")
            continue
        p.worker_id = workers.get(indexes[p.id_number])
        p.day = p.occurred_at.astimezone(tz).date()
        p.is_late = now - p.occurred_at > LATE_AFTER
    live = [p for p in live if p.status == "accepted"]
    spans = defaultdict(list)
    for worker_id, project_id, entered, exited in Employment.objects.filter(
        worker_id__in={p.worker_id for p in live if p.worker_id}, project_id__in={p.project_id for p in live}
    ).values_list("worker_id", "project_id", "entered_on", "exited_on"):
        spans[(worker_id, project_id)].append((entered, exited))
    for p in live:
        if p.worker_id is None or not any(
            entered <= p.day and (exited is None or p.day <= exited) for entered, exited in spans[(p.worker_id, p.project_id)]
        ):
            p.reject("not_registered", "id_number")


def _lock_workers(worker_ids: set[int]) -> None:
    """Serialise concurrent batches touching the same workers (sorted: no deadlock)."""
    if connection.vendor == "postgresql" and worker_ids:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7001, w) FROM unnest(%s::int[]) AS w ORDER BY w", [sorted(worker_ids)])


COLUMNS = ("worker_id", "project_id", "device_id", "occurred_at", "day", "direction", "method", "face_hash", "card_hash",
           "liveness_score", "received_at", "is_late", "sender_id", "batch_id", "client_record_id")


def _store(client, batch: IngestionBatch, punches: list[Punch], now) -> None:
    _lock_workers({p.worker_id for p in punches})
    ordered = sorted(punches, key=lambda p: (p.worker_id, p.device_id, p.occurred_at))
    rows = [(p.worker_id, p.project_id, p.device_id, p.occurred_at, p.day, p.direction, p.method, p.face_hash, p.card_hash,
             p.liveness_score, now, p.is_late, client.pk, batch.pk, p.client_record_id) for p in ordered]
    insert = _insert_postgresql if connection.vendor == "postgresql" else _insert_portable
    inserted = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        inserted |= insert(rows[start:start + INSERT_CHUNK])
    for p in punches:
        if p.client_record_id not in inserted:
            p.status = "duplicate"
    fresh = [p for p in punches if p.status == "accepted"]
    roll_up_days({(p.worker_id, p.project_id, p.day) for p in fresh})
    _touch_devices(client, fresh, now)
    events.emit(ATTENDANCE_INGESTED, project_ids={p.project_id for p in fresh}, periods={f"{p.day:%Y-%m}" for p in fresh})


TABLE = AttendanceRecord._meta.db_table
ON_CONFLICT = "ON CONFLICT (worker_id, device_id, occurred_at) DO NOTHING RETURNING client_record_id"
# PostgreSQL types of COLUMNS, for passing each column as one array (15 parameters, whatever the batch size).
PG_TYPES = ("bigint", "bigint", "varchar", "timestamptz", "date", "varchar", "varchar", "varchar", "varchar", "float8",
            "timestamptz", "boolean", "bigint", "bigint", "varchar")


def _binary_cursor():
    """A server-side-binding psycopg cursor on Django's connection (same transaction): parameters travel in
    binary instead of being rendered into the SQL text, which for arrays of thousands of values is most of
    the cost. Used only for the two bulk statements of a batch."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _insert_postgresql(rows: list[tuple]) -> set[str]:
    """One statement with one array per column: 15 parameters whatever the batch size."""
    arrays = [list(column) for column in zip(*rows)]
    unnest = ", ".join(f"%b::{t}[]" for t in PG_TYPES)
    with _binary_cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT * FROM unnest({unnest}) {ON_CONFLICT}", arrays)
        return {row[0] for row in cursor.fetchall()}


def _insert_portable(rows: list[tuple]) -> set[str]:
    ops = connection.ops
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    params = []
    for row in rows:
        params.extend(row[:3] + (ops.adapt_datetimefield_value(row[3]), ops.adapt_datefield_value(row[4])) + row[5:10]
                      + (ops.adapt_datetimefield_value(row[10]),) + row[11:])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([placeholders] * len(rows))} {ON_CONFLICT}", params)
        return {row[0] for row in cursor.fetchall()}


DAY_FIELDS = ["first_in", "last_out", "last_punch_at", "last_direction", "punches", "methods", "has_manual"]

# The same recomputation as `day_from_punches`, set-based: one statement for the whole batch. Ties on
# occurred_at break as Python's tuple sort does (direction, then method, by code point: COLLATE "C").
ROLL_UP_SQL = f"""
WITH keys AS (SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::date[]) AS k(worker_id, project_id, day))
INSERT INTO {AttendanceDay._meta.db_table} (worker_id, project_id, day, {", ".join(DAY_FIELDS)})
SELECT r.worker_id, r.project_id, r.day,
       min(r.occurred_at) FILTER (WHERE r.direction <> 'out'),
       max(r.occurred_at) FILTER (WHERE r.direction <> 'in'),
       max(r.occurred_at),
       (array_agg(r.direction ORDER BY r.occurred_at DESC, r.direction COLLATE "C" DESC, r.method COLLATE "C" DESC))[1],
       count(*),
       string_agg(DISTINCT r.method, ',' ORDER BY r.method),  -- lowercase ASCII: every collation sorts it alike
       bool_or(r.method IN ({", ".join(f"'{m}'" for m in MANUAL_METHODS)}))
FROM {TABLE} r JOIN keys k ON r.worker_id = k.worker_id AND r.project_id = k.project_id AND r.day = k.day
WHERE r.occurred_at >= %b AND r.occurred_at < %b
GROUP BY r.worker_id, r.project_id, r.day
ON CONFLICT (worker_id, project_id, day) DO UPDATE SET {", ".join(f"{f} = EXCLUDED.{f}" for f in DAY_FIELDS)}
"""


def roll_up_days(keys: set[tuple[int, int, datetime.date]]) -> None:
    """Recompute each (worker, project, day) from its raw punches: right whatever the arrival order."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        ordered = sorted(keys)
        days = [k[2] for k in ordered]
        # A local day lies within one UTC day either side: bounds that let PostgreSQL skip other months' partitions.
        low = datetime.datetime.combine(min(days) - datetime.timedelta(days=1), datetime.time(), datetime.timezone.utc)
        high = datetime.datetime.combine(max(days) + datetime.timedelta(days=2), datetime.time(), datetime.timezone.utc)
        with _binary_cursor() as cursor:
            cursor.execute(ROLL_UP_SQL, [[k[0] for k in ordered], [k[1] for k in ordered], days, low, high])
        return
    _roll_up_portable(keys)


def _roll_up_portable(keys: set[tuple[int, int, datetime.date]]) -> None:
    """SQLite: read the touched days' punches and write the recomputed days, in plain SQL (the ORM's
    per-value conversion dominated). Django's SQLite converters hand back dates and naive UTC datetimes;
    `str()` turns them back into the exact text Django stores."""
    workers = sorted({k[0] for k in keys})
    days = sorted({k[2].isoformat() for k in keys})
    punches = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT worker_id, project_id, day, occurred_at, direction, method FROM {TABLE} "
            f"WHERE worker_id IN ({', '.join(['%s'] * len(workers))}) AND day IN ({', '.join(['%s'] * len(days))})",
            workers + days,
        )
        for worker_id, project_id, day, occurred_at, direction, method in cursor.fetchall():
            if (worker_id, project_id, day) in keys:
                punches[(worker_id, project_id, day)].append((occurred_at, direction, method))
        rows = [[None if value is None else str(value) if isinstance(value, datetime.date) else value
                 for value in (getattr(d, f) for f in ("worker_id", "project_id", "day", *DAY_FIELDS))]
                for d in (day_from_punches(key, items) for key, items in punches.items())]
        columns = ("worker_id", "project_id", "day", *DAY_FIELDS)
        cursor.executemany(
            f"INSERT INTO {AttendanceDay._meta.db_table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT (worker_id, project_id, day) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in DAY_FIELDS)}",
            rows,
        )


def day_from_punches(key, items) -> AttendanceDay:
    worker_id, project_id, day = key
    items = sorted(items)
    ins = [t for t, direction, _m in items if direction != Direction.OUT]
    outs = [t for t, direction, _m in items if direction != Direction.IN]
    methods = sorted({m for _t, _d, m in items})
    return AttendanceDay(
        worker_id=worker_id, project_id=project_id, day=day, first_in=ins[0] if ins else None,
        last_out=outs[-1] if outs else None, last_punch_at=items[-1][0], last_direction=items[-1][1],
        punches=len(items), methods=",".join(methods), has_manual=any(m in MANUAL_METHODS for m in methods),
    )


def _touch_devices(client, punches: list[Punch], now) -> None:
    latest: dict[tuple[int, str], datetime.datetime] = {}
    for p in punches:
        key = (p.project_id, p.device_id)
        latest[key] = max(latest.get(key, p.occurred_at), p.occurred_at)
    if not latest:
        return
    existing = {
        (d.project_id, d.device_id): d
        for d in GateDevice.objects.select_for_update().filter(
            project_id__in={k[0] for k in latest}, device_id__in={k[1] for k in latest}
        ).order_by("project_id", "device_id")
    }
    devices = []
    for (project_id, device_id), at in sorted(latest.items()):
        known = existing.get((project_id, device_id))
        devices.append(GateDevice(project_id=project_id, device_id=device_id, sender=client, last_received_at=now,
                                  last_punch_at=max(at, known.last_punch_at) if known else at))
    GateDevice.objects.bulk_create(devices, update_conflicts=True, unique_fields=["project", "device_id"],
                                   update_fields=["sender", "last_punch_at", "last_received_at"])


def _log(batch: IngestionBatch, punches: list[Punch], culprits: list[Punch]) -> None:
    """Rejected punches kept for officials, and the batch's verdicts counted per project (data scope)."""
    IngestionRejection.objects.bulk_create([
        IngestionRejection(batch=batch, client_record_id=p.client_record_id, reason=p.reason, field=p.field or "",
                           project_id=p.project_id, worker_id=p.worker_id, occurred_at=p.occurred_at,
                           id_number_masked=mask(p.id_number) if p.id_number else "")
        for p in culprits
    ])
    per_project: dict[int, dict[str, int]] = defaultdict(lambda: {"accepted": 0, "duplicate": 0, "rejected": 0, "late": 0})
    for p in punches:
        if p.project_id is not None:
            counts_of = per_project[p.project_id]
            counts_of[p.status] += 1
            counts_of["late"] += p.status == "accepted" and p.is_late
    BatchProjectCount.objects.bulk_create([BatchProjectCount(batch=batch, project_id=project_id, received_at=batch.received_at, **c)
                                           for project_id, c in sorted(per_project.items())])
    events.emit(events.DATA_RECEIVED, project_ids=set(per_project))  # a batch all refused is counted too


ATTENDANCE = BatchKindSpec(kind=BatchKind.ATTENDANCE, parse_record=_parse_record, prepare=_resolve, store=_store, log=_log,
                           max_records=MAX_RECORDS)
