"""Test data built through the real services (never hand-inserted rows)."""
from __future__ import annotations

import datetime
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

import factory

from wageguard.core.models import Agency, Department, Region, Role
from wageguard.core.services import user_create
from wageguard.registry import services
from wageguard.registry.models import Enterprise, EnterpriseKind, ParticipationRole, Project
from wageguard.simulate.generator import make_id_number, make_uscc

_rng = random.Random(12345)
_counter = itertools.count(1)


def system_admin():
    from wageguard.core.models import User

    return User.objects.filter(username="test-system").first() or user_create(
        username="test-system", password="x", role=Role.PLATFORM_ADMIN)


def id_number(sex: str = "male", province: str = "37", birth: datetime.date = datetime.date(1985, 6, 15)) -> str:
    return make_id_number(_rng, province, birth, sex)


def reader_payload(**overrides) -> dict:
    number = overrides.pop("id_number", None) or id_number()
    payload = {
        "name": f"工人{next(_counter)}", "sex": "男" if int(number[16]) % 2 else "女", "ethnicity": "汉",
        "birth_date": number[6:14], "address": "山东省济南市历下区某路1号", "id_number": number,
        "issuing_authority": "济南市公安局历下分局", "valid_from": "20200101", "valid_until": "20400101",
    }
    payload.update(overrides)
    return payload


class EnterpriseFactory(factory.Factory):
    class Meta:
        model = Enterprise

    uscc = factory.LazyFunction(lambda: make_uscc(_rng, "370102"))
    name = factory.Sequence(lambda n: f"测试建设{n}有限公司")
    kind = EnterpriseKind.CONSTRUCTION

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.enterprise_register(actor=system_admin(), **kwargs)


def project(*, county: str, industry: str, gc: Enterprise, owner: Enterprise | None = None, onboard: bool = True,
            subcontractors: tuple[Enterprise, ...] = ()) -> Project:
    admin = system_admin()
    data = services.ProjectData(
        name=f"测试项目{next(_counter)}", region=Region.objects.get(code=county), industry=industry,
        owner=owner or EnterpriseFactory(kind=EnterpriseKind.DEVELOPER), general_contractor=gc,
        contract_amount=Decimal("12000000"), labour_cost_ratio=Decimal("0.25"),
        started_on=datetime.date(2026, 1, 1), planned_end=datetime.date(2027, 12, 31),
    )
    p = services.project_file(actor=admin, data=data)
    for sub in subcontractors:
        services.participation_add(actor=admin, project=p, enterprise=sub, role=ParticipationRole.LABOUR_SUBCONTRACTOR)
    if onboard:
        for participation in p.participations.all():
            services.participation_review(actor=admin, participation=participation, approve=True)
        p = services.project_onboard(actor=admin, project=p)
    return p


def employ(project: Project, enterprise: Enterprise, *, entered_on=datetime.date(2026, 3, 1), contract: bool = True, **payload):
    admin = system_admin()
    worker, _ = services.worker_register_from_reading(actor=admin, payload=reader_payload(**payload))
    result = services.employment_enter(actor=admin, worker=worker, project=project, enterprise=enterprise,
                                       trade="钢筋工", entered_on=entered_on)
    if contract:
        services.contract_attach(actor=admin, employment=result.employment, signed_on=entered_on, wage_basis="daily",
                                 wage_rate="300", pay_day=15)
    return result.employment


def official(username: str, region_code: str, agency: str, **kw):
    department = Department.objects.get(region__code=region_code, agency=agency)
    role = Role.POLICE if agency == Agency.POLICE else Role.OFFICIAL
    return user_create(username=username, password="pw", role=role, department=department, **kw)


