"""The bulk generator (`wageguard simulate --scale province`): what it writes with COPY is what the services would
store — valid, encrypted, indexed personal data the platform's own reads find — and the statistics count it."""
import pytest
from django.db import IntegrityError, connection, models
from django.utils import timezone

from wageguard.attendance.models import AttendanceDay
from wageguard.core.pii import blind_index
from wageguard.payroll.models import DisbursementResult, PayrollLine
from wageguard.registry.models import Employment, Project, Worker
from wageguard.registry.validators import validate_id_number
from wageguard.simulate.bulk import BULK_TABLES, BulkParams, generate
from wageguard.stats import rollup, selectors
from wageguard.stats.models import ProjectMonth

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")


def test_the_bulk_province_is_what_the_services_would_store():
    summary = generate(BulkParams(projects=12, workers=400, months=4, seed=3))
    assert summary.rows["registry_worker"] == 400 and summary.rows["payroll_payrollline"] > 0
    worker = Worker.objects.order_by("pk").last()
    assert validate_id_number(worker.id_number) == worker.id_number and Worker.objects.get(id_number_index=blind_index(worker.id_number)) == worker
    assert worker.phone and Worker.objects.filter(phone_index=blind_index(worker.phone)).count() == 1
    assert len({w.id_number for w in Worker.objects.all()}) == 400  # unique, as the unique index demands
    line = PayrollLine.objects.filter(result__isnull=False).first()
    assert line.card == line.worker.bank_card and DisbursementResult.objects.get(line=line).card == line.card
    assert (line.deductions, line.checks, line.warning_reasons) == ([], {}, {})  # JSON values, not JSON text in a string
    assert line.gross == line.wage_rate * line.days_claimed and line.hours_attended == line.days_attended * 9
    day = AttendanceDay.objects.order_by("pk").first()
    assert timezone.localtime(day.first_in).hour == 7 and timezone.localtime(day.first_in).date() == day.day and day.methods == "face"
    assert Employment.objects.count() == 400 and Project.objects.filter(filing_status="onboarded").exists()
    Worker.objects.create(name="新工人", sex="male", birth_date="1990-01-01", id_number="110101199001011237")  # the sequence moved on
    rollup.rebuild()
    month = rollup.window()[1]
    from wageguard.core.models import Industry, Region

    area = selectors.Area(Region.objects.get(code="370000"), tuple(Industry.values))
    assert selectors.totals(area, month)["projects"] == ProjectMonth.objects.filter(month=month).count() == 12


def _schema() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
                          WHERE conrelid = ANY(%s::regclass[])""", [list(BULK_TABLES)])
        constraints = set(cursor.fetchall())
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(BULK_TABLES)])
        return constraints | set(cursor.fetchall())


def test_the_indexes_and_constraints_dropped_for_the_load_are_all_back_after_it():
    before = _schema()
    assert len([s for s in before if s[0] == "payroll_payrollline"]) > 8  # what is compared is there
    generate(BulkParams(projects=3, workers=40, months=2, seed=5))
    assert _schema() == before
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="violates foreign key"):  # and they hold again
        Employment.objects.create(worker_id=10**9, project_id=Project.objects.first().pk, enterprise_id=Project.objects.first().general_contractor_id,
                                  entered_on="2026-01-01")


@pytest.mark.django_db(transaction=True)
def test_two_processes_write_the_workers_and_their_attendance_in_disjoint_chunks(monkeypatch):
    from wageguard.attendance.models import AttendanceDay
    from wageguard.simulate import bulk

    monkeypatch.setattr(bulk, "WORKER_CHUNK", 25)  # several chunks for each of the two processes
    monkeypatch.setattr(bulk, "ATTENDANCE_CHUNK", 30)
    summary = generate(BulkParams(projects=4, workers=110, months=2, seed=7, processes=2))
    ids = sorted(Worker.objects.values_list("pk", flat=True))
    assert len(ids) == 110 and ids[-1] - ids[0] == 109  # every chunk written once, none twice
    assert summary.rows["attendance_attendanceday"] == AttendanceDay.objects.count() > 0
    assert Employment.objects.filter(worker_id__in=ids).count() == 110
    assert not AttendanceDay.objects.exclude(worker__employments__project=models.F("project")).exists()  # each day on the worker's own site
    Worker.objects.create(name="新工人", sex="male", birth_date="1990-01-01", id_number="110101199001011237")  # the connection is back


def test_a_load_that_fails_half_way_leaves_the_indexes_and_constraints_as_they_were(monkeypatch):
    from wageguard.simulate import bulk

    before = _schema()

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(bulk, "_ledgers", broken)
    with pytest.raises(OSError, match="disk full"):
        generate(BulkParams(projects=2, workers=20, months=2, seed=9))
    assert _schema() == before
