"""Excel roster import/export (openpyxl). The file layout is a contract with enterprises: keep headers.

Import: every row is validated first and every error listed (row, column, reason in Chinese);
only when no row has an error are all rows applied, in one transaction.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable, Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook


from wageguard.core import audit
from wageguard.core.transactions import service_transaction
from wageguard.core.errors import FieldError, ServiceError, ValidationFailed
from wageguard.core.xlsx import MAX_CELL_CHARS, CellTooLong, add_sheet, cell_text, new_sheet, open_workbook, to_bytes

from . import services
from .models import Employment, Enterprise, Project, WageBasis
from .validators import validate_bank_card, validate_phone, validate_uscc

# (key, header, required) — the header text is what officials and enterprises see and type.
COLUMNS: list[tuple[str, str, bool]] = [
    ("name", "姓名", True),
    ("id_number", "公民身份号码", True),
    ("sex", "性别", True),
    ("ethnicity", "民族", False),
    ("address", "住址", False),
    ("issuing_authority", "签发机关", False),
    ("valid_from", "有效期起", False),
    ("valid_until", "有效期止", False),
    ("phone", "手机号码", False),
    ("bank_card", "工资卡号", False),
    ("bank_name", "开户银行", False),
    ("enterprise_uscc", "所属企业统一社会信用代码", True),
    ("team", "班组", False),
    ("trade", "工种", True),
    ("entered_on", "进场日期", True),
    ("exited_on", "退场日期", False),
    ("contract_signed_on", "合同签订日期", False),
    ("wage_basis", "工资方式", False),
    ("wage_rate", "工资标准(元)", False),
    ("pay_day", "发薪日", False),
]
HEADERS = {key: header for key, header, _ in COLUMNS}
WAGE_BASIS_WORDS = {"日薪": WageBasis.DAILY, "月薪": WageBasis.MONTHLY, "计件": WageBasis.PIECE_RATE}
WAGE_BASIS_LABEL = {v: k for k, v in WAGE_BASIS_WORDS.items()}
MAX_ROWS = 20000
MAX_COLUMNS = 40  # the template's columns and room for a few of the enterprise's own

Progress = Callable[[str, int, int], None]


def _noop(phase: str, done: int, total: int) -> None:
    pass


@dataclass
class RosterRow:
    number: int  # the spreadsheet row number people see
    card: services.IdCard
    phone: str
    bank_card: str
    bank_name: str
    enterprise: Enterprise
    team: str
    trade: str
    entered_on: datetime.date
    exited_on: datetime.date | None
    contract: dict | None


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    workbook = open_workbook(data)
    sheet = workbook.worksheets[0]
    # The sheet's declared dimensions are the sender's word: read only the columns a roster has and the rows a
    # file may hold (read-only openpyxl would pad every row to the declared width).
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=MAX_ROWS + 2)
    try:
        header = [cell_text(v) for v in next(rows, ())]
    except CellTooLong:
        raise ValidationFailed([FieldError("cell_too_long", _("A header is longer than %(n)d characters.") % {"n": MAX_CELL_CHARS}, "file", 1)])
    index = {text: i for i, text in enumerate(header)}
    missing = [h for key, h, required in COLUMNS if required and h not in index]
    if missing:
        raise ValidationFailed([FieldError("missing_column", _("Missing column: %(col)s") % {"col": h}, h, 1) for h in missing])
    result = []
    for number, values in enumerate(rows, start=2):
        record = {}
        for key, h, _r in COLUMNS:
            try:
                record[key] = cell_text(values[index[h]]) if h in index and index[h] < len(values) else ""
            except CellTooLong:
                raise ValidationFailed([FieldError("cell_too_long", _("Longer than %(n)d characters.") % {"n": MAX_CELL_CHARS}, h, number)])
        if any(record.values()):
            result.append((number, record))
        if len(result) > MAX_ROWS:
            raise ValidationFailed([FieldError("too_many_rows", _("At most %(n)d rows per file.") % {"n": MAX_ROWS}, "file")])
    workbook.close()
    return result


def _validate_row(number: int, record: dict, project: Project, enterprises: dict[str, Enterprise]) -> tuple[RosterRow | None, list[FieldError]]:
    errors: list[FieldError] = []

    def check(key: str, fn):
        try:
            return fn()
        except ServiceError as error:
            errors.append(FieldError(error.code, error.message, HEADERS.get(error.field or key, HEADERS[key]), number))
            return None

    card = check("id_number", lambda: services.IdCard.from_payload(record))
    phone = check("phone", lambda: validate_phone(record["phone"]) if record["phone"] else "")
    bank_card = check("bank_card", lambda: validate_bank_card(record["bank_card"]) if record["bank_card"] else "")

    def enterprise():
        code = validate_uscc(record["enterprise_uscc"], "enterprise_uscc")
        if code not in enterprises:
            raise ServiceError("not_participating", _("This enterprise does not participate in the project."), "enterprise_uscc")
        return enterprises[code]

    ent = check("enterprise_uscc", enterprise)
    if not record["trade"]:
        errors.append(FieldError("required", _("Trade is required."), HEADERS["trade"], number))
    entered = check("entered_on", lambda: services.parse_date(record["entered_on"], "entered_on"))
    exited = check("exited_on", lambda: services.parse_date(record["exited_on"], "exited_on", required=False))
    if entered and exited and exited < entered:
        errors.append(FieldError("invalid_date", _("Exit date must not be before the entry date."), HEADERS["exited_on"], number))
    contract = None
    if any(record[k] for k in ("contract_signed_on", "wage_basis", "wage_rate", "pay_day")):
        signed = check("contract_signed_on", lambda: services.parse_date(record["contract_signed_on"], "contract_signed_on"))
        basis = WAGE_BASIS_WORDS.get(record["wage_basis"]) or (record["wage_basis"] if record["wage_basis"] in WageBasis.values else None)
        if basis is None:
            errors.append(FieldError("invalid_choice", _("Wage terms must be 日薪, 月薪 or 计件."), HEADERS["wage_basis"], number))
        rate = check("wage_rate", lambda: services._decimal(record["wage_rate"] or "x", "wage_rate"))
        if rate is not None and rate <= 0:
            errors.append(FieldError("invalid_number", _("Wage rate must be above zero."), HEADERS["wage_rate"], number))
        pay_day = record["pay_day"]
        if not (pay_day.isdigit() and 1 <= int(pay_day) <= 31):
            errors.append(FieldError("invalid_number", _("Pay day must be a day of the month (1-31)."), HEADERS["pay_day"], number))
        contract = {"signed_on": signed, "wage_basis": basis, "wage_rate": rate, "pay_day": int(pay_day) if pay_day.isdigit() else None}
    if errors:
        return None, errors
    return RosterRow(number, card, phone, bank_card, record["bank_name"], ent, record["team"], record["trade"],
                     entered, exited, contract), []


def validate_roster(data: bytes, project: Project, progress: Progress = _noop) -> list[RosterRow]:
    records = read_rows(data)
    if not records:
        raise ValidationFailed([FieldError("empty_file", _("The file has no data rows."), "file")])
    enterprises = {p.enterprise.uscc: p.enterprise for p in project.participations.select_related("enterprise")}
    rows, errors, seen = [], [], {}
    for i, (number, record) in enumerate(records, start=1):
        row, row_errors = _validate_row(number, record, project, enterprises)
        errors.extend(row_errors)
        if row is not None:
            if row.card.id_number in seen:
                errors.append(FieldError("duplicate_row", _("The same ID number is already on row %(row)d.") % {"row": seen[row.card.id_number]},
                                         HEADERS["id_number"], number))
            seen.setdefault(row.card.id_number, number)
            rows.append(row)
        if i % 200 == 0 or i == len(records):
            progress("validating", i, len(records))
    if errors:
        raise ValidationFailed(errors)
    return rows


@dataclass
class ImportResult:
    rows: int
    notes: list[dict]  # rows applied only in part, with the reason ({"row", "detail"})


# Neutral notes: they tell the importer what was not applied, never which registered values differ.
IDENTITY_KEPT = gettext_noop("The identity typed here was not applied: an identity changes only by reading the ID card, "
                             "reviewed by the HRSS department.")
CONTACTS_KEPT = gettext_noop("Phone and wage card not set: the employment waits for the worker's ID card to be read for this project.")


def import_roster(*, actor, project: Project, data: bytes, progress: Progress = _noop) -> ImportResult:
    """Validate every row, then apply all of them or none."""
    rows = validate_roster(data, project, progress)
    total, notes = len(rows), []
    try:
        with service_transaction():
            for i, row in enumerate(rows, start=1):
                notes += [{"row": row.number, "detail": note} for note in _apply_row(actor, project, row)]
                if i % 100 == 0 or i == total:
                    progress("importing", i, total)
            audit.record(actor=actor, action="registry.roster_import", obj=project, after={"rows": total, "notes": len(notes)})
    except ServiceError as error:
        # A rule only the database can see (e.g. already on the roster): nothing was kept.
        failed_row = rows[i - 1].number
        raise ValidationFailed([FieldError(error.code, error.message, HEADERS.get(error.field or "", error.field), failed_row)])
    return ImportResult(total, notes)


def _apply_row(actor, project: Project, row: RosterRow) -> list[str]:
    """One row: the worker (an existing identity is never changed by typed data), the employment, and — only once
    the employment is proven (a worker this import registers, or whose card was read for the project) — phone and
    wage card (a change of an existing card then waits for the worker's confirmation). Returns notes on what was
    not applied."""
    worker, created, differs = services.worker_from_import(actor, row.card)
    notes = [_(IDENTITY_KEPT)] if differs else []
    team = services.team_create(actor=actor, project=project, enterprise=row.enterprise, name=row.team) if row.team else None
    result = services.employment_enter(actor=actor, worker=worker, project=project, enterprise=row.enterprise, team=team,
                                       trade=row.trade, entered_on=row.entered_on, exited_on=row.exited_on, registered=created)
    if row.phone or row.bank_card:
        if result.employment.proof:  # a worker this import registered, or whose card was read here
            services.worker_set_contact(actor=actor, worker=worker, phone=row.phone or None, bank_card=row.bank_card or None,
                                        bank_name=row.bank_name or None)
        else:
            notes.append(_(CONTACTS_KEPT))
    if row.contract:
        services.contract_attach(actor=actor, employment=result.employment, **row.contract)
    return notes


# ---------------------------------------------------------------- export


def _sheet(headers: Iterable[str]) -> tuple[Workbook, object]:
    return new_sheet(headers, "花名册")


def template_workbook() -> bytes:
    workbook, sheet = _sheet([h for _k, h, _r in COLUMNS])
    notes = add_sheet(workbook, "填写说明")
    notes.append(["列", "必填", "说明", "示例"])
    for key, header, required in COLUMNS:
        notes.append([header, "是" if required else "否", COLUMN_NOTES.get(key, ""), EXAMPLE.get(key, "")])
    return _save(workbook)


EXAMPLE = {
    "name": "张三", "id_number": "11010519491231002X", "sex": "女", "ethnicity": "汉", "valid_until": "长期",
    "phone": "13800138000", "bank_name": "中国工商银行", "team": "钢筋班", "trade": "钢筋工", "entered_on": "2026-03-01",
    "contract_signed_on": "2026-03-01", "wage_basis": "日薪", "wage_rate": "350", "pay_day": "15",
}

COLUMN_NOTES = {
    "id_number": "18位，末位可为X；校验位、出生日期、地区码均会校验",
    "sex": "男 / 女，须与身份证号一致",
    "valid_until": "YYYY-MM-DD，长期有效填“长期”；已过期的证件不能登记",
    "bank_card": "16-19位银联卡号",
    "enterprise_uscc": "须为本项目的参建单位",
    "entered_on": "YYYY-MM-DD",
    "wage_basis": "日薪 / 月薪 / 计件；填写则合同各列均须填写",
    "pay_day": "每月发薪日，1-31",
}


def export_roster(employments: Iterable[Employment], *, unmasked: bool) -> bytes:
    """The same layout as the template, so an export can be corrected and imported again."""
    workbook, sheet = _sheet([h for _k, h, _r in COLUMNS])
    for e in employments:
        w = e.worker
        contract = next(iter(e.contracts.all()), None)
        sheet.append([
            w.name, w.id_number if unmasked else w.id_number_masked, w.get_sex_display(), w.ethnicity,
            w.address if unmasked else "", w.id_authority, _d(w.id_valid_from), _d(w.id_valid_until) or "长期",
            w.phone if unmasked else w.phone_masked, w.bank_card if unmasked else w.bank_card_masked, w.bank_name,
            e.enterprise.uscc, e.team.name if e.team else "", e.trade, _d(e.entered_on), _d(e.exited_on),
            _d(contract.signed_on) if contract else "", WAGE_BASIS_LABEL.get(contract.wage_basis, "") if contract else "",
            str(contract.wage_rate) if contract else "", contract.pay_day if contract else "",
        ])
    return _save(workbook)


def _d(value) -> str:
    return value.isoformat() if value else ""


def _save(workbook: Workbook) -> bytes:
    return to_bytes(workbook)