@dataclass
class World:
    """Two cities, two industries, two contractors and a subcontractor: enough to test every scope."""

    gc_a: Enterprise
    gc_b: Enterprise
    sub_a: Enterprise
    jinan_building: Project      # 济南 历下区, building, GC A with subcontractor
    jinan_transport: Project     # 济南 历下区, transport, GC B
    qingdao_building: Project    # 青岛 市南区, building, GC B
    gc_a_worker_emp: object
    sub_worker_emp: object
    qingdao_emp: object
    users: dict = field(default_factory=dict)

    @classmethod
    def build(cls) -> "World":
        gc_a, gc_b, sub_a = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory(kind=EnterpriseKind.LABOUR_SERVICE)
        jb = project(county="370102", industry="building", gc=gc_a, subcontractors=(sub_a,))
        jt = project(county="370102", industry="transport", gc=gc_b)
        qb = project(county="370202", industry="building", gc=gc_b)
        w = cls(gc_a, gc_b, sub_a, jb, jt, qb, employ(jb, gc_a), employ(jb, sub_a), employ(qb, gc_b))
        employ(jt, gc_b)
        w.users = {
            "platform_admin": user_create(username="u-admin", password="pw", role=Role.PLATFORM_ADMIN),
            "hrss_province": official("u-hrss-prov", "370000", Agency.HRSS, unmask_pii=True),
            "hrss_jinan": official("u-hrss-jinan", "370100", Agency.HRSS),
            "housing_jinan": official("u-housing-jinan", "370100", Agency.HOUSING),
            "housing_lixia": official("u-housing-lixia", "370102", Agency.HOUSING),
            "transport_jinan": official("u-transport-jinan", "370100", Agency.TRANSPORT),
            "housing_qingdao": official("u-housing-qingdao", "370200", Agency.HOUSING),
            "pboc_province": official("u-pboc", "370000", Agency.PBOC),
            "police": official("u-police", "370000", Agency.POLICE),
            "gc_a_admin": user_create(username="u-gc-a", password="pw", role=Role.ENTERPRISE_ADMIN, enterprise=gc_a, unmask_pii=True),
            "sub_a_admin": user_create(username="u-sub-a", password="pw", role=Role.ENTERPRISE_ADMIN, enterprise=sub_a),
            "gc_b_admin": user_create(username="u-gc-b", password="pw", role=Role.ENTERPRISE_ADMIN, enterprise=gc_b),
            "wage_officer_jb": user_create(username="u-wo", password="pw", role=Role.WAGE_OFFICER, enterprise=gc_a, project=jb),
            "bank_operator": user_create(username="u-bank", password="pw", role=Role.BANK_OPERATOR, bank_code="ICBC"),
            "worker": user_create(username="u-worker", password="pw", role=Role.WORKER, worker=w.sub_worker_emp.worker),
        }
        return w


# ---------------------------------------------------------------- machine clients and punches

import json as _json

from django.test import Client as _DjangoClient

from wageguard.core import clock as _clock
from wageguard.exchange.client import Client as SigningClient


def api_client(kind: str = "gate_system", **scope):
    from wageguard.exchange.services import apiclient_create

    client, secret = apiclient_create(actor=None, kind=kind, **scope)
    return client, secret


class Machine:
    """A machine client in tests: signs with the shipped client, sends through Django's test client."""

    def __init__(self, client, secret: str):
        self.client, self.secret = client, secret
        # Signs at the platform's moment, so a test travelling in time (or a suite run under WAGEGUARD_CLOCK)
        # sends requests the platform finds fresh.
        self.signer = SigningClient("http://testserver", client.key_id, secret, clock=lambda: _clock.now().timestamp())
        self.http = _DjangoClient()

    def post(self, path: str, payload, *, headers: dict | None = None, body: bytes | None = None):
        body = body if body is not None else _json.dumps(payload, ensure_ascii=False).encode()
        signed = self.signer.headers("POST", path, "", body)
        signed.update(headers or {})
        return self.http.post(path, body, content_type="application/json", headers=signed)

    def get(self, path: str, query: str = ""):
        signed = self.signer.headers("GET", path, query, b"")
        return self.http.get(path + (f"?{query}" if query else ""), headers=signed)


def punch(employment, *, at: str = "2026-06-01T07:58:00+08:00", device: str = "GATE-1", direction: str = "in",
          method: str = "face", record_id: str | None = None, **extra) -> dict:
    record = {"client_record_id": record_id or f"r-{next(_counter)}", "id_number": employment.worker.id_number,
              "project_code": employment.project.code, "device_id": device, "occurred_at": at, "direction": direction,
              "method": method}
    record.update(extra)
    return record


