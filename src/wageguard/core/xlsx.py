"""Excel workbooks as officials expect them (bold header row, frozen, sensible widths), written and read safely.

Writing: every sheet is a `Sheet`, whose `append` is the one place a cell is written. Text that a spreadsheet
would run as a formula (starting with = + - @, a tab or a carriage return: a worker's name "=HYPERLINK(…)" typed
into a roster) is stored as text with Excel's quote prefix, never as a formula.

Reading: an uploaded workbook is a zip that may expand a thousandfold; `open_workbook` refuses one whose parts
expand past a cap, or with too many of them, before openpyxl reads it, and `cell_text` caps each cell's length.
"""
from __future__ import annotations

import io
import zipfile
from typing import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .errors import FieldError, ValidationFailed

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_UNCOMPRESSED_BYTES = 50 * 2**20  # a 20,000-row roster is under 10 MB unpacked
MAX_ZIP_MEMBERS = 200
MAX_CELL_CHARS = 1000
# Parts openpyxl parses whole into memory (read-only mode streams only the sheets): each capped on its own.
MAX_PART_BYTES = {"xl/styles.xml": 2 * 2**20, "xl/workbook.xml": 2**20, "xl/sharedStrings.xml": 20 * 2**20}


class Sheet:
    """A worksheet whose rows are written by `append` only (any other attribute is the openpyxl sheet's)."""

    def __init__(self, worksheet):
        self._sheet = worksheet

    def append(self, values: Iterable) -> None:
        self._sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
        for cell in self._sheet[self._sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True

    def __getitem__(self, key):
        return self._sheet[key]

    def __getattr__(self, name):
        return getattr(self._sheet, name)

    def __setattr__(self, name, value):
        if name == "_sheet":
            object.__setattr__(self, name, value)
        else:
            setattr(self._sheet, name, value)


def new_sheet(headers: Iterable[str], title: str) -> tuple[Workbook, Sheet]:
    headers = list(headers)
    workbook = Workbook()
    sheet = Sheet(workbook.active)
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(header) * 2 + 2)
    sheet.freeze_panes = "A2"
    return workbook, sheet


def add_sheet(workbook: Workbook, title: str) -> Sheet:
    return Sheet(workbook.create_sheet(title))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, filename: str):
    """An Excel file as an attachment (the name may hold Chinese: RFC 5987 encoding)."""
    from django.http import HttpResponse

    from django.utils.http import content_disposition_header

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _unreadable() -> ValidationFailed:
    return ValidationFailed([FieldError("invalid_file", _("The file is not a readable Excel (.xlsx) workbook."), "file")])


def open_workbook(data: bytes):
    """A read-only workbook from uploaded bytes, refused (naming the file) when it is not a workbook or would
    expand past the caps."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        too_big = len(archive.infolist()) > MAX_ZIP_MEMBERS or _expands_past(archive, MAX_UNCOMPRESSED_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise _unreadable() from None
    if too_big:
        raise ValidationFailed([FieldError("file_too_large", _("The workbook expands to more than %(mb)d MB; split it into smaller files.")
                                           % {"mb": MAX_UNCOMPRESSED_BYTES // 2**20}, "file")])
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same answer
        raise _unreadable() from None


def _expands_past(archive: zipfile.ZipFile, limit: int) -> bool:
    """Decompress every member in chunks, counting (the sizes a zip declares are the sender's word), and stop as
    soon as the total, or a part parsed whole, passes its limit."""
    total = 0
    for member in archive.infolist():
        part, part_limit = 0, MAX_PART_BYTES.get(member.filename, limit)
        with archive.open(member) as stream:
            while chunk := stream.read(2**20):
                total, part = total + len(chunk), part + len(chunk)
                if total > limit or part > part_limit:
                    return True
    return False


class CellTooLong(ValueError):
    pass


def cell_text(value) -> str:
    """A cell as text (whole numbers without ".0", dates as YYYY-MM-DD); `CellTooLong` past the cap."""
    import datetime

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    text = str(value).strip()
    if len(text) > MAX_CELL_CHARS:
        raise CellTooLong(len(text))
    return text
