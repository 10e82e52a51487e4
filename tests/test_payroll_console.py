"""Payroll pages: reconciliation, the worker's payslip, the ledger's workflow through the console, exports and
the data scope of every role."""
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from wageguard.core.models import AuditEntry
from wageguard.payroll import selectors
from wageguard.payroll.models import Payroll
from tests.factories import Machine, api_client
from tests.test_bank_feed import push, txn
from tests.test_payroll import JUNE, _confirmed, attend, build, gate, verify  # noqa: F401  (gate is a fixture)

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def pay(icbc, lines, batch_id="pay", **overrides):
    """The bank verifies each card's holder (the worker), then pays."""
    for line in lines:
        if line.get("card_holder", "pending") == "pending":
            verify(icbc, line, line["name"])
    records = [{"client_record_id": f"r{n}", "line_id": line["line_id"], "status": "paid", "amount": line["amount"],
                "card": line["card"], "bank_txn_id": f"W{n}", "paid_at": "2026-07-05T10:00:00+08:00"} | overrides
               for n, line in enumerate(lines)]
    return icbc.post("/api/v1/bank/payroll-results", {"batch_id": batch_id, "mode": "partial", "records": records}).json()


@pytest.fixture
def paid(world, gate):
    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    lines = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    assert pay(icbc, lines)["status"] == "applied"
    return payroll, icbc


def wage_debit(seq, txn_id, amount, balance, day="2026-07-05"):
    return txn(seq, amount, balance, "wage_out", account_number="9001", bank_txn_id=txn_id, booked_at=f"{day}T10:00:00+08:00")


def test_reconciliation_balances_when_ledger_results_and_debits_agree(world, paid):
    payroll, icbc = paid
    push(icbc, "transactions", [txn(1, "10000.00", "10000.00", account_number="9001", booked_at="2026-07-01T09:00:00+08:00"),
                                wage_debit(2, "W0", "-600.00", "9400.00")])
    report = selectors.reconciliation(user=world.users["gc_a_admin"], project_pk=world.jinan_building.pk, month=JUNE)
    assert (report.ledger_net, report.paid, report.debits) == (Decimal("600.00"),) * 3
    assert report.balanced and report.differences == []


def test_reconciliation_shows_each_difference_with_the_line_or_transaction_behind_it(world, paid):
    payroll, icbc = paid
    push(icbc, "transactions", [txn(1, "10000.00", "10000.00", account_number="9001", booked_at="2026-07-01T09:00:00+08:00"),
                                wage_debit(2, "W0", "-650.00", "9350.00"),          # more than the bank reported paying
                                wage_debit(3, "X77", "-2000.00", "7350.00", "2026-07-20")])  # a wage debit with no ledger line
    report = selectors.reconciliation(user=world.users["gc_a_admin"], project_pk=world.jinan_building.pk, month=JUNE)
    kinds = {d.kind: d for d in report.differences}
    assert set(kinds) == {"amount_differs", "debit_without_line"} and not report.balanced
    assert kinds["amount_differs"].line.worker == world.sub_worker_emp.worker and kinds["amount_differs"].amount == Decimal("50.00")
    assert kinds["debit_without_line"].transaction.bank_txn_id == "X77"
    assert report.debits == Decimal("2650.00")
    page = signed_in(world.users["gc_a_admin"]).get(f"/payroll/reconciliation/{world.jinan_building.pk}/{JUNE}/")
    assert page.status_code == 200 and "X77" in page.content.decode()


def test_reconciliation_lists_unpaid_failed_and_undebited_lines(world, gate):
    payroll = _confirmed(world, gate)
    report = selectors.reconciliation(user=world.users["gc_a_admin"], project_pk=world.jinan_building.pk, month=JUNE)
    assert [d.kind for d in report.differences] == ["unpaid"]
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    lines = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    pay(icbc, lines)  # paid, but no wage_out debit arrives
    report = selectors.reconciliation(user=world.users["gc_a_admin"], project_pk=world.jinan_building.pk, month=JUNE)
    assert [d.kind for d in report.differences] == ["no_debit"] and report.debits == 0


def test_a_worker_sees_only_their_own_payslip(world, paid):
    worker_user = world.users["worker"]  # the subcontractor's worker paid above
    worker_user.worker.refresh_from_db()
    page = signed_in(worker_user).get("/payslips/")
    body = page.content.decode()
    assert page.status_code == 200 and "600.00" in body and world.jinan_building.name in body
    assert "****" in body and worker_user.worker.bank_card and worker_user.worker.bank_card not in body  # card masked
    assert [line.worker_id for line in selectors.payslips(user=worker_user)] == [worker_user.worker_id]
    assert selectors.payslips(user=world.users["gc_a_admin"]).count() == 0  # not a worker: no payslips
    payroll, _icbc = paid
    assert signed_in(worker_user).get(f"/payroll/{payroll.pk}/").status_code == 404


def test_drafts_are_not_shown_on_a_payslip(world, gate):
    attend(gate, world.sub_worker_emp, [1, 2])
    from wageguard.payroll import services
    services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.sub_a, month=JUNE)
    assert selectors.payslips(user=world.users["worker"]).count() == 0


