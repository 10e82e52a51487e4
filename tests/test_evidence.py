"""Police evidence packages: request, HRSS approval, the signed package (verifies; fails after any change), its
encryption at rest, the audit trail, and who may do what."""
import csv
import datetime
import io
import json
import struct
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from wageguard.core.errors import NotFound, PermissionDenied, ServiceError
from wageguard.core.models import Agency, AuditEntry
from wageguard.credit import evidence
from wageguard.credit.models import CreditAction, CreditRecord, EvidenceRequest, EvidenceStatus
from tests.factories import Machine, api_client, employ, official, punch, system_admin, two_scopes

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the world: two cities with a paid ledger in 济南


def _pay_the_line(scope, bank):
    """The scope's ledger line corrected, submitted, confirmed, fetched, the card holder checked and paid."""
    from wageguard.accounts import services as account_services
    from wageguard.payroll import services as payroll_services

    admin = system_admin()
    payroll, line = scope.objects["payroll.payroll"], scope.objects["payroll.payrollline"]
    account_services.account_confirm(actor=admin, account=scope.objects["accounts.wageaccount"])
    payroll_services.line_adjust(actor=admin, line=line, days_claimed=3, reason="按考勤更正")
    payroll_services.payroll_submit(actor=scope.users["sub_admin"], payroll=payroll)
    payroll_services.payroll_confirm(actor=scope.users["gc_admin"], payroll=payroll)
    (fetched,) = bank.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    check = {"client_record_id": "v1", "line_id": fetched["line_id"], "card": fetched["card"], "holder_name": line.worker.name,
             "holder_id_number": line.worker.id_number}
    assert bank.post("/api/v1/bank/card-verifications", {"batch_id": "v1", "records": [check]}).json()["status"] == "applied"
    paid = {"client_record_id": "r1", "line_id": fetched["line_id"], "status": "paid", "amount": fetched["amount"], "card": fetched["card"],
            "bank_txn_id": "W0001", "paid_at": "2026-07-05T10:00:00+08:00"}
    assert bank.post("/api/v1/bank/payroll-results", {"batch_id": "r1", "records": [paid]}).json()["status"] == "applied"
    return fetched


def _transactions(scope, bank, wage):
    account, paid = scope.objects["accounts.wageaccount"], Decimal(wage["amount"])
    base = {"account_number": account.number, "counterparty_name": "业主单位"}
    records = [base | {"client_record_id": "t1", "bank_txn_id": "T0001", "sequence": 1, "booked_at": "2026-06-20T10:00:00+08:00",
                       "amount": "100000.00", "purpose": "labour_cost_in", "balance_after": "100000.00"},
               base | {"client_record_id": "t2", "bank_txn_id": "W0001", "sequence": 2, "booked_at": "2026-07-05T10:00:00+08:00",
                       "amount": f"-{wage['amount']}", "purpose": "wage_out", "counterparty_name": scope.objects["registry.worker"].name,
                       "counterparty_account": wage["card"], "balance_after": str(100000 - paid)},
               base | {"client_record_id": "t3", "bank_txn_id": "F0001", "sequence": 3, "booked_at": "2026-07-06T10:00:00+08:00",
                       "amount": "-10.00", "purpose": "fee", "counterparty_name": "=HYPERLINK(\"x\")",
                       "balance_after": str(100000 - paid - 10)}]
    answer = bank.post("/api/v1/bank/transactions", {"batch_id": "txns", "records": records}).json()
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 3, answer


@pytest.fixture
def scopes():
    from wageguard.credit import services as credit_services

    a, b = two_scopes()
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    _transactions(a, icbc, _pay_the_line(a, icbc))
    project = a.objects["registry.project"]
    # Another worker on the same project: in the project's package, never in the first worker's.
    other = employ(project, project.general_contractor, entered_on=datetime.date(2026, 5, 1))
    gate = Machine(*api_client(project_codes=[project.code]))
    day = {"batch_id": "other", "records": [punch(other, at="2026-06-04T07:30:00+08:00")]}
    assert gate.post("/api/v1/attendance/batches", day).status_code == 200
    credit_services.record_propose(actor=a.users["hrss_city"], kind="arrears_found", facts="拖欠6月工资", legal_basis="《保障农民工工资支付条例》",
                                   enterprise=project.participations.get(role="labour_subcontractor").enterprise, project=project,
                                   amount="900.00")
    a.objects["gc_employment"] = other  # the general contractor's own worker
    return a, b


