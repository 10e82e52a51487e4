"""Ingestion under real concurrency and a killed server process (PostgreSQL: the production database).

These tests commit (transaction=True): concurrent senders need their own connections, and a server in
another process must see the test's data.
"""
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from wageguard.attendance.ingest import day_from_punches
from wageguard.attendance.models import AttendanceDay, AttendanceRecord
from wageguard.exchange.models import IngestionBatch
from wageguard.exchange.client import Client, RetryableError
from tests.factories import Machine, World, api_client, punch

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/api/v1/attendance/batches"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency and crash behaviour are properties of the production database (PostgreSQL)")


@pytest.fixture
def committed_world():
    return World.build()


def _punches(world, days: int) -> list[dict]:
    """Every employment of the world, in and out, over `days` days: the pool the senders draw from."""
    records = []
    for n, employment in enumerate((world.gc_a_worker_emp, world.sub_worker_emp)):
        for d in range(days):
            day = datetime.date(2026, 6, 1) + datetime.timedelta(days=d)
            for direction, hour in (("in", 7), ("out", 18)):
                records.append(punch(employment, at=f"{day}T{hour:02d}:{n:02d}:00+08:00", direction=direction,
                                     record_id=f"{employment.pk}-{day}-{direction}"))
    return records


def _assert_rollups_match_raw_punches():
    raw: dict = {}
    for r in AttendanceRecord.objects.values_list("worker_id", "project_id", "day", "occurred_at", "direction", "method"):
        raw.setdefault(r[:3], []).append(r[3:])
    expected = {key: day_from_punches(key, items) for key, items in raw.items()}
    stored = {(d.worker_id, d.project_id, d.day): d for d in AttendanceDay.objects.all()}
    assert set(stored) == set(expected)
    for key, day in stored.items():
        want = expected[key]
        assert (day.first_in, day.last_out, day.punches, day.methods, day.last_direction) == (
            want.first_in, want.last_out, want.punches, want.methods, want.last_direction)


def test_four_concurrent_senders_with_overlapping_batches_store_each_punch_once(committed_world):
    world = committed_world
    client, secret = api_client(project_codes=[world.jinan_building.code])
    pool = _punches(world, days=30)
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def sender(n: int) -> None:
        try:
            machine = Machine(client, secret)
            barrier.wait()
            for b in range(6):  # overlapping windows of the same punches, under different batch ids
                start = (b * 17 + n * 11) % len(pool)
                records = [dict(r, client_record_id=f"s{n}-{r['client_record_id']}") for r in (pool + pool)[start:start + 40]]
                response = machine.post(PATH, {"batch_id": f"sender{n}-{b}", "records": records})
                answers.append(response.json() if response.status_code == 200 else response.content)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(isinstance(a, dict) for a in answers), (errors, answers)
    sent = {(r["id_number"], r["occurred_at"]) for b in range(6) for n in range(4)
            for r in (pool + pool)[(b * 17 + n * 11) % len(pool):][:40]}
    accepted = sum(a["counts"]["accepted"] for a in answers)
    assert AttendanceRecord.objects.count() == len(sent) == accepted
    assert sum(a["counts"]["duplicate"] for a in answers) == 4 * 6 * 40 - accepted
    _assert_rollups_match_raw_punches()


# ---------------------------------------------------------------- a server process killed mid-batch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    """gunicorn (one sync worker) against the test database, as in production."""
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, WAGEGUARD_ENV="dev", WAGEGUARD_DEBUG="0")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "wageguard.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                             "--timeout", "120", "--log-level", "warning"], env=env, cwd=Path(__file__).resolve().parent.parent)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
    yield proc, f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _worker_pids(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def _wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)


def test_a_server_killed_mid_batch_stores_all_or_nothing_and_the_retry_completes_it(committed_world, server):
    proc, url = server
    world = committed_world
    client, secret = api_client(project_codes=[world.jinan_building.code])
    batch = {"batch_id": "killed-once", "records": _punches(world, days=60)}
    blocker = connections.create_connection("default")  # holds one worker's ingest lock, as a concurrent batch would
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(7001, %s)", [world.gc_a_worker_emp.worker_id])

    outcome = {}

    def send() -> None:  # one attempt, no automatic retry: the connection dies with the worker
        signer = Client(url, client.key_id, secret, timeout=60)
        body = json.dumps(batch).encode()
        try:
            outcome["response"] = signer.transport.send("POST", PATH, body, signer.headers("POST", PATH, "", body))
        except (RetryableError, ConnectionError, OSError) as error:
            outcome["error"] = error

    sender = threading.Thread(target=send)
    sender.start()

    def waiting_on_the_lock() -> bool:  # the batch row is inserted, the punches not yet: mid-transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
                           " AND datname = current_database()")
            return cursor.fetchone()[0] > 0

    _wait_until(waiting_on_the_lock)
    (worker,) = _worker_pids(proc.pid)
    os.kill(worker, signal.SIGKILL)
    sender.join(timeout=60)
    blocker.rollback()
    blocker.close()
    assert "error" in outcome or outcome["response"].status >= 500
    assert not IngestionBatch.objects.filter(batch_id="killed-once").exists()
    assert AttendanceRecord.objects.count() == 0 and AttendanceDay.objects.count() == 0

    _wait_until(lambda: len(_worker_pids(proc.pid)) == 1 and _worker_pids(proc.pid) != [worker])
    retry = Client(url, client.key_id, secret, timeout=60)
    for _attempt in range(50):  # the new worker may still be importing the application
        try:
            response = retry.post_json(PATH, batch)
            break
        except (RetryableError, ConnectionError, OSError):
            time.sleep(0.2)
    assert response.status == 200, response.body
    assert response.json()["counts"]["accepted"] == len(batch["records"]) == AttendanceRecord.objects.count()
    assert IngestionBatch.objects.get(batch_id="killed-once").accepted == len(batch["records"])
    _assert_rollups_match_raw_punches()
