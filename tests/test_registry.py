"""Registry behaviour: real-name registration, entry/exit, contracts, onboarding by the departments."""
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.registry import selectors, services
from wageguard.registry.models import Employment, FilingStatus, IdCardReading, Worker
from tests.factories import EnterpriseFactory, id_number, project, reader_payload, system_admin

pytestmark = pytest.mark.django_db


def test_reading_creates_one_worker_per_id_number_and_keeps_the_raw_payload():
    number = id_number()
    admin = system_admin()
    worker, created = services.worker_register_from_reading(actor=admin, payload=reader_payload(id_number=number, name="李四"))
    again, created_again = services.worker_register_from_reading(
        actor=admin, payload=reader_payload(id_number=number.lower(), name="李四", address="新住址"))
    assert created and not created_again and again.pk == worker.pk
    assert Worker.objects.count() == 1
    readings = IdCardReading.objects.filter(worker=worker)
    assert readings.count() == 2 and '"name": "李四"' in readings.first().payload
    assert worker.native_place == "山东省"
    # a differing reading never overwrites the registered identity: it waits for the HRSS department's review
    assert Worker.objects.get().address == "山东省济南市历下区某路1号"
    review = worker.identity_reviews.get()
    assert (review.status, review.fields, review.region.code) == ("pending", ["address"], "370000")
    services.identity_review_decide(actor=admin, review=review, approve=True)
    assert Worker.objects.get().address == "新住址"


def test_expired_card_is_refused_with_that_reason_and_the_reading_kept():
    payload = reader_payload(valid_until="20200101")
    with pytest.raises(ServiceError) as err:
        services.worker_register_from_reading(actor=system_admin(), payload=payload)
    assert err.value.code == "id_card_expired" and err.value.field == "valid_until"
    assert "2020-01-01" in str(err.value.message)
    assert Worker.objects.count() == 0
    reading = IdCardReading.objects.get()
    assert not reading.accepted and reading.refusal_code == "id_card_expired"
    from wageguard.core.pii import blind_index

    assert IdCardReading.objects.filter(id_number_index=blind_index(payload["id_number"])).get() == reading


@pytest.mark.parametrize("field,value,code", [
    ("sex", "女", "id_mismatch"),
    ("birth_date", "19990101", "id_mismatch"),
    ("id_number", "370102198506151234", "invalid_id_number"),
    ("name", "", "required"),
])
def test_inconsistent_readings_name_the_field(field, value, code):
    payload = reader_payload(id_number=id_number(sex="male"))
    payload[field] = value
    with pytest.raises(ServiceError) as err:
        services.worker_register_from_reading(actor=system_admin(), payload=payload)
    assert (err.value.code, err.value.field) == (code, field)


def test_worker_on_two_overlapping_sites_is_recorded_and_flagged(world):
    admin = system_admin()
    worker = world.gc_a_worker_emp.worker
    result = services.employment_enter(actor=admin, worker=worker, project=world.qingdao_building, enterprise=world.gc_b,
                                       trade="木工", entered_on=datetime.date(2026, 4, 1))
    assert result.warnings == ["worker_on_two_sites"]
    flagged = Employment.objects.with_overlap().filter(worker=worker)
    assert flagged.count() == 2 and all(e.overlapping for e in flagged)
    assert "worker_on_two_sites" in AuditEntry.objects.filter(action="registry.employment_enter").last().reason


def test_non_overlapping_employments_are_not_flagged(world):
    admin = system_admin()
    services.employment_exit(actor=admin, employment=world.gc_a_worker_emp, exited_on=datetime.date(2026, 3, 31))
    result = services.employment_enter(actor=admin, worker=world.gc_a_worker_emp.worker, project=world.qingdao_building,
                                       enterprise=world.gc_b, trade="木工", entered_on=datetime.date(2026, 4, 1))
    assert result.warnings == []
    assert not Employment.objects.with_overlap().get(pk=result.employment.pk).overlapping


def test_same_project_twice_for_the_same_days_is_refused(world):
    with pytest.raises(ServiceError) as err:
        services.employment_enter(actor=system_admin(), worker=world.gc_a_worker_emp.worker, project=world.jinan_building,
                                  enterprise=world.gc_a, trade="木工", entered_on=datetime.date(2026, 5, 1))
    assert err.value.code == "already_employed"


def test_a_subcontractor_cannot_enter_workers_for_another_enterprise(world):
    with pytest.raises(PermissionDenied):
        services.employment_enter(actor=world.users["sub_a_admin"], worker=world.gc_a_worker_emp.worker,
                                  project=world.jinan_building, enterprise=world.gc_a, trade="木工",
                                  entered_on=datetime.date(2026, 9, 1))


