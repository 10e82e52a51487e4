"""Trust, identities and wage cards: no insider rewrites an identity or redirects a wage (issue 13's findings,
each reproduced as the attacker tried it)."""
import io
import json

import pytest
from django.test import Client
from openpyxl import Workbook

from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.payroll import services as payroll_services
from wageguard.registry import excel, services
from wageguard.registry.models import Employment, IdCardReading, IdentityReview, WageCardChange, Worker
from tests.factories import Machine, api_client, reader_payload, system_admin

pytestmark = pytest.mark.django_db
READINGS = "/api/v1/workers/id-card-readings"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _read(client, payload, **extra):
    return client.post(READINGS, json.dumps({"payload": payload} | extra), content_type="application/json")


def _identity(worker):
    worker = Worker.objects.get(pk=worker.pk)
    return (worker.name, worker.address, worker.photo)


@pytest.mark.parametrize("role", ["worker", "bank_operator", "police", "pboc_province", "hrss_province", "housing_jinan"])
def test_a_reading_by_anyone_but_enterprise_staff_is_refused_and_nothing_is_kept(world, role):
    victim = world.gc_a_worker_emp.worker
    before, readings = _identity(victim), IdCardReading.objects.count()
    forged = reader_payload(id_number=victim.id_number, name="冒名者", address="别处", photo="QUJD")
    response = _read(_as(world.users[role]), forged, project_code=world.jinan_building.code)
    assert response.status_code == 403, response.content
    assert "created" not in response.json()  # nothing tells the caller whether the number is registered
    assert _identity(victim) == before and IdCardReading.objects.count() == readings


def test_a_differing_reading_by_a_rival_enterprise_is_kept_and_waits_for_the_county_hrss_review(world):
    victim = world.gc_a_worker_emp.worker  # employed by GC A in 济南
    before = _identity(victim)
    rival = world.users["gc_b_admin"]      # GC B, on its own 青岛 project
    forged = reader_payload(id_number=victim.id_number, name="冒名者", address="别处", photo="QUJD")
    answer = _read(_as(rival), forged, project_code=world.qingdao_building.code)
    assert answer.status_code == 201
    body = answer.json()
    # the answer looks as for a new worker: it tells nothing of the registered identity or its existence
    assert body["created"] is True and body["name"] == "冒名者" and body.get("identity_review") is None
    assert _identity(victim) == before
    review = IdentityReview.objects.get(worker=victim)
    # reviewed where the worker is known (their employment in 历下区), not in the county the rival chose
    assert review.region.code == "370102" and set(review.fields) >= {"name", "address", "photo"}
    from tests.factories import official

    with pytest.raises(PermissionDenied):
        services.identity_review_decide(actor=official("u-hrss-qd-county", "370202", "hrss"), review=review, approve=True)
    page = _as(world.users["hrss_jinan"]).get(f"/identity-reviews/{review.pk}/").content.decode()
    assert 'src="data:image/jpeg;base64,QUJD"' in page  # the reviewer compares the faces
    services.identity_review_decide(actor=world.users["hrss_jinan"], review=review, approve=False, reason="人证不符")
    assert _identity(victim) == before and IdentityReview.objects.get().status == "rejected"


def test_the_employer_sees_that_its_reading_waits_for_review(world):
    worker = world.gc_a_worker_emp.worker
    renewed = reader_payload(id_number=worker.id_number, name=worker.name, address="新住址", valid_until="20460101")
    body = _read(_as(world.users["gc_a_admin"]), renewed, project_code=world.jinan_building.code).json()
    assert body["created"] is False and body["identity_review"] == "pending"


