"""Wage deposits: requirement and deadline, movements, certificates and their review, derived status."""
import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wageguard.accounts import services
from wageguard.accounts.deposits import DepositStatus, deposit_state
from wageguard.core import clock
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry

pytestmark = pytest.mark.django_db
D = datetime.date
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def pdf():
    return SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _late_2026():
    """The deposits' story is dated (a contract of September 2026, a refill in January 2027) and a deposit's rate
    follows the enterprise's clean years up to today: told on a day of that story, whatever day the suite runs."""
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 12, 2, 10))):
        yield


@pytest.fixture
def deposit(world):
    # 济南 历下区 building project of general contractor A, contract 12,000,000 yuan: 2 % = 240,000 yuan.
    return services.deposit_assess(actor=world.users["gc_a_admin"], project=world.jinan_building, contract_signed_on=D(2026, 9, 21))


def test_requirement_and_a_deadline_of_twenty_working_days_across_national_day(world, deposit):
    assert (deposit.required_amount, deposit.basis) == (Decimal("240000.00"), "standard")
    # 21 September + 20 working days: 25-27 September (Mid-Autumn) and 1-7 October off, Saturday 10 October worked.
    assert deposit.due_on == D(2026, 10, 26) and not deposit.due_provisional
    assert deposit_state(deposit, D(2026, 10, 26)).status == DepositStatus.PENDING
    assert deposit_state(deposit, D(2026, 10, 27)).status == DepositStatus.OVERDUE


# The rate following the enterprise's credit (two clean years, three, arrears): tests/test_credit.py.


@pytest.mark.parametrize("role", ["gc_b_admin", "sub_a_admin", "housing_jinan", "hrss_jinan_other_city", "worker", "bank_operator"])
def test_who_may_assess(world, role):
    from tests.factories import official

    user = official("u-hrss-qd", "370200", "hrss") if role == "hrss_jinan_other_city" else world.users[role]
    with pytest.raises(PermissionDenied):
        services.deposit_assess(actor=user, project=world.jinan_building, contract_signed_on=D(2026, 9, 21))


def test_lodging_drawdown_refill_deadline_and_refund_rules(world, deposit):
    hrss = world.users["hrss_jinan"]
    services.deposit_movement_record(actor=hrss, deposit=deposit, kind="lodge", amount=Decimal("240000.00"), on=D(2026, 10, 9))
    assert deposit_state(deposit, D(2026, 10, 30)).status == DepositStatus.SATISFIED
    services.deposit_movement_record(actor=hrss, deposit=deposit, kind="drawdown", amount=Decimal("40000.00"), on=D(2026, 12, 28))
    state = deposit_state(deposit, D(2027, 1, 5))
    assert state.status == DepositStatus.REFILL_DUE and state.held == Decimal("200000.00")
    assert state.refill_deadline.provisional  # 2027 is not in the official calendar yet: Monday-Friday assumed
    with pytest.raises(ServiceError) as err:
        services.deposit_movement_record(actor=hrss, deposit=deposit, kind="drawdown", amount=Decimal("999999.00"), on=D(2026, 12, 29))
    assert err.value.code == "insufficient_deposit" and err.value.field == "amount"
    with pytest.raises(ServiceError) as err:
        services.deposit_movement_record(actor=hrss, deposit=deposit, kind="refund", amount=Decimal("1.00"), on=D(2026, 12, 30))
    assert err.value.code == "project_not_completed"
    project = deposit.project
    project.status = "completed"
    project.save()
    services.deposit_refund_notice(actor=hrss, deposit=deposit, on=D(2027, 1, 4))
    with pytest.raises(ServiceError) as err:
        services.deposit_movement_record(actor=hrss, deposit=deposit, kind="refund", amount=Decimal("200000.00"), on=D(2027, 1, 20))
    assert err.value.code == "refund_notice"
    services.deposit_movement_record(actor=hrss, deposit=deposit, kind="refund", amount=Decimal("200000.00"), on=D(2027, 2, 5))
    assert deposit_state(deposit, D(2027, 2, 6)).status == DepositStatus.REFUNDED
    with pytest.raises(PermissionDenied):
        services.deposit_movement_record(actor=world.users["gc_a_admin"], deposit=deposit, kind="lodge", amount=Decimal("1.00"), on=D(2027, 2, 6))


