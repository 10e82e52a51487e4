"""Trust, data: bank counterparties, files, exports and workbook uploads, and a bank's reach (issue 13's findings,
each reproduced as the attacker tried it)."""
import io
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.test import Client

from wageguard.alerts import services as alert_services
from wageguard.core.errors import ServiceError, ValidationFailed
from wageguard.core.models import AuditEntry
from wageguard.registry import excel, services
from tests.factories import Machine, api_client, pdf_upload, system_admin
from tests.test_bank_feed import opened, push, txn

pytestmark = pytest.mark.django_db
CARD = "6222021234567890128"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def account(world):
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    assert push(icbc, "accounts", [opened(world.jinan_building)])["status"] == "applied"
    push(icbc, "transactions", [txn(1, "100000.00", "100000.00"),
                                txn(2, "-600.00", "99400.00", purpose="wage_out", counterparty_name="欧阳小明", counterparty_account=CARD),
                                txn(3, "-50.00", "99350.00", purpose="transfer_out", counterparty_name="=HYPERLINK(\"http://x\",\"y\")")])
    return world.jinan_building.wage_accounts.get()


def _xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def test_counterparties_are_encrypted_masked_and_never_shown_to_pboc(world, account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT counterparty_name, counterparty_account FROM accounts_accounttransaction")
        stored = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "欧阳小明" not in stored and CARD not in stored  # encrypted at rest
    for role in ("pboc_province", "sub_a_admin", "housing_jinan"):
        page = _as(world.users[role]).get(f"/accounts/{account.pk}/").content.decode()
        assert "欧阳小明" not in page and CARD not in page and "欧***" in page, role
    pboc = _as(world.users["pboc_province"])
    sheet = _xlsx(pboc.get(f"/accounts/{account.pk}/transactions.xlsx?unmasked=1"))  # PBOC may never unmask
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "欧阳小明" not in values and CARD not in values
    assert not AuditEntry.objects.filter(action="accounts.transactions_export_unmasked").exists()
    hrss = _as(world.users["hrss_province"])  # may unmask: the full export, audited
    values = [c.value for row in _xlsx(hrss.get(f"/accounts/{account.pk}/transactions.xlsx?unmasked=1")).iter_rows() for c in row]
    assert "欧阳小明" in values and CARD in values
    assert AuditEntry.objects.filter(action="accounts.transactions_export_unmasked", actor=world.users["hrss_province"]).count() == 1


def test_a_bank_cannot_make_itself_the_payer_of_another_banks_project(world):
    ccb = Machine(*api_client(kind="bank", bank_code="CCB"))
    project = world.jinan_building
    # a rogue bank reports an account of its own for the project (another section to get past "one per section")
    answer = push(ccb, "accounts", [opened(project, account_number="6227000000009999", section="二标段")])
    assert answer["status"] == "applied"
    rogue = project.wage_accounts.get(number="6227000000009999")
    assert rogue.confirmed_at is None
    assert ccb.get("/api/v1/bank/payrolls").json()["payrolls"] == []  # no ledger is addressed to an unconfirmed account
    # it cannot move its account onto another project by "correcting" it either
    moved = push(ccb, "accounts", [opened(world.qingdao_building, account_number="6227000000009999", correction_reason="录错")])
    assert moved["results"][0]["reason"] == "account_moved"
    # the general contractor confirms the account it really opened; a rival or the bank cannot
    from wageguard.accounts.services import account_confirm
    from wageguard.core.errors import PermissionDenied

    for outsider in ("gc_b_admin", "bank_operator", "sub_a_admin", "pboc_province"):
        with pytest.raises(PermissionDenied):
            account_confirm(actor=world.users[outsider], account=rogue)
    page = _as(world.users["gc_a_admin"]).get(f"/accounts/{rogue.pk}/").content.decode()
    assert "待施工总承包企业确认" in page


def test_an_html_answer_named_pdf_is_refused_and_files_are_served_only_as_scoped_attachments(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wageguard.alerts.models import Alert
    from tests.test_alerts import claim_without_attendance, run

    gate = Machine(*api_client(project_codes=[world.jinan_building.code]))
    claim_without_attendance(world, gate)
    run("days_over_claimed")
    alert = Alert.objects.get(rule="days_over_claimed")
    gc = world.users["gc_a_admin"]
    evil = SimpleUploadedFile("evidence.html", b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>", content_type="text/html")
    with pytest.raises(ServiceError) as refused:
        alert_services.alert_answer(actor=gc, alert=alert, note="见附件", attachment=evil)
    assert (refused.value.code, refused.value.field) == ("file_active_content", "attachment")
    answer = alert_services.alert_answer(actor=gc, alert=alert, note="见附件", attachment=pdf_upload("evidence.html"))
    assert answer.attachment.name.endswith(".pdf") and "evidence" not in answer.attachment.name  # a server-made name
    url = f"/alerts/answers/{answer.pk}/attachment"
    assert Client().get(url).status_code == 302  # anonymous: to the sign-in
    assert _as(world.users["housing_qingdao"]).get(url).status_code == 404  # another city
    response = _as(world.users["housing_lixia"]).get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    assert Client().get(f"/media/{answer.attachment.name}").status_code == 404  # no public media route
    contract = services.contract_attach(actor=system_admin(), employment=world.gc_a_worker_emp, signed_on=world.gc_a_worker_emp.entered_on,
                                        wage_basis="daily", wage_rate="300", pay_day=15, upload=pdf_upload())
    assert _as(world.users["gc_b_admin"]).get(f"/contracts/{contract.pk}/file").status_code == 404
    assert _as(world.users["gc_a_admin"]).get(f"/contracts/{contract.pk}/file")["Content-Disposition"].startswith("attachment")


def test_exports_never_write_formulas(world, account):
    worker = world.gc_a_worker_emp.worker
    admin = system_admin()
    payload = {"name": "=HYPERLINK(\"http://evil\",\"点我\")", "sex": "男" if int(worker.id_number[16]) % 2 else "女",
               "birth_date": worker.id_number[6:14], "id_number": worker.id_number, "valid_until": "长期"}
    services.worker_register_from_reading(actor=admin, payload=payload)
    review = worker.identity_reviews.get()
    services.identity_review_decide(actor=admin, review=review, approve=True)
    roster = _xlsx(_as(world.users["gc_a_admin"]).get(f"/projects/{world.jinan_building.pk}/roster.xlsx"))
    transactions = _xlsx(_as(world.users["hrss_province"]).get(f"/accounts/{account.pk}/transactions.xlsx?unmasked=1"))
    cells = [c for sheet in (roster, transactions) for row in sheet.iter_rows() for c in row]
    formulaic = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in formulaic} >= {payload["name"], "=HYPERLINK(\"http://x\",\"y\")"}
    assert all(c.data_type == "s" for c in formulaic) and not any(c.data_type == "f" for c in cells)


def _bomb(part: str, size: int) -> bytes:
    """A workbook with the roster's headers whose `part` expands to `size` bytes from a few kilobytes."""
    workbook = openpyxl.Workbook()
    workbook.active.append([header for _k, header, _r in excel.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename) if item.filename != part else b"<x>" + b" " * size + b"</x>")
        if part not in source.namelist():
            target.writestr(part, b"<x>" + b" " * size + b"</x>")
    return out.getvalue()


@pytest.mark.parametrize("part,size", [("xl/sharedStrings.xml", 25 * 2**20), ("xl/styles.xml", 3 * 2**20),
                                       ("xl/worksheets/sheet1.xml", 60 * 2**20)])
def test_a_zip_bomb_roster_is_refused_before_it_is_parsed(world, part, size):
    data = _bomb(part, size)
    assert len(data) < 200_000
    with pytest.raises(ValidationFailed) as refused:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=data)
    assert refused.value.errors[0].code == "file_too_large"


def test_a_cell_over_a_thousand_characters_is_refused_naming_row_and_column(world):
    workbook = openpyxl.Workbook()
    workbook.active.append([header for _k, header, _r in excel.COLUMNS])
    workbook.active.append(["张" * 1001] + [""] * (len(excel.COLUMNS) - 1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValidationFailed) as refused:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=buffer.getvalue())
    error = refused.value.errors[0]
    assert (error.code, error.row, error.field) == ("cell_too_long", 2, "姓名")