def test_exit_before_entry_is_refused_and_nothing_changes(world):
    employment = world.gc_a_worker_emp
    with pytest.raises(ServiceError) as err:
        services.employment_exit(actor=system_admin(), employment=employment, exited_on=datetime.date(2025, 1, 1))
    assert err.value.field == "exited_on"
    employment.refresh_from_db()
    assert employment.exited_on is None


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def test_contract_file_checks_type_by_content_and_size(world, monkeypatch):
    employment = world.gc_a_worker_emp
    admin = system_admin()
    ok = services.contract_attach(actor=admin, employment=employment, signed_on=datetime.date(2026, 3, 1),
                                  wage_basis="monthly", wage_rate="8000", pay_day=10,
                                  upload=SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf"))
    assert ok.file_type == "application/pdf" and ok.file_size == len(PDF) and ok.file.read() == PDF
    with pytest.raises(ServiceError) as err:
        services.contract_attach(actor=admin, employment=employment, signed_on=datetime.date(2026, 3, 1),
                                 wage_basis="daily", wage_rate="300", pay_day=10,
                                 upload=SimpleUploadedFile("c.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"))
    assert (err.value.code, err.value.field) == ("file_type", "file")
    from wageguard.core import files

    monkeypatch.setitem(files.KINDS, "contract", files.FileKind(10, files.DOCUMENTS))
    with pytest.raises(ServiceError) as err:
        services.contract_attach(actor=admin, employment=employment, signed_on=datetime.date(2026, 3, 1),
                                 wage_basis="daily", wage_rate="300", pay_day=10,
                                 upload=SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf"))
    assert err.value.code == "file_too_large"


@pytest.mark.parametrize("kwargs,field", [
    ({"wage_basis": "weekly"}, "wage_basis"),
    ({"wage_rate": "-5"}, "wage_rate"),
    ({"pay_day": 32}, "pay_day"),
])
def test_contract_terms_are_validated(world, kwargs, field):
    args = {"signed_on": datetime.date(2026, 3, 1), "wage_basis": "daily", "wage_rate": "300", "pay_day": 15} | kwargs
    with pytest.raises(ServiceError) as err:
        services.contract_attach(actor=system_admin(), employment=world.gc_a_worker_emp, **args)
    assert err.value.field == field


def test_onboarding_by_the_industry_department(world):
    from tests.factories import official

    housing_lixia = world.users["housing_lixia"]
    transport = world.users["transport_jinan"]
    gc = EnterpriseFactory()
    proposed = services.project_propose(actor=_gc_admin(gc), data=_project_data(gc))
    assert proposed.filing_status == FilingStatus.PROPOSED
    assert proposed in selectors.onboarding_todo(user=housing_lixia)
    assert proposed not in selectors.onboarding_todo(user=transport)  # not its industry
    with pytest.raises(PermissionDenied):
        services.project_accept(actor=transport, project=proposed)
    services.project_accept(actor=housing_lixia, project=proposed)
    with pytest.raises(ServiceError) as err:
        services.project_onboard(actor=housing_lixia, project=proposed)
    assert err.value.code == "review_pending"
    owner_participation, gc_participation = proposed.participations.order_by("role")
    with pytest.raises(ServiceError) as err:
        services.participation_review(actor=housing_lixia, participation=gc_participation, approve=False, reason="  ")
    assert err.value.field == "reason"
    services.participation_review(actor=housing_lixia, participation=gc_participation, approve=False, reason="营业执照过期")
    services.participation_review(actor=housing_lixia, participation=gc_participation, approve=True)
    services.participation_review(actor=housing_lixia, participation=owner_participation, approve=True)
    onboarded = services.project_onboard(actor=housing_lixia, project=proposed)
    assert onboarded.onboarded_at is not None
    assert onboarded not in selectors.onboarding_todo(user=housing_lixia)
    actions = list(AuditEntry.objects.filter(object_type__in=["registry.project", "registry.participation"])
                   .filter(actor=housing_lixia).values_list("action", flat=True))
    assert actions == ["registry.project_accept", "registry.participation_review", "registry.participation_review",
                       "registry.participation_review", "registry.project_onboard"]
    returned = AuditEntry.objects.filter(action="registry.participation_review", reason="营业执照过期").get()
    assert returned.after["review_status"] == "returned"


def test_an_official_of_another_county_cannot_onboard(world):
    from tests.factories import official

    other = official("u-housing-shinan", "370202", "housing")
    p = project(county="370102", industry="building", gc=world.gc_a, onboard=False)
    with pytest.raises(PermissionDenied):
        services.project_onboard(actor=other, project=p)


def _gc_admin(gc):
    from wageguard.core.services import user_create

    return user_create(username=f"gc-{gc.pk}", password="pw", role="enterprise_admin", enterprise=gc)


def _project_data(gc):
    from decimal import Decimal

    from wageguard.core.models import Region

    return services.ProjectData(name="拟建项目", region=Region.objects.get(code="370102"), industry="building",
                                owner=EnterpriseFactory(), general_contractor=gc, contract_amount=Decimal("5000000"),
                                labour_cost_ratio=Decimal("0.2"))


def test_project_codes_are_generated_per_county_and_year(world):
    codes = [world.jinan_building.code, world.jinan_transport.code]
    assert codes[0].startswith("3701022026") and codes[1] == codes[0][:-4] + f"{int(codes[0][-4:]) + 1:04d}"


def test_project_must_be_in_a_county_and_ratio_sane(world):
    from decimal import Decimal

    from wageguard.core.models import Region

    data = _project_data(world.gc_a)
    data.region = Region.objects.get(code="370100")
    with pytest.raises(ServiceError) as err:
        services.project_file(actor=system_admin(), data=data)
    assert err.value.field == "region"
    data = _project_data(world.gc_a)
    data.labour_cost_ratio = Decimal("1.5")
    with pytest.raises(ServiceError) as err:
        services.project_file(actor=system_admin(), data=data)
    assert err.value.field == "labour_cost_ratio"