# ---------------------------------------------------------------- two scopes for the access walker

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def pdf_upload(name: str = "doc.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@dataclass
class Scope:
    """One city's world: a project with a general contractor and a labour subcontractor, a worker with a card,
    attendance, a dedicated account at the scope's bank, a ledger with a line, an alert, a deposit with a
    certificate, an import job and a gate client; and one person of every role, all of that city or bank."""

    name: str
    users: dict
    objects: dict  # model label -> an object of this scope


def build_scope(name: str, *, county: str, city: str, bank_code: str, account_number: str, card: str) -> Scope:
    import io

    from openpyxl import Workbook

    from wageguard.accounts import services as account_services
    from wageguard.alerts import engine
    from wageguard.exchange.models import ApiClient
    from wageguard.payroll import services as payroll_services
    from wageguard.registry import excel

    admin = system_admin()
    gc, sub = EnterpriseFactory(), EnterpriseFactory(kind=EnterpriseKind.LABOUR_SERVICE)
    p = project(county=county, industry="building", gc=gc, subcontractors=(sub,))
    employment = employ(p, sub, entered_on=datetime.date(2026, 5, 1))
    worker = services.worker_set_contact(actor=admin, worker=employment.worker, bank_card=card, bank_name="测试银行")
    gate_client, gate_secret = api_client(project_codes=[p.code])
    gate = Machine(gate_client, gate_secret)
    records = []
    for day in (1, 2, 3):
        records += [punch(employment, at=f"2026-06-{day:02d}T07:30:00+08:00", record_id=f"{name}-{day}-in"),
                    punch(employment, at=f"2026-06-{day:02d}T17:30:00+08:00", direction="out", record_id=f"{name}-{day}-out")]
    assert gate.post("/api/v1/attendance/batches", {"batch_id": f"{name}-june", "records": records}).status_code == 200
    bank = Machine(*api_client(kind="bank", bank_code=bank_code))
    gc_user = p.general_contractor
    account = {"client_record_id": f"{name}-acct", "project_code": p.code, "holder_uscc": gc_user.uscc, "account_number": account_number,
               "account_name": f"{gc_user.name}{p.name}农民工工资专用账户", "opened_on": "2026-03-10"}
    assert bank.post("/api/v1/bank/accounts", {"batch_id": f"{name}-accounts", "records": [account]}).status_code == 200
    payroll = payroll_services.payroll_build(actor=None, project=p, enterprise=sub, month="2026-06")
    line = payroll.lines.get(worker=worker)
    payroll_services.line_adjust(actor=admin, line=line, days_claimed=5, reason="班组长报送")
    engine.evaluate(["days_over_claimed"], engine.Scope.everything(), datetime.date(2026, 7, 3))
    from wageguard.alerts.models import Alert

    alert = Alert.objects.get(rule="days_over_claimed", project=p)
    users = {
        "housing_county": official(f"{name}-housing", county, Agency.HOUSING),
        "hrss_city": official(f"{name}-hrss", city, Agency.HRSS, unmask_pii=True),
        "pboc_city": official(f"{name}-pboc", city, Agency.PBOC),
        "police_city": official(f"{name}-police", city, Agency.POLICE),
        "gc_admin": user_create(username=f"{name}-gc", password="pw", role=Role.ENTERPRISE_ADMIN, enterprise=gc, unmask_pii=True),
        "sub_admin": user_create(username=f"{name}-sub", password="pw", role=Role.ENTERPRISE_ADMIN, enterprise=sub),
        "wage_officer": user_create(username=f"{name}-wo", password="pw", role=Role.WAGE_OFFICER, enterprise=gc, project=p),
        "bank_operator": user_create(username=f"{name}-bank", password="pw", role=Role.BANK_OPERATOR, bank_code=bank_code),
        "worker": user_create(username=f"{name}-worker", password="pw", role=Role.WORKER, worker=worker),
    }
    deposit = account_services.deposit_assess(actor=admin, project=p, contract_signed_on=datetime.date(2026, 3, 1))
    certificate = account_services.certificate_upload(actor=users["gc_admin"], deposit=deposit, kind="exemption", upload=pdf_upload())
    workbook = Workbook()
    workbook.active.append([header for _k, header, _r in excel.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = services.roster_import_start(actor=users["gc_admin"], project=p,
                                       upload=SimpleUploadedFile("roster.xlsx", buffer.getvalue()))
    contract = services.contract_attach(actor=admin, employment=employment, signed_on=datetime.date(2026, 5, 1), wage_basis="daily",
                                        wage_rate="300", pay_day=15, upload=pdf_upload("contract.pdf"))
    from wageguard.alerts import services as alert_services

    answer = alert_services.alert_answer(actor=users["sub_admin"], alert=alert, note="已核实", attachment=pdf_upload("answer.pdf"))
    reread = reader_payload(id_number=worker.id_number, name=worker.name, address="另一个住址")
    services.worker_register_from_reading(actor=users["sub_admin"], payload=reread, project=p)
    change = services.card_change_request(actor=users["sub_admin"], worker=worker, card=another_card(card))
    from wageguard.credit import evidence as credit_evidence
    from wageguard.credit import services as credit_services

    record = credit_services.record_propose(actor=users["hrss_city"], kind="blacklist", enterprise=gc, project=p, facts="拖欠工资",
                                            legal_basis="人社部令第45号第五条")
    record = credit_services.record_notify(actor=users["hrss_city"], record=record)
    objection = credit_services.record_object(actor=users["gc_admin"], record=record, note="异议", attachment=pdf_upload("objection.pdf"))
    credit_services.ratings_refresh()
    evidence_request = credit_evidence.evidence_request(actor=users["police_city"], subject_type="project", project_code=p.code,
                                                        case_number=f"{name}-case-1", reason="涉嫌拒不支付劳动报酬罪")
    from wageguard.complaints import services as complaint_services

    complaint = complaint_services.complaint_file(actor=users["worker"], project=p, kinds=["unpaid"], months_claimed=["2026-06"])
    complaint_answer = complaint_services.complaint_answer(actor=users["sub_admin"], complaint=complaint, note="已核实",
                                                           attachment=pdf_upload("reply.pdf"))
    from wageguard.core.models import Region
    from wageguard.stats import reports

    (report,) = reports.generate("2026-06", regions=[Region.objects.get(code=city)])
    objects = {
        "stats.monthlyreport": report,
        "complaints.complaint": complaint, "complaints.complaintaction": complaint_answer,
        "registry.enterprise": gc, "credit.creditrecord": record, "credit.creditaction": objection, "credit.evidencerequest": evidence_request,
        "registry.project": p, "registry.employment": employment, "registry.worker": worker,
        "registry.identityreview": worker.identity_reviews.get(), "registry.wagecardchange": change,
        "registry.labourcontract": contract, "alerts.alertaction": answer,
        "registry.participation": p.participations.get(enterprise=sub), "registry.importjob": job,
        "accounts.wageaccount": p.wage_accounts.get(), "accounts.wagedeposit": deposit, "accounts.depositcertificate": certificate,
        "payroll.payroll": payroll, "payroll.payrollline": line, "alerts.alert": alert,
        "exchange.apiclient": ApiClient.objects.get(pk=gate_client.pk),
    }
    return Scope(name, users, objects)


def another_card(card: str) -> str:
    """A different valid card number of the same length (Luhn check digit recomputed)."""
    from stdnum import luhn

    body = card[:-2] + str((int(card[-2]) + 1) % 10)
    return body + luhn.calc_check_digit(body)


def two_scopes() -> tuple[Scope, Scope]:
    """济南 (历下区, ICBC) and 青岛 (市南区, CCB)."""
    return (build_scope("a", county="370102", city="370100", bank_code="ICBC", account_number="6222000011110001",
                        card="6222021234567890128"),
            build_scope("b", county="370202", city="370200", bank_code="CCB", account_number="6227000022220002",
                        card="6217001234567890122"))