def test_certificate_review_flow(world, deposit):
    gc, hrss = world.users["gc_a_admin"], world.users["hrss_jinan"]
    guarantee = services.certificate_upload(actor=gc, deposit=deposit, kind="guarantee", upload=pdf(), amount=Decimal("240000.00"))
    assert deposit_state(deposit, D(2026, 10, 30)).status == DepositStatus.OVERDUE  # not counted before approval
    with pytest.raises(PermissionDenied):
        services.certificate_review(actor=world.users["housing_jinan"], certificate=guarantee, approve=True)
    with pytest.raises(ServiceError) as err:
        services.certificate_review(actor=hrss, certificate=guarantee, approve=False)
    assert (err.value.code, err.value.field) == ("required", "reason")
    services.certificate_review(actor=hrss, certificate=guarantee, approve=True)
    assert deposit_state(deposit, D(2026, 10, 30)).status == DepositStatus.SATISFIED
    with pytest.raises(ServiceError) as err:
        services.certificate_review(actor=hrss, certificate=guarantee, approve=False, reason="again")
    assert err.value.code == "already_reviewed"
    bad = SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ServiceError) as err:
        services.certificate_upload(actor=gc, deposit=deposit, kind="exemption", upload=bad)
    assert (err.value.code, err.value.field) == ("file_type", "file")


def test_an_exemption_for_an_ineligible_project_is_flagged_for_the_reviewer(world, deposit):
    exemption = services.certificate_upload(actor=world.users["gc_a_admin"], deposit=deposit, kind="exemption", upload=pdf())
    assert deposit_state(deposit, D(2026, 10, 1)).flags == ("exemption_ineligible",)
    services.certificate_review(actor=world.users["hrss_jinan"], certificate=exemption, approve=False, reason="合同额超过300万元，不符合免缴条件")
    assert deposit_state(deposit, D(2026, 10, 1)).flags == ()


def _browser(world, role):
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(world.users[role])
    return browser


def test_deposit_pages_upload_and_review_through_the_console(world, deposit):
    gc = _browser(world, "gc_a_admin")
    answer = gc.post(f"/deposits/{deposit.pk}/certificates/", {"kind": "guarantee", "amount": "240000.00", "file": pdf()})
    assert answer.status_code == 302
    certificate = deposit.certificates.get()
    hrss = _browser(world, "hrss_jinan")
    page = hrss.get("/deposits/").content.decode()
    assert world.jinan_building.name in page and ("逾期未存储" in page or "待存储" in page)
    rejected = hrss.post(f"/deposits/{deposit.pk}/certificates/{certificate.pk}/review/", {"decision": "reject"}, follow=True)
    assert "驳回须说明原因" in rejected.content.decode()
    hrss.post(f"/deposits/{deposit.pk}/certificates/{certificate.pk}/review/", {"decision": "approve"})
    certificate.refresh_from_db()
    assert certificate.status == "approved"
    assert gc.get(f"/deposits/{deposit.pk}/certificates/{certificate.pk}/file").status_code == 200
    # Out of scope: another city's official and another contractor see nothing.
    assert _browser(world, "housing_qingdao").get(f"/deposits/{deposit.pk}/").status_code == 404
    assert _browser(world, "gc_b_admin").get(f"/deposits/{deposit.pk}/certificates/{certificate.pk}/file").status_code == 404
    # A contractor cannot record movements even by posting the form.
    gc.post(f"/deposits/{deposit.pk}/movements/", {"kind": "lodge", "amount": "240000", "on": "2026-10-01"})
    assert not deposit.movements.exists()
