"""Attendance batches: verdicts, idempotency, modes, lateness, rollups, on-site today."""
import datetime
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wageguard.core import clock
from wageguard.attendance.ingest import day_from_punches, roll_up_days
from wageguard.attendance.models import AttendanceDay, AttendanceRecord, GateDevice, IngestionRejection
from wageguard.exchange.models import IngestionBatch
from tests.factories import Machine, api_client, employ, punch

pytestmark = pytest.mark.django_db
PATH = "/api/v1/attendance/batches"


@pytest.fixture
def gate(world):
    client, secret = api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code])
    return Machine(client, secret)


def test_verdicts_and_day_rollup(world, gate):
    e = world.gc_a_worker_emp
    records = [punch(e, at="2026-06-01T07:58:00+08:00", direction="in", record_id="a"),
               punch(e, at="2026-06-01T17:31:00+08:00", direction="out", record_id="b")]
    answer = gate.post(PATH, {"batch_id": "b1", "records": records}).json()
    assert answer == {"batch_id": "b1", "status": "applied", "counts": {"accepted": 2, "duplicate": 0, "rejected": 0, "late": 2},
                      "results": [{"client_record_id": "a", "status": "accepted"}, {"client_record_id": "b", "status": "accepted"}]}
    day = AttendanceDay.objects.get(worker=e.worker, project=e.project, day=datetime.date(2026, 6, 1))
    assert day.punches == 2 and day.first_in.hour == 23 and day.last_out is not None and day.methods == "face"
    assert not day.on_site


def test_same_batch_again_returns_the_first_answer_and_stores_nothing(world, gate):
    payload = {"batch_id": "rep", "records": [punch(world.gc_a_worker_emp, record_id="x")]}
    first = gate.post(PATH, payload)
    again = gate.post(PATH, payload)
    assert again.status_code == 200 and again.json() == first.json()
    assert AttendanceRecord.objects.count() == 1 and IngestionBatch.objects.count() == 1


def test_same_batch_id_with_another_body_is_409(world, gate):
    gate.post(PATH, {"batch_id": "c", "records": [punch(world.gc_a_worker_emp)]})
    response = gate.post(PATH, {"batch_id": "c", "records": [punch(world.gc_a_worker_emp, device="G2")]})
    assert response.status_code == 409 and response.json()["error"] == "batch_id_conflict"


def test_a_punch_already_stored_is_a_duplicate_from_any_batch(world, gate):
    record = punch(world.gc_a_worker_emp, record_id="p1")
    gate.post(PATH, {"batch_id": "d1", "records": [record]})
    answer = gate.post(PATH, {"batch_id": "d2", "records": [dict(record, client_record_id="p2")]}).json()
    assert answer["status"] == "applied" and answer["results"][0]["status"] == "duplicate"
    assert AttendanceRecord.objects.count() == 1


def test_all_or_nothing_with_one_bad_record_stores_nothing(world, gate):
    stranger = employ(world.qingdao_building, world.gc_b)  # registered, but not on this project
    records = [punch(world.gc_a_worker_emp, record_id="ok"),
               dict(punch(stranger, record_id="bad"), project_code=world.jinan_building.code)]
    answer = gate.post(PATH, {"batch_id": "aon", "records": records}).json()
    assert answer["status"] == "rejected"
    assert answer["results"] == [{"client_record_id": "ok", "status": "rejected", "reason": "batch_rejected"},
                                 {"client_record_id": "bad", "status": "rejected", "reason": "not_registered", "field": "id_number"}]
    assert AttendanceRecord.objects.count() == 0 and AttendanceDay.objects.count() == 0
    rejection = IngestionRejection.objects.get()  # kept for the officials
    assert rejection.reason == "not_registered" and rejection.project == world.jinan_building and "*" in rejection.id_number_masked


