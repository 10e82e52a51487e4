"""The worker's channel (issue 16): my work and pay, the one-tap complaint pre-filled with the worker's facts and
screened against the records, its routing, handling and escalation, and what each role sees."""
import datetime
from decimal import Decimal

import pytest
from django.test import Client

from wageguard.complaints import records, services
from wageguard.complaints.models import Complaint, ComplaintStatus
from wageguard.core import clock
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.credit.models import CreditRating
from wageguard.credit.services import ratings_refresh
from wageguard.registry import services as registry_services
from tests.factories import Machine, api_client, official, system_admin
from tests.test_payroll import _confirmed, attend, verify

pytestmark = pytest.mark.django_db
D = datetime.date
JUNE = "2026-06"
PHONE = "13912345678"


def at(day: datetime.date, hour: int = 10):
    return clock.travel(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


@pytest.fixture
def gate(world):
    return Machine(*api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code]))


@pytest.fixture
def worker_user(world):
    registry_services.worker_set_contact(actor=system_admin(), worker=world.sub_worker_emp.worker, phone=PHONE)
    return world.users["worker"]  # the labour subcontractor's worker on 济南 历下区's building project


def file(world, user, months=(JUNE,), kinds=("unpaid",), day=D(2026, 8, 3)):
    with at(day):
        return services.complaint_file(actor=user, project=world.jinan_building, kinds=list(kinds), months_claimed=list(months), text="六月工资没发")