def _request(scope, **subject):
    subject = subject or {"subject_type": "project", "project_code": scope.objects["registry.project"].code}
    return evidence.evidence_request(actor=scope.users["police_city"], case_number="济公(历)立字[2026]0815号", reason="涉嫌拒不支付劳动报酬罪",
                                     **subject)


def _ready(scope, **subject):
    return evidence.evidence_approve(actor=scope.users["hrss_city"], request=_request(scope, **subject), note="同意调取")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(members, name) -> list[dict]:
    text = members[name].decode("utf-8")
    assert text.startswith("\ufeff")  # the BOM: Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def _rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- the package


def test_a_project_package_holds_its_records_unmasked_and_verifies(scopes, tmp_path, capsys):
    a, _b = scopes
    request = _ready(a)
    assert request.status == EvidenceStatus.READY and request.decided_by == a.users["hrss_city"]
    data, filename = evidence.evidence_download(actor=a.users["police_city"], request=request)
    assert filename == f"evidence-2026-0815-{request.pk}.zip"
    result = evidence.verify_package(data)
    assert result.ok, result.problems
    manifest = result.manifest
    assert manifest == request.manifest and evidence.sm3_hex(data) == request.package_sm3
    assert (manifest["format"], manifest["request"], manifest["case_number"]) == ("wageguard-evidence/1", request.pk, request.case_number)
    project = a.objects["registry.project"]
    assert manifest["subject"] == {"type": "project", "code": project.code, "name": project.name}
    assert manifest["region"]["code"] == "370100" and manifest["signature"]["algorithm"] == "HMAC-SM3"
    approval = AuditEntry.objects.get(action="evidence.approved", object_id=str(request.pk))
    assert manifest["audit_chain_head"] == {"entry_id": approval.pk, "hash": approval.hash}
    members = _members(data)
    assert sorted(members) == sorted(["manifest.json", "subject.json"] + [f"{s.name}.csv" for s in evidence.EVIDENCE_SECTIONS])
    records = CreditRecord.objects.filter(project=project).exclude(status="proposed")  # the factory's (notified), not the fixture's
    assert {f["name"]: f["rows"] for f in manifest["files"]} | {"manifest.json": None} == {
        "subject.json": None, "ledgers.csv": 1, "attendance_days.csv": 4, "account_transactions.csv": 3, "payroll_results.csv": 1,
        "alerts.csv": 1, "alert_actions.csv": 2, "credit_records.csv": records.count(),
        "credit_record_steps.csv": CreditAction.objects.filter(record__in=records).count(), "manifest.json": None}
    worker = a.objects["registry.worker"]
    (ledger,) = _rows(members, "ledgers.csv")
    assert (ledger["worker_name"], ledger["id_number"], ledger["days_claimed"], ledger["bank_result"]) == (
        worker.name, worker.id_number, "3", "paid")
    assert ledger["card"] == worker.bank_card  # unmasked: the approval authorises it
    (result_row,) = _rows(members, "payroll_results.csv")
    assert (result_row["status"], result_row["bank_txn_id"], result_row["id_number"]) == ("paid", "W0001", worker.id_number)
    transactions = _rows(members, "account_transactions.csv")
    assert [t["amount"] for t in transactions][0] == "100000.00"
    assert transactions[2]["counterparty_name"] == "'=HYPERLINK(\"x\")"  # never a formula in Excel
    assert [a_["action"] for a_ in _rows(members, "alert_actions.csv")] == ["raised", "answered"]
    assert [(r["kind"], r["status"]) for r in _rows(members, "credit_records.csv")] == [("blacklist", "notified")]
    subject = json.loads(members["subject.json"])
    assert [p["code"] for p in subject["projects"]] == [project.code]

    path = tmp_path / filename
    path.write_bytes(data)
    call_command("evidence_verify", str(path))
    assert capsys.readouterr().out.strip() == (f"OK: {len(manifest['files'])} files, signed by {manifest['signature']['key_id']}, "
                                               f"chain head #{approval.pk}")