def test_partial_mode_stores_the_valid_records(world, gate):
    records = [punch(world.gc_a_worker_emp, record_id="ok"),
               punch(world.gc_a_worker_emp, record_id="future", at="2099-01-01T08:00:00+08:00"),
               punch(world.gc_a_worker_emp, record_id="naive", at="2026-06-01T08:00:00"),
               punch(world.gc_a_worker_emp, record_id="badmethod", method="telepathy")]
    answer = gate.post(PATH, {"batch_id": "p", "mode": "partial", "records": records}).json()
    assert answer["status"] == "partly_applied"
    assert [(r["status"], r.get("reason"), r.get("field")) for r in answer["results"]] == [
        ("accepted", None, None), ("rejected", "clock_drift", "occurred_at"),
        ("rejected", "invalid_datetime", "occurred_at"), ("rejected", "invalid_choice", "method")]
    assert AttendanceRecord.objects.count() == 1


def test_entry_and_exit_dates_bound_attendance(world, gate):
    e = world.gc_a_worker_emp  # entered 2026-03-01
    answer = gate.post(PATH, {"batch_id": "early", "mode": "partial", "records": [
        punch(e, at="2026-02-28T08:00:00+08:00", record_id="before"), punch(e, at="2026-03-01T08:00:00+08:00", record_id="first")]}).json()
    assert [r["status"] for r in answer["results"]] == ["rejected", "accepted"]


def test_recent_punch_is_not_late_and_an_old_one_is(world, gate):
    now = clock.now()
    fresh = punch(world.gc_a_worker_emp, at=(now - datetime.timedelta(hours=2)).isoformat(), record_id="fresh")
    old = punch(world.gc_a_worker_emp, at=(now - datetime.timedelta(days=2)).isoformat(), record_id="old")
    answer = gate.post(PATH, {"batch_id": "late", "records": [fresh, old]}).json()
    assert answer["counts"]["late"] == 1
    assert AttendanceRecord.objects.get(client_record_id="old").is_late
    assert not AttendanceRecord.objects.get(client_record_id="fresh").is_late
    assert GateDevice.objects.get(device_id="GATE-1").last_punch_at.replace(microsecond=0) >= (now - datetime.timedelta(hours=2, seconds=1))


@pytest.mark.parametrize("payload,field", [
    (b"not json", "body"),
    ({"records": []}, "batch_id"),
    ({"batch_id": "x", "mode": "sometimes", "records": [{}]}, "mode"),
    ({"batch_id": "x", "records": "nope"}, "records"),
    ({"batch_id": "x", "records": [{"client_record_id": "a"}, {"client_record_id": "a"}]}, "records[1].client_record_id"),
])
def test_a_malformed_envelope_is_400_naming_the_field(world, gate, payload, field):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = gate.post(PATH, None, body=body)
    assert response.status_code == 400 and response.json()["field"] == field


def test_too_many_records(world, gate):
    records = [punch(world.gc_a_worker_emp, record_id=f"r{i}") for i in range(5001)]
    response = gate.post(PATH, {"batch_id": "big", "records": records})
    assert response.status_code == 400 and response.json()["error"] == "too_many_records"