def _pay(world, gate):
    payroll = _confirmed(world, gate)  # the subcontractor's worker: 2 days in June at 300 a day
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (fetched,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"]
    (line,) = fetched["lines"]
    verify(icbc, line, payroll.lines.get().worker.name)
    paid = {"client_record_id": "r1", "line_id": line["line_id"], "status": "paid", "amount": line["amount"], "card": line["card"],
            "bank_txn_id": "W1", "paid_at": "2026-07-08T10:00:00+08:00"}
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res-1", "records": [paid]}).json()["status"] == "applied"
    return payroll


# ---------------------------------------------------------------- facts and screening


def test_prefilled_facts_equal_the_ledger_and_the_banks_result_and_contradict_the_claim(world, gate, worker_user):
    _pay(world, gate)
    complaint = file(world, worker_user)
    (month,) = complaint.facts["months"]
    assert month == {"month": JUNE, "days_attended": 2, "days_claimed": 2, "net": "600.00", "paid": "600.00", "unpaid_estimate": "0.00"}
    assert complaint.facts["employer"] == world.sub_a.name and complaint.facts["contract"]["wage_rate"] == "300.00"
    (verdict,) = complaint.screening
    assert verdict["verdict"] == records.CONTRADICTED
    assert "600.00" in verdict["text"] and "2026-07-08" in verdict["text"] and "0128" in verdict["text"]


def test_attendance_without_pay_supports_the_claim_with_an_estimate_from_the_contract(world, gate, worker_user):
    attend(gate, world.sub_worker_emp, [1, 2, 3])
    complaint = file(world, worker_user)
    assert complaint.facts["months"][0]["unpaid_estimate"] == "900.00" and complaint.facts["unpaid_estimate"] == "900.00"
    (verdict,) = complaint.screening
    assert verdict["verdict"] == records.SUPPORTED and "3" in verdict["text"]


def test_a_month_without_records_and_the_contract_and_registration_claims(world, gate, worker_user):
    complaint = file(world, worker_user, months=("2026-05",), kinds=("unpaid", "no_contract", "no_real_name", "deductions"))
    verdicts = {v["claim"]: v["verdict"] for v in complaint.screening}
    assert verdicts == {"unpaid": records.NO_RECORDS, "no_contract": records.CONTRADICTED, "no_real_name": records.CONTRADICTED,
                        "deductions": records.NO_RECORDS}


def test_the_pre_fill_finds_the_months_with_attendance_and_no_paid_result(world, gate, worker_user):
    attend(gate, world.sub_worker_emp, [1, 2])
    with at(D(2026, 8, 3)):
        assert records.unpaid_months(worker_user.worker, world.jinan_building) == [JUNE]


# ---------------------------------------------------------------- routing, handling, escalation


def test_routed_to_the_county_labour_inspection_with_the_industry_copied_and_escalated_when_late(world, worker_user):
    complaint = file(world, worker_user)
    assert (complaint.department.region.code, complaint.department.agency) == ("370102", "hrss")
    assert (complaint.copied.region.code, complaint.copied.agency) == ("370102", "housing")
    assert complaint.due_at.date() == D(2026, 8, 17)  # 10 working days after Monday 3 August
    with clock.travel(complaint.due_at - datetime.timedelta(hours=1)):
        assert services.escalate_overdue() == 0
    with clock.travel(complaint.due_at + datetime.timedelta(hours=1)):
        assert services.escalate_overdue() == 1
    complaint.refresh_from_db()
    assert (complaint.level, complaint.department.region.code) == ("city", "370100")
    assert AuditEntry.objects.filter(action="complaint.escalated", object_id=str(complaint.pk)).exists()


def test_handling_steps_the_worker_reads(world, worker_user):
    complaint = file(world, worker_user)
    hrss = world.users["hrss_jinan"]
    for role in ("housing_lixia", "gc_a_admin", "sub_a_admin", "transport_jinan"):
        with pytest.raises(PermissionDenied):
            services.complaint_step(actor=world.users[role], complaint=complaint, step="accepted")
    services.complaint_step(actor=hrss, complaint=complaint, step="accepted")
    with pytest.raises(ServiceError):
        services.complaint_step(actor=hrss, complaint=complaint, step="resolved", note="")
    services.complaint_step(actor=hrss, complaint=complaint, step="investigating")
    services.complaint_answer(actor=world.users["sub_a_admin"], complaint=complaint, note="已于八月补发")
    complaint = services.complaint_step(actor=hrss, complaint=complaint, step="resolved", note="企业已补发六月工资900元")
    assert complaint.status == ComplaintStatus.RESOLVED
    with pytest.raises(ServiceError):
        services.complaint_step(actor=hrss, complaint=complaint, step="rejected", note="x")
    client = Client()
    client.force_login(worker_user)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "企业已补发六月工资900元" in page and "已于八月补发" in page


def test_an_upheld_complaint_counts_in_the_employers_rating(world, worker_user):
    complaint = file(world, worker_user)
    services.complaint_step(actor=world.users["hrss_jinan"], complaint=complaint, step="rejected", note="查无实据")
    ratings_refresh()
    assert not [line for line in CreditRating.objects.get(enterprise=world.sub_a).lines if line["key"] == "complaint_upheld"]
    complaint = file(world, worker_user)
    services.complaint_step(actor=world.users["hrss_jinan"], complaint=complaint, step="accepted")
    services.complaint_step(actor=world.users["hrss_jinan"], complaint=complaint, step="resolved", note="已责令补发")
    ratings_refresh()
    lines = {line["key"]: line for line in CreditRating.objects.get(enterprise=world.sub_a).lines}
    assert lines["complaint_upheld"]["count"] == 1 and lines["complaint_upheld"]["points"] == -5


# ---------------------------------------------------------------- who sees what


def test_what_each_role_sees(world, worker_user):
    complaint = file(world, worker_user)
    url = f"/complaints/{complaint.pk}/"
    expected = {"hrss_jinan": 200, "hrss_province": 200, "housing_lixia": 200, "sub_a_admin": 200, "transport_jinan": 404,
                "gc_b_admin": 404, "bank_operator": 404, "police": 404, "pboc_province": 404}
    client = Client()
    for role, status in expected.items():
        client.force_login(world.users[role])
        response = client.get(url)
        assert response.status_code == status, role
        if role == "sub_a_admin":
            assert PHONE not in response.content.decode() and worker_user.worker.name not in response.content.decode()
    client.force_login(world.users["hrss_jinan"])
    page = client.get(url).content.decode()
    assert PHONE not in page and "139****5678" in page  # masked on screen


def test_a_worker_complains_only_about_their_own_projects(world, worker_user):
    with pytest.raises(PermissionDenied):
        services.complaint_file(actor=worker_user, project=world.qingdao_building, kinds=["unpaid"], months_claimed=[JUNE])
    other = file(world, worker_user)
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    assert client.get(f"/complaints/{other.pk}/").status_code == 404  # the general contractor is not the employer named
    with pytest.raises(ServiceError) as bad_month:
        file(world, worker_user, months=("2027-13",))
    assert bad_month.value.field == "months"
    assert Complaint.objects.count() == 1


def test_an_official_records_a_complaint_received_by_phone(world, worker_user):
    with at(D(2026, 8, 3)):
        complaint = services.complaint_file(actor=world.users["hrss_jinan"], project=world.jinan_building, kinds=["unpaid"],
                                            months_claimed=[JUNE], worker=worker_user.worker, channel="phone")
    assert complaint.recorded_by == world.users["hrss_jinan"] and complaint.channel == "phone"
    with pytest.raises(PermissionDenied):
        services.complaint_file(actor=official("u-hrss-qd", "370200", "hrss"), project=world.jinan_building, kinds=["unpaid"],
                                worker=worker_user.worker, channel="phone")


# ---------------------------------------------------------------- the worker's pages


def test_the_calendar_matches_the_stored_attendance_days(world, gate, worker_user):
    attend(gate, world.sub_worker_emp, [1, 2])
    client = Client()
    client.force_login(worker_user)
    page = client.get("/me/", {"month": JUNE}).content.decode()
    assert page.count('class="on"') == 2 and "07:00–17:30" in page and "07:01–17:30" in page
    form = client.get("/me/complain/", {"project": world.jinan_building.pk, "month": JUNE}).content.decode()
    assert "600.00" in form  # 2 days × 300, estimated from the contract
    response = client.post("/me/complain/", {"project": world.jinan_building.pk, "months": [JUNE], "kinds": ["unpaid"], "text": "没发"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.screening[0]["verdict"] == records.SUPPORTED
    assert Decimal(complaint.facts["unpaid_estimate"]) == Decimal("600.00")


# ---------------------------------------------------------------- the site notice board


def test_the_notice_board_pdf_carries_a_qr_code_to_the_projects_public_page(world, settings):
    import pypdfium2
    import zxingcpp

    settings.WAGEGUARD_PUBLIC_URL = "https://wage.example.gov.cn"
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    response = client.get(f"/projects/{world.jinan_building.pk}/notice-board.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    page = pypdfium2.PdfDocument(response.content)[0]
    image = page.render(scale=1.5).to_pil()
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == f"https://wage.example.gov.cn/public/projects/{world.jinan_building.code}/"
    public = Client().get(f"/public/projects/{world.jinan_building.code}/")
    assert public.status_code == 200 and world.gc_a.name in public.content.decode()
    assert Client().get("/public/projects/NO-SUCH/").status_code == 404
    client.force_login(world.users["gc_b_admin"])  # not its project
    assert client.get(f"/projects/{world.jinan_building.pk}/notice-board.pdf").status_code == 404


def _board(client, code, **form):
    data = {"name": "张三", "kinds": ["unpaid", "no_real_name"], "months": [JUNE], "text": "没发工资", "action": "send", **form}
    return client.post(f"/public/projects/{code}/complain/", data)


@pytest.mark.parametrize("registered", [True, False])
def test_a_complaint_from_the_notice_board_without_an_account(world, worker_user, settings, registered):
    settings.WAGEGUARD_SMS_SENDER = "wageguard.core.sms.LogSender"
    from wageguard.registry.models import SignInCode
    from tests.factories import id_number

    typed = worker_user.worker.id_number if registered else id_number(birth=D(1990, 3, 3))
    proven = PHONE if registered else "13700001111"  # a registered worker is named only with their own phone
    client = Client()
    code = world.jinan_building.code
    sent = _board(client, code, id_number=typed, phone=proven).content.decode()
    shown = sent.split("验证码为")[1].strip()[:6]
    wrong = client.post(f"/public/projects/{code}/complain/", {"code": "000000" if shown != "000000" else "111111", "action": "verify"})
    assert wrong.status_code == 200 and not Complaint.objects.exists()
    SignInCode.objects.all().delete()  # past the resend pause
    _board(client, code, id_number=typed, phone=proven)
    page = client.post(f"/public/projects/{code}/complain/", {"code": "", "action": "verify"})
    assert not Complaint.objects.exists() and page.status_code == 200
    SignInCode.objects.all().delete()
    sent = _board(client, code, id_number=typed, phone=proven).content.decode()
    done = client.post(f"/public/projects/{code}/complain/", {"code": sent.split("验证码为")[1].strip()[:6], "action": "verify"}).content.decode()
    complaint = Complaint.objects.get()
    assert f"{complaint.pk}" in done and "劳动监察" in done  # the same answer, registered or not
    assert (complaint.worker_id is not None) is registered and complaint.channel == "board"
    verdicts = {v["claim"]: v["verdict"] for v in complaint.screening}
    assert verdicts["no_real_name"] == (records.CONTRADICTED if registered else records.SUPPORTED)
    assert complaint.enterprise == (world.sub_a if registered else world.gc_a)
    enterprise = Client()
    enterprise.force_login(world.users["sub_a_admin"] if registered else world.users["gc_a_admin"])
    body = enterprise.get(f"/complaints/{complaint.pk}/").content.decode()
    assert proven not in body and "张三" not in body and typed not in body and worker_user.worker.name not in body


def test_a_supported_unpaid_claim_makes_the_arrears_alert_urgent(world, gate, worker_user):
    from wageguard.alerts import engine
    from wageguard.alerts.models import Alert
    from wageguard.payroll import services as payroll_services

    attend(gate, world.sub_worker_emp, [1, 2])
    with at(D(2026, 7, 3)):
        payroll_services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.sub_a, month=JUNE)
    with at(D(2026, 8, 3)):
        engine.evaluate(["arrears"], engine.Scope.everything(), D(2026, 8, 3))
    alert = Alert.objects.get(rule="arrears", project=world.jinan_building, period=JUNE)
    complaint = file(world, worker_user, day=D(2026, 8, 4))  # Tuesday
    alert.refresh_from_db()
    assert complaint.screening[0]["verdict"] == records.SUPPORTED
    assert alert.facts["complaints"] == [complaint.pk] and alert.due_at.astimezone().date() == D(2026, 8, 5)
    assert alert.actions.filter(kind="updated").exists()


def test_the_inspection_records_a_call_from_its_console(world, worker_user, client):
    client.force_login(world.users["hrss_jinan"])
    data = {"channel": "phone", "project_code": world.jinan_building.code, "id_number": worker_user.worker.id_number, "kinds": ["unpaid"],
            "months": [JUNE], "text": "电话反映六月欠薪"}
    response = client.post("/complaints/record/", data)
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/complaints/{complaint.pk}/" and complaint.channel == "phone" and complaint.worker == worker_user.worker
    client.post("/complaints/record/", {**data, "id_number": "370102199001011237"})  # nobody on the project: the same refusal
    assert Complaint.objects.count() == 1
