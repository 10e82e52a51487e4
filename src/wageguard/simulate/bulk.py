"""The province at full size (`wageguard simulate --scale province`): enterprises, ~30,000 projects, ~3,000,000
workers with their ID-card readings, employments and contracts, dedicated accounts, attendance days and a year of
wage ledgers with the bank's results, written with PostgreSQL COPY into the same tables the services fill, with
the same encrypted personal data and blind indexes (core.pii). It is a load generator, not a story: no anomalies
are labelled (the simulator proper does that at demo size); the nightly jobs (alert sweep, statistics rebuild,
month-end ledgers) then run over it as they would over real data.

Rows are streamed (bounded memory), the ids assigned here (attendance days': the table's identity) and the
sequences moved past them at the end."""
from __future__ import annotations

import contextlib
import datetime
import gc
import json
import multiprocessing
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from django.db import DatabaseError, connection, connections, transaction
from stdnum import luhn
from stdnum.cn import ric

from wageguard.accounts.models import Bank
from wageguard.core import clock, months
from wageguard.core.models import Region, RegionLevel
from wageguard.core.pii import blind_index, encrypt

from . import names
from .banking import _at
from .generator import _weighted, county_codes, make_uscc

SCALES = {"province": {"projects": 30_000, "workers": 3_000_000}}


@dataclass
class BulkParams:
    projects: int
    workers: int
    months: int = 12             # months of ledgers (and of employment history)
    attendance_months: int = 12  # the last months (rolling) with attendance days: a year (288 M rows, ~45 GB at full size)
    seed: int = 1
    processes: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))  # for the workers and their attendance


@dataclass
class BulkSummary:
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, rows: dict[str, int]) -> None:
        for table, count in rows.items():
            self.rows[table] = self.rows.get(table, 0) + count


class Copier:
    """COPY rows into a table, counting them. In PostgreSQL's binary format, each value dumped as its column's type
    read from the catalogue, unless a column is numeric or jsonb: measured here, an attendance day (timestamps the
    server no longer parses) COPYs in 0.4 of the text format's time, a ledger line (psycopg dumps Decimals and JSON
    to binary in Python) in 2.5 times it. A jsonb column therefore always takes JSON text."""

    def __init__(self, summary: BulkSummary):
        self.summary = summary

    def __call__(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor
            types = _column_types(raw, table)
            binary = not any(types[column][1] in _TEXT_FASTER for column in columns)
            with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN' + (" (FORMAT BINARY)" if binary else "")) as copy:
                if binary:
                    copy.set_types([types[column][0] for column in columns])
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.summary.add({table: count})
        return count


_TEXT_FASTER = {"numeric", "jsonb"}


def _column_types(cursor, table: str) -> dict[str, tuple[int, str]]:
    cursor.execute("""SELECT a.attname, a.atttypid::int, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                      WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""", [table])
    return {name: (oid, type_name) for name, oid, type_name in cursor.fetchall()}


# What the chunks of a stage read: set before the stage, inherited by the forked processes (never sent to them).
_shared: dict = {}
WORKER_CHUNK = 50_000
ATTENDANCE_CHUNK = 100_000


def _fan_out(task: Callable, items: Iterable, processes: int) -> Iterator:
    """`task` over `items`, the results in the items' order: in this process, or in `processes` forked ones, each
    writing on a connection of its own. Within a transaction (the tests) always here: the rows written so far
    are seen by this connection only."""
    if processes <= 1 or connection.in_atomic_block or not connection.get_autocommit():
        yield from map(task, items)
        return
    connections.close_all()  # a forked process must not share the parent's socket
    gc.freeze()  # the shared rows stay on pages the children share: no collector walking (and copying) them
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            yield from pool.map(task, items)  # a child killed (out of memory) raises BrokenProcessPool, never hangs
    finally:
        gc.unfreeze()


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        return cursor.fetchone()[0]


def _reset_sequences(tables: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))")