times = st.lists(st.tuples(st.integers(min_value=0, max_value=23 * 60), st.sampled_from(["in", "out", "unknown"]),
                           st.sampled_from(["face", "card", "manual"])), min_size=1, max_size=8, unique_by=lambda t: t[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times, st.randoms(use_true_random=False))
def test_day_rollup_equals_a_recomputation_for_any_arrival_order(world, punches, rnd):
    """Deliver the same punches one batch at a time in a random order: the day is the same as computed at once."""
    from wageguard.attendance.ingest import ingest_batch

    client, _secret = api_client(project_codes=[world.jinan_building.code])
    e = world.gc_a_worker_emp
    AttendanceRecord.objects.filter(worker=e.worker).delete()
    AttendanceDay.objects.filter(worker=e.worker).delete()
    base = datetime.datetime(2026, 6, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    records = [punch(e, at=(base + datetime.timedelta(minutes=m)).isoformat(), direction=d, method=meth, record_id=f"h{m}")
               for m, d, meth in punches]
    rnd.shuffle(records)
    for i in range(0, len(records), 2):
        ingest_batch(client=client, body=json.dumps({"batch_id": f"h-{i}", "records": records[i:i + 2]}).encode())
    stored = AttendanceDay.objects.get(worker=e.worker, project=e.project)
    expected = day_from_punches((e.worker_id, e.project_id, stored.day),
                                [(base + datetime.timedelta(minutes=m), d, meth) for m, d, meth in punches])
    for name in ("first_in", "last_out", "last_punch_at", "last_direction", "punches", "methods", "has_manual"):
        assert getattr(stored, name) == getattr(expected, name), name


def test_on_site_today_page_and_api(world, gate):
    from django.test import Client
    from django.utils import timezone

    # Mid-morning of today, whatever the hour the suite runs at (30 minutes before a midnight run is yesterday).
    now = timezone.make_aware(datetime.datetime.combine(clock.localdate(), datetime.time(10, 0)))
    e = world.gc_a_worker_emp
    with clock.travel(now):
        gate.post(PATH, {"batch_id": "today", "records": [punch(e, at=(now - datetime.timedelta(minutes=30)).isoformat())]})
        data = gate.get(f"/api/v1/projects/{e.project.code}/on-site").json()
        official = Client()
        official.force_login(world.users["housing_jinan"])
        page = official.get(f"/projects/{e.project.pk}/on-site/").content.decode()
    assert data["present"] == 1 and data["on_site_now"] == 1 and data["workers"][0]["name"] == e.worker.name
    assert data["by_trade"] == [{"trade": "钢筋工", "count": 1}]
    assert e.worker.name in page and "今日在场" in page
    other = Client()
    other.force_login(world.users["housing_qingdao"])
    assert other.get(f"/projects/{e.project.pk}/on-site/").status_code == 404
    assert other.get(f"/api/v1/projects/{e.project.code}/on-site").status_code == 404


def test_gate_client_reads_on_site_only_for_its_projects(world, gate):
    assert gate.get(f"/api/v1/projects/{world.qingdao_building.code}/on-site").status_code == 404


def test_quality_page_counts_only_what_a_sender_sent_for_the_officials_projects(world):
    from django.test import Client

    from tests.factories import id_number

    client, secret = api_client(project_codes=[world.jinan_building.code, world.qingdao_building.code], name="多项目闸机")
    machine = Machine(client, secret)
    stranger = dict(punch(world.gc_a_worker_emp, record_id="s1"), id_number=id_number(birth=datetime.date(1990, 1, 2)))
    records = [punch(world.gc_a_worker_emp, record_id="j1"), stranger,
               punch(world.qingdao_emp, record_id="q1"), punch(world.qingdao_emp, record_id="q2", at="2026-06-01T08:00:00+08:00"),
               dict(punch(world.qingdao_emp, record_id="q3"), id_number=id_number(birth=datetime.date(1991, 1, 2)),
                    project_code=world.qingdao_building.code)]
    assert machine.post(PATH, {"batch_id": "mixed", "mode": "partial", "records": records}).json()["status"] == "partly_applied"

    def page_for(role):
        browser = Client()
        browser.force_login(world.users[role])
        response = browser.get("/attendance/quality/")
        return response.context["senders"], response.content.decode()

    (jinan,), html = page_for("housing_jinan")
    assert (jinan["sender__name"], jinan["accepted"], jinan["rejected"], jinan["records"]) == ("多项目闸机", 1, 1, 2)
    assert "当日不在该项目花名册" in html and "多项目闸机" in html
    (qingdao,), _html = page_for("housing_qingdao")
    assert (qingdao["accepted"], qingdao["rejected"], qingdao["records"]) == (2, 1, 3)
    assert page_for("housing_lixia")[0][0]["records"] == 2  # the county sees its project only
    assert page_for("transport_jinan")[0] == []  # another industry: nothing
