"""Service errors: a stable code for machines, a translated message for people, the field at fault."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404


@dataclass
class FieldError:
    code: str
    message: str
    field: str | None = None
    row: int | None = None

    def as_dict(self) -> dict:
        data = {"error": self.code, "detail": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.row is not None:
            data["row"] = self.row
        return data


class ServiceError(Exception):
    """Raised by a service when it refuses a change; nothing has been written."""

    status = 400

    def __init__(self, code: str, message, field: str | None = None, *, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return FieldError(self.code, self.message, self.field).as_dict()


class NotFound(ServiceError, Http404):
    """Outside the person's scope: a page answers 404 (the API its JSON error), as for an id that does not exist."""

    status = 404

    def __init__(self, message="not found", field: str | None = None):
        super().__init__("not_found", message, field)


class PermissionDenied(ServiceError, DjangoPermissionDenied):
    """A role or scope that may not make this change: a page answers 403, nothing written."""

    status = 403

    def __init__(self, message, field: str | None = None):
        super().__init__("forbidden", message, field)


@dataclass
class ValidationFailed(Exception):
    """Several field errors at once (e.g. every bad row of an import)."""

    errors: list[FieldError] = dc_field(default_factory=list)
    status: int = 400

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


# Refusals of the person rather than of their input: a view lets them through (403/404, nothing written)
# instead of showing them as a message on the form.
ACCESS_ERRORS = (PermissionDenied, NotFound)
