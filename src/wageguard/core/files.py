"""Uploaded documents (contracts, deposit certificates): judged by their content, never by the name or
the declared type, which the sender controls."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ServiceError

MAGIC = (("application/pdf", b"%PDF-"), ("image/jpeg", b"\xff\xd8\xff"), ("image/png", b"\x89PNG\r\n\x1a\n"))


def check_document(upload, noun: str, field: str = "file") -> str:
    """The content type of a PDF, JPEG or PNG within the size limit; refused otherwise, naming the field."""
    size = getattr(upload, "size", None) or 0
    limit = settings.CONTRACT_FILE_MAX_BYTES
    if size > limit:
        raise ServiceError("file_too_large", _("%(noun)s must not exceed %(mb)d MB.") % {"noun": noun, "mb": limit // 2**20}, field)
    if size == 0:
        raise ServiceError("file_empty", _("%(noun)s is empty.") % {"noun": noun}, field)
    head = upload.read(8)
    upload.seek(0)
    for content_type, magic in MAGIC:
        if head.startswith(magic) and content_type in settings.CONTRACT_FILE_TYPES:
            return content_type
    raise ServiceError("file_type", _("%(noun)s must be a PDF, JPEG or PNG.") % {"noun": noun}, field)