def test_readings_are_capped_in_size_and_refusals_per_sender_per_day(world, settings):
    staff = _as(world.users["gc_a_admin"])
    code = world.jinan_building.code
    kept = IdCardReading.objects.count()
    huge = reader_payload(photo="A" * (400 * 1024))  # a 300 KB photo
    response = _read(staff, huge, project_code=code)
    assert (response.status_code, response.json()["field"]) == (413, "photo")
    assert IdCardReading.objects.count() == kept
    settings.READING_REFUSALS_PER_DAY = 3
    expired = reader_payload(valid_until="20200101")
    statuses = [_read(staff, expired, project_code=code).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    assert IdCardReading.objects.filter(accepted=False).count() == 3


def test_a_reading_names_a_project_of_the_caller(world):
    staff = _as(world.users["gc_a_admin"])
    assert _read(staff, reader_payload()).json()["field"] == "project_code"
    assert _read(staff, reader_payload(), project_code=world.qingdao_building.code).status_code == 404  # not its project
    officer = _as(world.users["wage_officer_jb"])  # a wage officer's own project by default
    assert _read(officer, reader_payload()).status_code == 201


def test_a_signed_reader_client_reads_for_its_projects_only(world):
    gate = Machine(*api_client(project_codes=[world.jinan_building.code]))
    payload = {"payload": reader_payload(), "device_id": "READER-1"}
    assert gate.post(READINGS, payload | {"project_code": world.qingdao_building.code}).status_code == 404
    answer = gate.post(READINGS, payload | {"project_code": world.jinan_building.code})
    assert answer.status_code == 201 and answer.json()["created"] is True
    reading = IdCardReading.objects.latest("id")
    assert (reading.sender_key, reading.project, reading.captured_by) == (gate.client.key_id, world.jinan_building, None)
    bank = Machine(*api_client(kind="bank", bank_code="ICBC"))
    assert bank.post(READINGS, payload | {"project_code": world.jinan_building.code}).status_code == 403


# ---------------------------------------------------------------- wage cards


def _roster_file(rows) -> bytes:
    workbook = Workbook()
    workbook.active.append([header for _k, header, _r in excel.COLUMNS])
    for row in rows:
        workbook.active.append([row.get(key, "") for key, _h, _r in excel.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(worker, enterprise, **extra):
    return {"name": worker.name, "id_number": worker.id_number, "sex": "男" if int(worker.id_number[16]) % 2 else "女",
            "enterprise_uscc": enterprise.uscc, "trade": "木工", "entered_on": "2026-06-01"} | extra


def test_a_rival_import_adds_a_second_site_but_never_the_identity_contacts_or_card(world):
    victim = world.gc_a_worker_emp.worker
    admin = system_admin()
    services.worker_set_contact(actor=admin, worker=victim, phone="13900000001", bank_card="6222021234567890128")
    victim.refresh_from_db()
    before = (victim.name, victim.address, victim.phone, victim.bank_card)
    rows = [_row(victim, world.gc_b, name="冒名者", phone="13900000002", bank_card="6217001234567890122", bank_name="某银行")]
    result = excel.import_roster(actor=world.users["gc_b_admin"], project=world.qingdao_building, data=_roster_file(rows))
    victim = Worker.objects.get(pk=victim.pk)
    assert (victim.name, victim.address, victim.phone, victim.bank_card) == before
    assert Employment.objects.with_overlap().get(worker=victim, project=world.qingdao_building).overlapping
    assert [n["row"] for n in result.notes] == [2, 2]
    assert not any(word in note["detail"] for note in result.notes for word in ("姓名", "住址", "name", "address"))  # nothing confirmed
    # and the rival gained nothing of the worker: not on its roster's personal data, no worker page, no ledger line
    rival = _as(world.users["gc_b_admin"])
    assert rival.get(f"/workers/{victim.pk}/").status_code == 404
    roster = rival.get(f"/api/v1/projects/{world.qingdao_building.code}/roster").json()
    assert victim.pk not in {line["worker_id"] for line in roster}
    payroll = payroll_services.payroll_build(actor=None, project=world.qingdao_building, enterprise=world.gc_b, month="2026-06")
    assert not payroll.lines.filter(worker=victim).exists()
    with pytest.raises(PermissionDenied):  # nor any say over the worker's contacts or card
        services.worker_set_contact(actor=world.users["gc_b_admin"], worker=victim, phone="13900000003")
    assert list(WageCardChange.objects.filter(worker=victim).values_list("channel", flat=True)) == ["first"]


def test_an_employer_changes_a_card_only_when_the_worker_confirms_it(world):
    worker_user = world.users["worker"]
    worker = worker_user.worker  # employed by the subcontractor on 济南 building
    admin, sub = system_admin(), world.users["sub_a_admin"]
    services.card_change_request(actor=admin, worker=worker, card="6222021234567890128")
    with pytest.raises(PermissionDenied):  # the general contractor B does not employ them
        services.card_change_request(actor=world.users["gc_b_admin"], worker=worker, card="6217001234567890122")
    change = services.card_change_request(actor=sub, worker=worker, card="6217001234567890122")
    assert change.status == "pending" and Worker.objects.get(pk=worker.pk).bank_card == "6222021234567890128"
    with pytest.raises(PermissionDenied):  # only the worker confirms
        services.card_change_confirm(actor=sub, change=change, password="pw")
    with pytest.raises(ServiceError) as wrong:
        services.card_change_confirm(actor=worker_user, change=change, password="not-my-password")
    assert wrong.value.code == "reauthentication_failed"
    services.card_change_confirm(actor=worker_user, change=change, password="pw")
    assert Worker.objects.get(pk=worker.pk).bank_card == "6217001234567890122"
    entries = AuditEntry.objects.filter(action__startswith="registry.card_change").values_list("after", flat=True)
    assert all("6217001234567890122" not in json.dumps(after) for after in entries)


def test_the_worker_changes_their_own_card_with_their_password_on_the_phone_page(world):
    user = world.users["worker"]
    phone = _as(user)
    url = f"/workers/{user.worker_id}/card/"
    phone.post(url, {"card": "6217001234567890122", "password": "wrong"})
    assert Worker.objects.get(pk=user.worker_id).bank_card == ""
    phone.post(url, {"card": "6217001234567890122", "password": "pw"})
    assert Worker.objects.get(pk=user.worker_id).bank_card == "6217001234567890122"
    page = phone.get(f"/workers/{user.worker_id}/").content.decode()
    assert "621700*********0122" in page and "6217001234567890122" not in page


def test_a_changed_card_is_a_named_warning_on_the_next_ledger(world):
    from tests.test_payroll import attend, gate as _gate  # noqa: F401

    worker = world.gc_a_worker_emp.worker
    services.card_change_request(actor=system_admin(), worker=worker, card="6222021234567890128")  # first card: no warning
    payroll = payroll_services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.gc_a, month="2026-06")
    assert payroll.lines.get(worker=worker).checks["card_changed"]["level"] == "ok"
    services.card_change_request(actor=world.users["hrss_province"], worker=worker, card="6217001234567890122")
    payroll = payroll_services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.gc_a, month="2026-06")
    check = payroll.lines.get(worker=worker).checks["card_changed"]
    assert check["level"] == "warning" and "official" in check["detail"]


def test_a_proposed_project_takes_no_roster_until_its_department_accepts_it(world):
    from wageguard.core.models import Region

    rival = world.users["gc_b_admin"]
    data = services.ProjectData(name="空壳项目", region=Region.objects.get(code="370102"), industry="building", owner=world.gc_a,
                                general_contractor=world.gc_b, contract_amount="1000000", labour_cost_ratio="0.2")
    shell = services.project_propose(actor=rival, data=data)
    victim = world.gc_a_worker_emp.worker
    assert _read(_as(rival), reader_payload(id_number=victim.id_number), project_code=shell.code).status_code == 403
    with pytest.raises(PermissionDenied):
        services.employment_enter(actor=rival, worker=victim, project=shell, enterprise=world.gc_b, trade="木工",
                                  entered_on=victim.employments.first().entered_on)
