"""Uploaded files, one mechanism for every kind (contracts, certificates, alert answers, roster imports):

- judged by their content, never by the name or the declared type, which the sender controls: the type is
  sniffed from the first bytes, and HTML, SVG or script anywhere near the start is refused (a "PDF" that is also
  a web page is the stored-XSS of issue 13);
- capped in size per kind;
- stored under a name the server makes (a random id and the extension of the sniffed type);
- served only through views that apply the data scope, as an attachment with `nosniff` and a sandboxing CSP,
  never from a public /media/ route.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.http import FileResponse
from django.utils.translation import gettext as _

from .errors import ServiceError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MP3, AMR = "audio/mpeg", "audio/amr"  # a phone's short voice note
MAGIC = ((PDF, b"%PDF-", ".pdf"), (JPEG, b"\xff\xd8\xff", ".jpg"), (PNG, b"\x89PNG\r\n\x1a\n", ".png"), (XLSX, b"PK\x03\x04", ".xlsx"),
         (MP3, b"ID3", ".mp3"), (AMR, b"#!AMR\n", ".amr"))
EXTENSION = {content_type: ext for content_type, _magic, ext in MAGIC}
DOCUMENTS = (PDF, JPEG, PNG)
MB = 2**20

# Markup a browser would run if the file were ever rendered as a page; active content inside a PDF (its names
# un-escaped first: /J#61vaScript is /JavaScript). Defence in depth: files are only ever served as attachments.
ACTIVE = re.compile(rb"<\s*([a-z]+:)?(script|html|svg|iframe|object|embed|body|meta|!doctype)|<[^>]{0,200}\son[a-z]+\s*=|javascript:"
                    rb"|/JavaScript|/JS\s*[(<]|/Launch|/EmbeddedFile|/RichMedia|/XFA|/SubmitForm|/ImportData", re.IGNORECASE)
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class FileKind:
    max_bytes: int
    types: tuple[str, ...]


KINDS = {
    "contract": FileKind(10 * MB, DOCUMENTS),
    "certificate": FileKind(10 * MB, DOCUMENTS),
    "alert_answer": FileKind(10 * MB, DOCUMENTS),
    "credit_evidence": FileKind(10 * MB, DOCUMENTS),  # an objection's or a repair application's proof
    "complaint_evidence": FileKind(5 * MB, (JPEG, PNG, PDF, MP3, AMR)),  # photos, a document, a short voice note
    "roster_import": FileKind(5 * MB, (XLSX,)),
}


@dataclass(frozen=True)
class Accepted:
    content_type: str
    size: int
    name: str  # server-made: a random id and the sniffed type's extension


def _describe(types: tuple[str, ...]) -> str:
    return "、".join({PDF: "PDF", JPEG: "JPEG", PNG: "PNG", XLSX: "Excel (.xlsx)", MP3: "MP3", AMR: "AMR"}[t] for t in types)


def accept(upload, kind: str, noun: str, field: str = "file") -> Accepted:
    """Check an upload for its kind (size, sniffed type, no active content); refused naming the field."""
    rules = KINDS[kind]
    size = getattr(upload, "size", None) or 0
    if size > rules.max_bytes:
        raise ServiceError("file_too_large", _("%(noun)s must not exceed %(mb)d MB.") % {"noun": noun, "mb": rules.max_bytes // MB}, field,
                           status=413)
    if size == 0:
        raise ServiceError("file_empty", _("%(noun)s is empty.") % {"noun": noun}, field)
    upload.seek(0)
    head = upload.read(8)
    content_type = next((t for t, magic, _ext in MAGIC if head.startswith(magic) and t in rules.types), None)
    if content_type is None:
        raise ServiceError("file_type", _("%(noun)s must be %(types)s.") % {"noun": noun, "types": _describe(rules.types)}, field)
    if content_type != XLSX:  # a zip's members are compressed: the workbook reader checks those
        upload.seek(0)
        content = upload.read()
        if content_type == PDF:
            content = PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), content)
        if ACTIVE.search(content):
            raise ServiceError("file_active_content", _("%(noun)s contains web page or script content and is refused.") % {"noun": noun},
                               field)
    upload.seek(0)
    return Accepted(content_type, size, f"{uuid.uuid4().hex}{EXTENSION[content_type]}")


def serve(file_field, content_type: str, download_name: str) -> FileResponse:
    """A stored file as a download: never rendered by the browser, never sniffed into something else."""
    response = FileResponse(file_field.open("rb"), as_attachment=True, filename=download_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