def test_a_persons_package_holds_only_their_own_rows(scopes):
    a, _b = scopes
    worker = a.objects["registry.worker"]
    request = _ready(a, subject_type="person", id_number=f" {worker.id_number.lower()} ")
    assert request.worker == worker and request.manifest["subject"]["id_number"] == evidence.mask(worker.id_number)
    members = _members(evidence.evidence_download(actor=a.users["police_city"], request=request)[0])
    assert {r["id_number"] for r in _rows(members, "attendance_days.csv")} == {worker.id_number}  # not the other worker's day
    assert len(_rows(members, "attendance_days.csv")) == 3
    assert [t["bank_txn_id"] for t in _rows(members, "account_transactions.csv")] == ["W0001"]  # their wage, not the project's money
    assert len(_rows(members, "ledgers.csv")) == 1 and [r["id_number"] for r in _rows(members, "alerts.csv")] == [worker.id_number]
    assert _rows(members, "credit_records.csv") == []  # the record is the subcontractor's, not the person's
    person = json.loads(members["subject.json"])["person"]
    assert (person["id_number"], person["bank_card"]) == (worker.id_number, worker.bank_card)
    assert worker.id_number not in json.dumps(request.manifest, ensure_ascii=False)  # the manifest is kept in the database too
    for entry in AuditEntry.objects.filter(object_id=str(request.pk), action__startswith="evidence."):
        assert worker.id_number not in json.dumps(entry.after, ensure_ascii=False) and worker.name not in json.dumps(entry.after, ensure_ascii=False)
    requested = AuditEntry.objects.get(action="evidence.requested", object_id=str(request.pk))
    assert requested.after["subject"] == {"type": "person", "id_number": evidence.mask(worker.id_number)}


def test_until_ready_the_police_see_the_masked_id_number_they_typed_not_the_name(scopes):
    a, _b = scopes
    worker = a.objects["registry.worker"]
    request = _request(a, subject_type="person", id_number=worker.id_number)
    client = Client()
    for role in ("police_city", "hrss_city"):
        client.force_login(a.users[role])
        for url in (reverse("evidence_detail", args=[request.pk]), reverse("evidence_list")):
            page = client.get(url).content.decode()
            assert evidence.mask(worker.id_number) in page and worker.name not in page and worker.id_number not in page, (role, url)
    evidence.evidence_approve(actor=a.users["hrss_city"], request=request)
    client.force_login(a.users["police_city"])
    page = client.get(reverse("evidence_detail", args=[request.pk])).content.decode()
    assert worker.name in page and worker.id_number not in page  # the package is theirs now

def test_an_enterprise_package_covers_its_projects_in_the_police_region_only(scopes):
    a, b = scopes
    gc = a.objects["registry.project"].general_contractor
    request = _ready(a, subject_type="enterprise", enterprise_uscc=gc.uscc.lower())
    members = _members(evidence.evidence_download(actor=a.users["police_city"], request=request)[0])
    assert [p["code"] for p in json.loads(members["subject.json"])["projects"]] == [a.objects["registry.project"].code]
    assert len(_rows(members, "attendance_days.csv")) == 4  # the whole project: both workers
    assert len(_rows(members, "account_transactions.csv")) == 3 and len(_rows(members, "ledgers.csv")) == 1  # the subcontractor's too
    assert json.loads(members["subject.json"])["projects"][0]["coverage"] == "whole"
    assert request.manifest["subject"] == {"type": "enterprise", "uscc": gc.uscc, "name": gc.name}
    # Only its own credit records: the notified blacklist, not the subcontractor's proposed arrears.
    assert [(r["enterprise_uscc"], r["kind"]) for r in _rows(members, "credit_records.csv")] == [(gc.uscc, "blacklist")]


