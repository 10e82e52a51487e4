"""The bulk generator (`wageguard simulate --scale province`): what it writes with COPY is what the services would
store — valid, encrypted, indexed personal data the platform's own reads find — and the statistics count it."""
import pytest
from django.db import connection

from wageguard.core.pii import blind_index
from wageguard.payroll.models import DisbursementResult, PayrollLine
from wageguard.registry.models import Employment, Project, Worker
from wageguard.registry.validators import validate_id_number
from wageguard.simulate.bulk import BulkParams, generate
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
    assert Employment.objects.count() == 400 and Project.objects.filter(filing_status="onboarded").exists()
    Worker.objects.create(name="新工人", sex="male", birth_date="1990-01-01", id_number="110101199001011237")  # the sequence moved on
    rollup.rebuild()
    month = rollup.window()[1]
    from wageguard.core.models import Industry, Region

    area = selectors.Area(Region.objects.get(code="370000"), tuple(Industry.values))
    assert selectors.totals(area, month)["projects"] == ProjectMonth.objects.filter(month=month).count() == 12