# The tables the load fills by the million: their secondary indexes, unique and foreign-key constraints are dropped
# for the load and built again after it (one sort per index instead of millions of B-tree inserts); the primary keys
# stay (the ids are looked up with MAX(id)).
BULK_TABLES = ("registry_worker", "registry_idcardreading", "registry_employment", "registry_labourcontract",
               "attendance_attendanceday", "payroll_payroll", "payroll_payrollline", "payroll_disbursementresult")

_SECONDARY_INDEXES = """
    SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = %s::regclass AND NOT EXISTS (
        SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
    ORDER BY c.relname"""
_CONSTRAINTS = """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = %s ORDER BY conname"""


@contextlib.contextmanager
def _indexes_built_after(tables: Iterable[str], say: Callable[[str, int, int], None]):
    """Drop the tables' secondary indexes, unique and foreign-key constraints (all or none); build them again on
    the way out (unique constraints and indexes first, then the foreign keys, validated against the loaded rows),
    even when the load fails, every one of them even when one fails (the failed statements are then raised, for
    an operator to run once the cause is mended), so that the schema stays the migrations' one."""
    dropped = []  # (table, kind, name, definition)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred checks still pending would forbid dropping the foreign keys
        for kind in ("f", "u"):  # the foreign keys first: one could reference a unique constraint
            for table in tables:
                cursor.execute(_CONSTRAINTS, [table, kind])
                for name, definition in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                    dropped.append((table, kind, name, definition))
        for table in tables:
            cursor.execute(_SECONDARY_INDEXES, [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append((table, "i", name, definition))
    try:
        yield
    finally:
        order = {"u": 0, "i": 1, "f": 2}
        failed = []
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for n, (table, kind, name, definition) in enumerate(sorted(dropped, key=lambda d: order[d[1]])):
                say("indexes", n, len(dropped))
                statement = definition if kind == "i" else f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                try:
                    with transaction.atomic():
                        cursor.execute(statement)
                except DatabaseError as error:
                    failed.append(f"{statement}; -- {error}".strip())
            cursor.execute("RESET maintenance_work_mem")
        if failed:
            raise RuntimeError("indexes and constraints not built again after the bulk load:\n" + "\n".join(failed))


def _id_number(k: int, counties: list[str]) -> tuple[str, datetime.date, str]:
    """A unique valid resident ID number for the k-th worker: (county, sequence, birth day) never repeat."""
    county = counties[k % len(counties)]
    sequence = (k // len(counties)) % 1000
    birth = datetime.date(1975, 1, 1) + datetime.timedelta(days=(k // (len(counties) * 1000)) * 211 + sequence % 211)
    body = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0"), birth, "male" if sequence % 2 else "female"


def _card(k: int, bin_prefix: str) -> str:
    body = f"{bin_prefix}{k:012d}"
    return body + luhn.calc_check_digit(body)


def generate(params: BulkParams, *, progress: Callable[[str, int, int], None] | None = None) -> BulkSummary:
    if connection.vendor != "postgresql":
        raise RuntimeError("the bulk generator writes with PostgreSQL COPY: set DATABASE_URL=postgres://…")
    began = time.monotonic()
    summary = BulkSummary()
    copy = Copier(summary)
    rng = random.Random(params.seed)
    say = progress or (lambda *_args: None)
    today = clock.localdate()
    now = clock.now()
    first_month = months.shift(months.of(today), -params.months)
    window_start = months.first_day(first_month)
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent"))
    by_city: dict[str, list[Region]] = {}
    for county in counties:
        by_city.setdefault(county.parent.code, []).append(county)
    id_counties = list(county_codes("37"))  # as the simulator's: codes in use (the platform's validator's rule)
    banks = list(Bank.objects.order_by("code"))

    # -- enterprises: contractors, owners, labour subcontractors
    enterprise_id = _next_id("registry_enterprise")
    kinds = [("construction", names.CONTRACTOR_SUFFIX, max(1, params.projects // 4)), ("developer", names.OWNER_SUFFIX, max(1, params.projects // 3)),
             ("labour_service", names.LABOUR_SUFFIX, max(1, params.projects // 6))]
    pools: dict[str, list[int]] = {}

    def enterprises():
        nonlocal enterprise_id
        for kind, suffixes, count in kinds:
            pool = pools.setdefault(kind, [])
            for n in range(count):
                county = rng.choice(counties)
                uscc = make_uscc(rng, county.code, serial=enterprise_id)  # unique: the id is the organisation code
                yield (enterprise_id, uscc, f"{county.name}{rng.choice(names.PLACE_WORDS)}{n}{rng.choice(suffixes)}", kind, county.pk, "", now)
                pool.append(enterprise_id)
                enterprise_id += 1

    say("enterprises", 0, 1)
    copy("registry_enterprise", ("id", "uscc", "name", "kind", "region_id", "legal_representative", "created_at"), enterprises())

    # -- projects and participations
    project_id = _next_id("registry_project")
    projects = []  # (id, county code, industry, gc, sub, started_on, onboarded)
    sequence: dict[tuple[str, int], int] = {}

    def project_rows():
        for n in range(params.projects):
            city = _weighted(rng, names.CITY_WEIGHTS)
            county = rng.choice(by_city[city])
            industry = _weighted(rng, names.INDUSTRY_WEIGHTS)
            started = today - datetime.timedelta(days=rng.randint(60, 900))
            key = (county.code, started.year)
            sequence[key] = sequence.get(key, 0) + 1
            gc, owner, sub = rng.choice(pools["construction"]), rng.choice(pools["developer"]), rng.choice(pools["labour_service"])
            qualifying = rng.random() < 0.97
            onboarded = _at(started + datetime.timedelta(days=rng.randint(0, 45)), 10) if qualifying and rng.random() < 0.9 else None
            pk = project_id + n
            projects.append((pk, county.code, industry, gc, sub, started, onboarded, owner))
            amount = Decimal(rng.randint(3_000_000, 300_000_000))
            yield (pk, f"{county.code}{started.year}{sequence[key]:05d}", f"{county.name}{rng.choice(names.PLACE_WORDS)}{n}号工程",
                   county.pk, industry, owner, gc, amount, Decimal(rng.randint(15, 35)) / 100, "", started,
                   started + datetime.timedelta(days=rng.randint(365, 1100)), "under_construction", qualifying,
                   "onboarded" if onboarded else "filed", onboarded, _at(started, 9))
            if n % 1000 == 0:
                say("projects", n, params.projects)

    copy("registry_project", ("id", "code", "name", "region_id", "industry", "owner_id", "general_contractor_id", "contract_amount",
                              "labour_cost_ratio", "permit_no", "started_on", "planned_end", "status", "is_qualifying", "filing_status",
                              "onboarded_at", "created_at"), project_rows())
    participation_id = _next_id("registry_participation")

    def participations():
        pk = participation_id
        for project, _county, _industry, gc, sub, started, _onboarded, owner in projects:
            for enterprise, role in ((owner, "owner"), (gc, "general_contractor"), (sub, "labour_subcontractor")):
                yield (pk, project, enterprise, role, "approved", "", None, _at(started, 11))
                pk += 1

    copy("registry_participation", ("id", "project_id", "enterprise_id", "role", "review_status", "review_reason", "reviewed_by_id",
                                    "reviewed_at"), participations())
    # -- dedicated accounts
    account_id = _next_id("accounts_wageaccount")
    accounts = {}

    def account_rows():
        pk = account_id
        for project, _county, _industry, gc, _sub, started, _onboarded, _owner in projects:
            if rng.random() < 0.95:
                bank = rng.choice(banks)
                opened = started + datetime.timedelta(days=rng.randint(3, 50))
                accounts[project] = (pk, bank)
                yield (pk, project, "", bank.pk, gc, f"{bank.code}{pk:014d}", f"{project}号项目农民工工资专用账户", opened, "active", now, None, now)
                pk += 1

    copy("accounts_wageaccount", ("id", "project_id", "section", "bank_id", "holder_id", "number", "name", "opened_on", "status",
                                  "confirmed_at", "confirmed_by_id", "created_at"), account_rows())

    try:
        with _indexes_built_after(BULK_TABLES, say):
            # -- workers, readings, employments, contracts; then their attendance days: in chunks, over the processes
            weights = [max(1.0, rng.paretovariate(1.5)) for _p in projects]
            bases = tuple(_next_id(t) for t in ("registry_worker", "registry_idcardreading", "registry_employment", "registry_labourcontract"))
            _shared.update(params=params, today=today, window_start=window_start, id_counties=id_counties, projects=projects, bases=bases,
                           chosen=rng.choices(range(len(projects)), weights=weights, k=params.workers))
            employments: list[tuple] = []  # (employment id, worker, project index, enterprise, entered, exited, rate, card cipher, card index, bank)
            starts = range(0, params.workers, WORKER_CHUNK)
            for n, (jobs, rows) in enumerate(_fan_out(_workers_chunk, starts, params.processes)):
                say("workers", min(params.workers, (n + 1) * WORKER_CHUNK), params.workers)
                employments.extend(jobs)
                summary.add(rows)
            _attendance(params, summary, employments, today, say)
            _ledgers(params, copy, rng, employments, projects, accounts, today, first_month, say)
    finally:
        _shared.clear()  # the rows the chunks read
    say("analyse", 0, 1)
    _reset_sequences(summary.rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    summary.seconds = time.monotonic() - began
    return summary


def _working_days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 6:  # sites work Monday to Saturday
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _workers_chunk(at: int) -> tuple[list[tuple], dict[str, int]]:
    """Workers at..at + WORKER_CHUNK with their ID-card readings, employments and labour contracts, COPY'd on this
    process's connection; their ids follow from their rank (no two chunks collide), their random draws from the seed
    and the chunk (the same province on one process or many). Returns the employments and the rows written."""
    params, projects, chosen = _shared["params"], _shared["projects"], _shared["chosen"]
    today, window_start, id_counties = _shared["today"], _shared["window_start"], _shared["id_counties"]
    worker_base, reading_base, employment_base, contract_base = _shared["bases"]
    rng = random.Random(f"{params.seed}:workers:{at}")
    summary = BulkSummary()
    copy = Copier(summary)
    workers, readings, jobs, contracts, employments = [], [], [], [], []
    for k in range(at, min(params.workers, at + WORKER_CHUNK)):
        number, birth, sex = _id_number(k, id_counties)
        project_index = chosen[k]
        project, _county, _industry, gc, sub, started, _onboarded, _owner = projects[project_index]
        start = max(window_start, started)
        entered = start + datetime.timedelta(days=rng.randrange(max(1, (today - start).days - 3)))
        exited = min(today, entered + datetime.timedelta(days=rng.randint(30, 240))) if rng.random() < 0.5 else None
        bank_name, bin_prefix = rng.choice(names.BANKS)
        card, phone = _card(k, bin_prefix), f"13{k:09d}"
        card_cipher, card_index = encrypt(card), blind_index(card)
        name = rng.choice(names.SURNAMES) + rng.choice(names.GIVEN) + (rng.choice(names.GIVEN) if rng.random() < 0.6 else "")
        worker = worker_base + k
        read_at = _at(entered, 8)
        workers.append((worker, encrypt(number), blind_index(number), name, sex, "汉", birth, encrypt(f"山东省{number[:6]}某村{k % 97}号"),
                        "公安局", birth + datetime.timedelta(days=365 * 30), None, "", "", encrypt(phone), blind_index(phone), None,
                        card_cipher, card_index, bank_name, read_at, read_at))
        payload = {"name": name, "id_number": number, "sex": "男" if sex == "male" else "女", "birth_date": f"{birth:%Y%m%d}"}
        readings.append((reading_base + k, encrypt(json.dumps(payload, ensure_ascii=False)), blind_index(number), worker, None, read_at,
                         "BULK-READER", "", project, True, "", ""))
        employer = sub if rng.random() < 0.7 else gc
        employment = employment_base + k
        jobs.append((employment, worker, project, employer, None, rng.choice(names.TRADES), entered, exited, "card_read", read_at))
        rate = Decimal(rng.randint(200, 450))
        if rng.random() < 0.97:
            contracts.append((contract_base + k, employment, entered, None, "daily", rate, rng.choice([5, 10, 15, 20, 25]), "", "", None, read_at))
        employments.append((employment, worker, project_index, employer, entered, exited, rate, card_cipher, card_index, bank_name))
    copy("registry_worker", ("id", "id_number", "id_number_index", "name", "sex", "ethnicity", "birth_date", "address", "id_authority",
                             "id_valid_from", "id_valid_until", "native_place", "photo", "phone", "phone_index", "phone_usable_from",
                             "bank_card", "bank_card_index", "bank_name", "created_at", "updated_at"), workers)
    copy("registry_idcardreading", ("id", "payload", "id_number_index", "worker_id", "captured_by_id", "captured_at", "device_id",
                                    "sender_key", "project_id", "accepted", "refusal_code", "refusal_reason"), readings)
    copy("registry_employment", ("id", "worker_id", "project_id", "enterprise_id", "team_id", "trade", "entered_on", "exited_on", "proof",
                                 "created_at"), jobs)
    copy("registry_labourcontract", ("id", "employment_id", "signed_on", "term_end", "wage_basis", "wage_rate", "pay_day", "file",
                                     "file_type", "file_size", "created_at"), contracts)
    return employments, summary.rows


def _attendance(params: BulkParams, summary: BulkSummary, employments: list[tuple], today: datetime.date, say) -> None:
    """Attendance days of the last `attendance_months` months (a rolling window, so that a run's size does not
    depend on the day of the month it runs on), up to yesterday: most working days of each employment on site,
    in at about 7:30 and out at about 17:30 by face. The ids come from the table's identity (the chunks' row
    counts are not known beforehand)."""
    yesterday = today - datetime.timedelta(days=1)
    days = _working_days(months.add_months(today, -params.attendance_months), yesterday)
    _reset_sequences(["attendance_attendanceday"])  # its ids come from the identity: past the rows already there
    _shared.update(employments=employments, moments={day: (_at(day, 7), _at(day, 17)) for day in days})  # time zones are slow: once
    starts = range(0, len(employments), ATTENDANCE_CHUNK)
    for n, rows in enumerate(_fan_out(_attendance_chunk, starts, params.processes)):
        say("attendance", min(len(employments), (n + 1) * ATTENDANCE_CHUNK), len(employments))
        summary.add(rows)


def _attendance_chunk(at: int) -> dict[str, int]:
    params, projects, moments = _shared["params"], _shared["projects"], _shared["moments"]
    rng = random.Random(f"{params.seed}:attendance:{at}")
    minutes = [datetime.timedelta(minutes=m) for m in range(60)]

    def rows():
        for _e, worker, project_index, _employer, entered, exited, *_rest in _shared["employments"][at:at + ATTENDANCE_CHUNK]:
            project = projects[project_index][0]
            for day, (seven, five) in moments.items():
                if day < entered or (exited and day > exited) or rng.random() < 0.12:
                    continue
                last_out = five + minutes[int(rng.random() * 60)]
                yield (worker, project, day, seven + minutes[int(rng.random() * 60)], last_out, last_out, "out", 2, "face", False)

    summary = BulkSummary()
    Copier(summary)("attendance_attendanceday", ("worker_id", "project_id", "day", "first_in", "last_out", "last_punch_at", "last_direction",
                                                 "punches", "methods", "has_manual"), rows())
    return summary.rows


def _ledgers(params: BulkParams, copy: Copier, rng: random.Random, employments, projects, accounts, today, first_month, say) -> None:
    """A ledger per project and month (the general contractor's, for all its workers) for every month that has
    ended, built on the 1st after it; the bank's results for those whose pay day has passed (most paid, a few
    failed or left unpaid: arrears)."""
    from wageguard.exchange.models import ApiClient, ClientKind
    from wageguard.exchange.models import IngestionBatch

    client, _created = ApiClient.objects.get_or_create(key_id="bulk-bank", defaults={"secret": "-", "kind": ClientKind.BANK, "name": "bulk"})
    current = months.of(today)
    ledger_months = [m for m in (months.shift(first_month, i) for i in range(params.months + 1)) if m < current]
    by_project: dict[int, list] = {}
    for job in employments:
        by_project.setdefault(job[2], []).append(job)
    payroll_id, line_id, result_id = _next_id("payroll_payroll"), _next_id("payroll_payrollline"), _next_id("payroll_disbursementresult")
    batches = {}
    for month in ledger_months:
        received = _at(months.first_day(months.next_month(month)) + datetime.timedelta(days=9), 16)
        if received.date() < today:
            batches[month] = IngestionBatch.objects.create(sender=client, kind="bank_payroll_results", batch_id=f"bulk-{month}", body_sm3="-",
                                                           mode="partial", received_at=received, status="applied").pk
    payrolls, lines, results = [], [], []

    def flush():
        copy("payroll_payroll", ("id", "project_id", "enterprise_id", "month", "status", "built_at", "fetched_at"), payrolls)
        copy("payroll_payrollline", ("id", "payroll_id", "worker_id", "employment_id", "days_attended", "hours_attended", "days_claimed",
                                     "quantity", "wage_basis", "wage_rate", "gross", "deductions", "net", "card", "card_index", "bank_name",
                                     "checks", "warning_reasons", "reissue_of_id", "reissue_reason"), lines)
        copy("payroll_disbursementresult", ("id", "line_id", "status", "amount", "card", "bank_txn_id", "paid_at", "reason_code",
                                            "holder_name", "batch_id", "received_at"), results)
        payrolls.clear(), lines.clear(), results.clear()

    empty = json.dumps([]), json.dumps({})
    moments = {m: (_at(months.first_day(months.next_month(m)), 6),
                   _at(months.first_day(months.next_month(m)) + datetime.timedelta(days=9), 15),
                   _at(months.first_day(months.next_month(m)) + datetime.timedelta(days=9), 16)) for m in ledger_months}
    for n, (project_index, jobs) in enumerate(sorted(by_project.items())):
        if n % 2000 == 0:
            say("ledgers", n, len(by_project))
        project, _county, _industry, gc, *_rest = projects[project_index]
        owes = rng.random() < 0.03  # a project that leaves a month unpaid
        for month in ledger_months:
            start, end = months.bounds(month)
            on_roster = [j for j in jobs if j[4] <= end and (j[5] is None or j[5] >= start)]
            if not on_roster or project not in accounts:
                continue
            built, paid_at, received = moments[month]
            answered = month in batches
            unpaid_month = owes and rng.random() < 0.3
            payrolls.append((payroll_id, project, gc, month, ("paid" if not unpaid_month else "partly_paid") if answered else "submitted", built,
                             built if answered else None))
            for job in on_roster:
                days = 14 + int(rng.random() * 13)
                gross = job[6] * days
                lines.append((line_id, payroll_id, job[1], job[0], days, days * 9, days, None, "daily", job[6], gross, empty[0], gross,
                              job[7], job[8], job[9], empty[1], empty[1], None, ""))
                if answered and not (unpaid_month and rng.random() < 0.5):
                    failed = rng.random() < 0.003
                    results.append((result_id, line_id, "failed" if failed else "paid", gross, job[7], "" if failed else f"B{line_id}",
                                    None if failed else paid_at, "ACCOUNT_CLOSED" if failed else "", "", batches[month], received))
                    result_id += 1
                line_id += 1
            payroll_id += 1
        if len(lines) > 200_000:
            flush()
    flush()