def test_a_subcontractors_package_holds_its_own_rows_only_not_the_projects(scopes):
    from wageguard.credit import services as credit_services

    a, _b = scopes
    project, worker = a.objects["registry.project"], a.objects["registry.worker"]
    sub = project.participations.get(role="labour_subcontractor").enterprise
    gc_worker = a.objects["gc_employment"].worker
    proposed = CreditRecord.objects.get(enterprise=sub, status="proposed")
    notified = credit_services.record_notify(actor=a.users["hrss_city"], record=credit_services.record_propose(
        actor=a.users["hrss_city"], kind="arrears_found", facts="拖欠5月工资", legal_basis="《保障农民工工资支付条例》", enterprise=sub,
        project=project, amount="300.00"))
    request = _ready(a, subject_type="enterprise", enterprise_uscc=sub.uscc)
    data = evidence.evidence_download(actor=a.users["police_city"], request=request)[0]
    members = _members(data)
    for name, content in members.items():  # not one row (nor name, nor ID number) of the general contractor's own worker
        text = content.decode("utf-8")
        assert gc_worker.id_number not in text and gc_worker.name not in text, name
    assert {r["id_number"] for r in _rows(members, "attendance_days.csv")} == {worker.id_number}
    assert len(_rows(members, "attendance_days.csv")) == 3
    assert [r["enterprise_uscc"] for r in _rows(members, "ledgers.csv")] == [sub.uscc]
    assert [r["enterprise_uscc"] for r in _rows(members, "payroll_results.csv")] == [sub.uscc]
    assert _rows(members, "account_transactions.csv") == []  # the general contractor's account
    assert [r["enterprise_uscc"] for r in _rows(members, "alerts.csv")] == [sub.uscc]
    records = _rows(members, "credit_records.csv")
    assert [r["record_id"] for r in records] == [str(notified.pk)]  # its own, decided on; not the proposed one, not the gc's
    assert str(proposed.pk) not in {r["record_id"] for r in _rows(members, "credit_record_steps.csv")}
    assert json.loads(members["subject.json"])["projects"][0]["coverage"] == "own rows"
    assert evidence.verify_package(data).ok


def test_an_owners_package_holds_none_of_the_contractors_rows(scopes):
    a, _b = scopes
    project = a.objects["registry.project"]
    request = _ready(a, subject_type="enterprise", enterprise_uscc=project.owner.uscc)
    members = _members(evidence.evidence_download(actor=a.users["police_city"], request=request)[0])
    assert [p["code"] for p in json.loads(members["subject.json"])["projects"]] == [project.code]
    for section in evidence.EVIDENCE_SECTIONS:
        assert _rows(members, section.filename) == [], section.name