SCOPE = {  # role -> sees the jinan_building ledger of the subcontractor, and its lines
    "platform_admin": (True, True), "hrss_province": (True, True), "hrss_jinan": (True, True), "housing_lixia": (True, True),
    "housing_qingdao": (False, False), "transport_jinan": (False, False), "pboc_province": (True, False), "police": (False, False),
    "gc_a_admin": (True, True), "sub_a_admin": (True, True), "gc_b_admin": (False, False), "wage_officer_jb": (True, True),
    "bank_operator": (True, False), "worker": (False, False),
}


@pytest.mark.parametrize("role", sorted(SCOPE))
def test_each_role_sees_the_ledgers_and_lines_of_its_scope(world, paid, role):
    payroll, _icbc = paid
    user = world.users[role]
    sees, sees_lines = SCOPE[role]
    assert selectors.payrolls_for(user).filter(pk=payroll.pk).exists() is sees
    client = signed_in(user)
    page = client.get(f"/payroll/{payroll.pk}/")
    assert page.status_code == (200 if sees else 404)
    name = world.sub_worker_emp.worker.name
    if sees:
        assert (name in page.content.decode()) is sees_lines
        assert client.get(f"/payroll/{payroll.pk}/ledger.xlsx").status_code == (200 if sees_lines else 404)
    table = client.get("/payroll/export.xlsx")
    if role in ("worker", "police"):
        return
    rows = list(openpyxl.load_workbook(io.BytesIO(table.content)).active.iter_rows(min_row=2, values_only=True))
    assert (payroll.project.code in [r[0] for r in rows]) is sees


def test_the_statutory_ledger_has_the_regulation_fields_and_unmasked_reads_are_audited(world, paid):
    payroll, _icbc = paid
    client = signed_in(world.users["gc_a_admin"])
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/payroll/{payroll.pk}/ledger.xlsx").content)).active
    header = [c.value for c in sheet[1]]
    for column in ("用人单位名称", "支付周期", "支付日期", "姓名", "身份证号码", "联系方式", "出勤天数", "应发工资（元）", "扣除项目及金额",
                   "实发工资（元）", "银行代发凭证号"):
        assert column in header
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert row["姓名"] == world.sub_worker_emp.worker.name and row["银行代发凭证号"] == "W0" and "*" in row["身份证号码"]
    unmasked = openpyxl.load_workbook(io.BytesIO(client.get(f"/payroll/{payroll.pk}/ledger.xlsx?unmasked=1").content)).active
    assert dict(zip(header, [c.value for c in unmasked[2]]))["身份证号码"] == world.sub_worker_emp.worker.id_number
    assert AuditEntry.objects.filter(action="payroll.ledger_export_unmasked").count() == 1


def test_the_disbursement_table_filters(world, paid):
    client = signed_in(world.users["hrss_province"])
    assert world.jinan_building.name in client.get("/payroll/?region=370100&month=2026-06").content.decode()
    assert world.jinan_building.name not in client.get("/payroll/?region=370200").content.decode()
    assert world.jinan_building.name not in client.get("/payroll/?status=draft").content.decode()
    rows = list(selectors.disbursement_table(user=world.users["hrss_province"]))
    assert [(r.workers, r.net_total, r.paid_total, r.failed) for r in rows] == [(1, Decimal("600.00"), Decimal("600.00"), 0)]


def test_the_console_walks_a_ledger_from_build_to_confirmation(world, gate):
    attend(gate, world.sub_worker_emp, [1, 2, 3])
    sub, gc = signed_in(world.users["sub_a_admin"]), signed_in(world.users["gc_a_admin"])
    built = sub.post("/payroll/build/", {"project": world.jinan_building.pk, "month": JUNE})
    payroll = Payroll.objects.get(enterprise=world.sub_a)
    assert built.status_code == 302 and built["Location"] == f"/payroll/{payroll.pk}/"
    line = payroll.lines.get()
    sub.post(f"/payroll/lines/{line.pk}/adjust/", {"days_claimed": "3", "deductions": "借支 100\n伙食费：50.5", "reason": "班组报送"})
    line.refresh_from_db()
    assert line.deductions == [{"reason": "借支", "amount": "100.00"}, {"reason": "伙食费", "amount": "50.50"}]
    refused = sub.post(f"/payroll/lines/{line.pk}/adjust/", {"deductions": "借支 abc", "reason": "x"}, follow=True)
    assert "借支 200" in refused.content.decode()  # the error explains the expected form
    assert gc.post(f"/payroll/{payroll.pk}/confirm/").status_code == 302
    payroll.refresh_from_db()
    assert payroll.status == "draft"  # a draft cannot be confirmed; the page says why
    sub.post(f"/payroll/{payroll.pk}/submit/")
    gc.post(f"/payroll/{payroll.pk}/confirm/")
    payroll.refresh_from_db()
    assert payroll.status == "confirmed"
    assert signed_in(world.users["gc_b_admin"]).post(f"/payroll/{payroll.pk}/submit/").status_code == 404
    assert sub.get(f"/payroll/{payroll.pk}/").status_code == 200
    assert sub.post("/payroll/build/", {"project": world.qingdao_building.pk, "month": JUNE}).status_code == 404
    assert re.search(r"payroll\.(submitted|confirmed)", " ".join(AuditEntry.objects.values_list("action", flat=True)))