def test_one_changed_byte_an_edited_manifest_or_an_added_file_fails(scopes, tmp_path):
    a, _b = scopes
    request = _ready(a)
    data, _name = evidence.evidence_download(actor=a.users["police_city"], request=request)
    members = _members(data)

    ledgers = bytearray(members["ledgers.csv"])
    ledgers[-5] ^= 0x01  # one byte of the last line (its amounts)
    changed = evidence.verify_package(_rezip(members | {"ledgers.csv": bytes(ledgers)}))
    assert not changed.ok and changed.problems == ["ledgers.csv: SM3 digest does not match the manifest (file altered)"]

    manifest = json.loads(members["manifest.json"])
    next(f for f in manifest["files"] if f["name"] == "ledgers.csv")["sm3"] = evidence.sm3_hex(bytes(ledgers))  # the digest forged too
    forged = evidence.verify_package(_rezip(members | {"ledgers.csv": bytes(ledgers), "manifest.json": json.dumps(manifest).encode()}))
    assert forged.problems == ["the manifest does not match its signature (manifest altered)"]
    edited = json.loads(members["manifest.json"]) | {"case_number": "另一个案件"}
    assert evidence.verify_package(_rezip(members | {"manifest.json": json.dumps(edited).encode()})).problems == [
        "the manifest does not match its signature (manifest altered)"]

    added = evidence.verify_package(_rezip(members | {"extra.csv": b"x"}))
    assert added.problems == ["extra.csv: not listed in the manifest"]
    removed = evidence.verify_package(_rezip({k: v for k, v in members.items() if k != "alerts.csv"}))
    assert removed.problems == ["alerts.csv: listed in the manifest but missing"]
    for algorithm, key_id, problem in (("SM2", None, "unknown signature algorithm 'SM2'"),
                                       (None, "0badc0de", "signed with a key this server does not have (key id '0badc0de')")):
        other = json.loads(members["manifest.json"])
        other["signature"] |= {k: v for k, v in (("algorithm", algorithm), ("key_id", key_id)) if v}
        assert evidence.verify_package(_rezip(members | {"manifest.json": json.dumps(other).encode()})).problems == [problem]

    for garbage in (b"", b"not a zip", data[: len(data) // 2], data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]):
        broken = evidence.verify_package(garbage)
        assert not broken.ok and broken.problems  # a finding, never a crash

    path = tmp_path / "changed.zip"
    path.write_bytes(_rezip(members | {"ledgers.csv": bytes(ledgers)}))
    with pytest.raises(CommandError):
        call_command("evidence_verify", str(path))


def test_the_stored_package_is_encrypted_and_checked_on_the_way_out(scopes):
    a, _b = scopes
    request = _ready(a)
    with request.package.open("rb") as stored:
        blob = stored.read()
    assert not zipfile.is_zipfile(io.BytesIO(blob)) and b"PK\x03\x04" not in blob
    assert not request.package.name.endswith(".zip")
    assert evidence.sm3_hex(evidence.decrypt_bytes(blob)) == request.package_sm3
    with open(request.package.path, "wb") as stored:
        stored.write(blob[:-1] + bytes([blob[-1] ^ 0x01]))
    with pytest.raises(ServiceError) as error:
        evidence.evidence_download(actor=a.users["police_city"], request=request)
    assert error.value.code == "package_altered"
    assert not AuditEntry.objects.filter(action="evidence.downloaded").exists()


def test_request_approval_build_and_each_download_are_audited_and_shown_to_hrss(scopes):
    a, _b = scopes
    request = _ready(a)
    police = a.users["police_city"]
    evidence.evidence_download(actor=police, request=request)
    evidence.evidence_download(actor=police, request=request)
    history = list(evidence.evidence_history(evidence.evidence_get(user=a.users["hrss_city"], pk=request.pk)))
    assert [(e.action, e.actor) for e in history] == [
        ("evidence.requested", police), ("evidence.approved", a.users["hrss_city"]), ("evidence.built", None),
        ("evidence.downloaded", police), ("evidence.downloaded", police)]
    assert history[0].reason == "涉嫌拒不支付劳动报酬罪" and history[3].after == {"package_sm3": request.package_sm3}
    assert request in evidence.evidence_list(user=a.users["hrss_city"])


def test_a_rejection_needs_its_reason_and_a_decided_request_is_not_decided_again(scopes):
    a, _b = scopes
    hrss = a.users["hrss_city"]
    request = _request(a)
    with pytest.raises(ServiceError) as error:
        evidence.evidence_download(actor=a.users["police_city"], request=request)
    assert error.value.code == "not_ready"
    with pytest.raises(ServiceError) as error:
        evidence.evidence_reject(actor=hrss, request=request, note=" ")
    assert error.value.field == "note"
    rejected = evidence.evidence_reject(actor=hrss, request=request, note="案由与工资支付无关")
    assert (rejected.status, rejected.decision_note, rejected.package.name) == (EvidenceStatus.REJECTED, "案由与工资支付无关", "")
    assert AuditEntry.objects.filter(action="evidence.rejected", object_id=str(request.pk)).exists()
    with pytest.raises(ServiceError) as error:
        evidence.evidence_approve(actor=hrss, request=request)
    assert error.value.code == "illegal_transition"


# ---------------------------------------------------------------- what a request needs


def test_a_request_names_a_subject_of_the_police_region_a_case_and_a_reason(scopes):
    a, b = scopes
    police = a.users["police_city"]
    case = {"case_number": "A-1", "reason": "涉案"}
    for subject, field in ((dict(subject_type="enterprise", enterprise_uscc="91370102MA00000000"), "enterprise_uscc"),
                           (dict(subject_type="project", project_code="NO-SUCH"), "project_code"),
                           (dict(subject_type="project", project_code=b.objects["registry.project"].code), "project_code"),  # 青岛
                           (dict(subject_type="person", id_number="370102198506150000"), "id_number"),
                           (dict(subject_type="person", id_number=b.objects["registry.worker"].id_number), "id_number"),
                           (dict(subject_type="vehicle"), "subject_type")):
        with pytest.raises(ServiceError) as error:
            evidence.evidence_request(actor=police, **subject, **case)
        assert (error.value.field, error.value.status) == (field, 400)
    project = {"subject_type": "project", "project_code": a.objects["registry.project"].code}
    for missing, field in (({"case_number": " "}, "case_number"), ({"reason": ""}, "reason"), ({"case_number": "x" * 65}, "case_number")):
        with pytest.raises(ServiceError) as error:
            evidence.evidence_request(actor=police, **project, **(case | missing))
        assert error.value.field == field
    assert not EvidenceRequest.objects.filter(case_number="A-1").exists()


# ---------------------------------------------------------------- who may do what


def test_only_the_hrss_of_the_police_region_decides(scopes):
    a, b = scopes
    request = _request(a)
    for user in (b.users["hrss_city"], a.users["housing_county"], a.users["pboc_city"], a.users["police_city"], b.users["police_city"]):
        with pytest.raises(PermissionDenied):
            evidence.evidence_approve(actor=user, request=request)
        with pytest.raises(PermissionDenied):
            evidence.evidence_reject(actor=user, request=request, note="不同意")
    province = official("hrss-province", "370000", Agency.HRSS)
    assert evidence.evidence_approve(actor=province, request=request).status == EvidenceStatus.READY


def test_police_of_another_city_neither_see_nor_download_and_the_province_police_see_but_do_not_download(scopes):
    a, b = scopes
    request = _ready(a)
    other = b.users["police_city"]
    with pytest.raises(NotFound):
        evidence.evidence_get(user=other, pk=request.pk)
    assert request not in evidence.evidence_list(user=other)
    with pytest.raises(PermissionDenied):
        evidence.evidence_download(actor=other, request=request)
    province = official("police-province", "370000", Agency.POLICE)
    assert evidence.evidence_get(user=province, pk=request.pk) == request
    with pytest.raises(PermissionDenied):
        evidence.evidence_download(actor=province, request=request)
    with pytest.raises(NotFound):
        evidence.evidence_get(user=b.users["hrss_city"], pk=request.pk)
    assert not AuditEntry.objects.filter(action="evidence.downloaded").exists()


@pytest.mark.parametrize("role", ["gc_admin", "sub_admin", "wage_officer", "worker", "bank_operator", "housing_county", "pboc_city",
                                  "hrss_city"])
def test_no_one_but_the_police_requests_and_enterprises_workers_and_banks_do_nothing(scopes, role):
    a, _b = scopes
    user = a.users[role]
    with pytest.raises(PermissionDenied):
        evidence.evidence_request(actor=user, subject_type="project", case_number="A-1", reason="x",
                                   project_code=a.objects["registry.project"].code)
    request = _ready(a)
    with pytest.raises(PermissionDenied):
        evidence.evidence_download(actor=user, request=request)
    if role == "hrss_city":
        return
    assert list(evidence.evidence_list(user=user)) == []
    with pytest.raises(NotFound):
        evidence.evidence_get(user=user, pk=request.pk)
    with pytest.raises(PermissionDenied):
        evidence.evidence_reject(actor=user, request=_request(a), note="x")


# ---------------------------------------------------------------- the verifier: layout, caps, strict JSON


def _directory(data: bytes) -> tuple[int, int, int]:
    """(central directory offset, its size, the end record's offset) of an archive without a comment."""
    end = len(data) - 22
    size, offset = struct.unpack_from("<LL", data, end + 12)
    return offset, size, end


def _insert(data: bytes, at: int, blob: bytes) -> bytes:
    """`blob` inserted at byte `at` (at or before the central directory), every offset fixed so zipfile reads the
    archive as before: the bytes are hidden, not listed."""
    offset, size, end = _directory(data)
    directory = bytearray(data[offset:offset + size])
    position = 0
    while position < len(directory):
        (header,) = struct.unpack_from("<L", directory, position + 42)
        if header >= at:
            struct.pack_into("<L", directory, position + 42, header + len(blob))
        lengths = struct.unpack_from("<HHH", directory, position + 28)
        position += 46 + sum(lengths)
    record = bytearray(data[end:])
    struct.pack_into("<L", record, 16, offset + len(blob))
    return data[:at] + blob + data[at:offset] + bytes(directory) + bytes(record)


def _local_entry(name: str, content: bytes) -> bytes:
    one = _rezip({name: content})
    return one[:_directory(one)[0]]


def test_bytes_or_entries_hidden_outside_the_listed_entries_or_a_comment_fail(scopes):
    a, _b = scopes
    data = evidence.evidence_download(actor=a.users["police_city"], request=_ready(a))[0]
    assert evidence.verify_package(data).ok
    hidden = _local_entry("hidden.csv", b"id_number\r\n370102198506150000\r\n")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        second = sorted(i.header_offset for i in archive.infolist())[1]
    tampered = {
        "prepended entry": _insert(data, 0, hidden),
        "entry in a gap": _insert(data, second, hidden),
        "entry after the last": _insert(data, _directory(data)[0], hidden),
        "prepended bytes": hidden + data,  # offsets not fixed: zipfile alone reads it as before
        "comment": data[:-2] + struct.pack("<H", 6) + b"hidden",
        "trailing bytes": data + hidden,
    }
    for case, package in tampered.items():
        if case != "trailing bytes":
            with zipfile.ZipFile(io.BytesIO(package)) as archive:  # zipfile itself sees nothing wrong
                assert archive.testzip() is None and "hidden.csv" not in archive.namelist(), case
        result = evidence.verify_package(package)
        assert not result.ok and len(result.problems) == 1, (case, result.problems)
    assert "bytes that no entry accounts for" in evidence.verify_package(tampered["entry after the last"]).problems[0]
    assert evidence.verify_package(tampered["comment"]).problems == ["the archive has a comment or bytes after its end"]


def _signed_manifest(members) -> dict:
    return json.loads(members["manifest.json"])


def test_the_manifest_is_read_capped_and_strictly_and_its_signature_checked_first(scopes):
    a, _b = scopes
    members = _members(evidence.evidence_download(actor=a.users["police_city"], request=_ready(a))[0])
    text = members["manifest.json"].decode()
    assert text.startswith("{\n")
    twice = '{"format": "wageguard-evidence/1",' + text[1:]  # the same key twice: which one a reader takes is up to it
    assert json.loads(twice) == _signed_manifest(members)  # a lenient reader would verify it
    assert evidence.verify_package(_rezip(members | {"manifest.json": twice.encode()})).problems == [
        "manifest.json holds the key 'format' twice"]
    for content, problem in ((members["manifest.json"][:-1] + b"\xff", "manifest.json is not UTF-8"),
                             (json.dumps(_signed_manifest(members) | {"case_number": "\ud800"}).encode(),
                              "manifest.json holds text that is not valid Unicode"),
                             (json.dumps(_signed_manifest(members) | {"signature": {"algorithm": "HMAC-SM3", "value": "\udfff"}}).encode(),
                              "manifest.json holds text that is not valid Unicode"),
                             (text.encode() + b" " * (1024 * 1024), "manifest.json is larger than 1048576 bytes"),
                             (b"[" * 100000 + b"]" * 100000, None)):
        result = evidence.verify_package(_rezip(members | {"manifest.json": content}))
        assert not result.ok and len(result.problems) == 1, result.problems
        assert problem is None or result.problems == [problem]


def test_no_member_is_decompressed_past_the_size_the_signed_manifest_gives(scopes):
    a, _b = scopes
    members = _members(evidence.evidence_download(actor=a.users["police_city"], request=_ready(a))[0])
    size = len(members["ledgers.csv"])
    bomb = b"0" * (64 * 1024 * 1024)  # 64 MB deflating to some 64 kB; the manifest (unchanged, signed) says otherwise
    result = evidence.verify_package(_rezip(members | {"ledgers.csv": bomb}))
    assert result.problems == [f"ledgers.csv: {len(bomb)} bytes, the manifest says {size}"]
    with zipfile.ZipFile(io.BytesIO(_rezip({"big.csv": bomb}))) as archive:  # and the streamed read stops past its cap
        assert evidence._read_capped(archive, archive.getinfo("big.csv"), 10) is None
        assert evidence._read_capped(archive, archive.getinfo("big.csv"), len(bomb)) == bomb
    # An unsigned manifest's word is not taken: its members are not read at all.
    forged = _signed_manifest(members) | {"case_number": "另一个案件"}
    assert evidence.verify_package(_rezip(members | {"ledgers.csv": bomb, "manifest.json": json.dumps(forged).encode()})).problems == [
        "the manifest does not match its signature (manifest altered)"]
