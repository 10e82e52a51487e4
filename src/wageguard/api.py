"""The JSON API (django-ninja). Every error answers one shape: {"error", "detail", "field"?}."""
from __future__ import annotations

import logging

from csp.decorators import csp_exempt
from django.contrib.auth.decorators import login_required
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from wageguard.core.apiauth import PATH_OBJECTS  # noqa: F401 - the access walker reads it here
from wageguard.core.errors import ServiceError, ValidationFailed

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="wageguard API",
    version="1",
    description="Shandong wage-payment supervision platform. See docs/api.md.",
    urls_namespace="api",
    auth=django_auth,
    docs_url="/docs",
    openapi_url="/openapi.json",
    # the document and its page for signed-in people (integrators get it from their account); the page's own
    # inline script needs the CSP lifted there
    docs_decorator=lambda view: login_required(csp_exempt()(view)),
)


def _error(request, status: int, code: str, detail: str, field: str | None = None, **extra):
    body = {"error": code, "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.field)


@api.exception_handler(ValidationFailed)
def _validation_failed(request, exc: ValidationFailed):
    first = exc.errors[0] if exc.errors else None
    return _error(request, 400, "invalid", str(first.message) if first else "invalid", first.field if first else None,
                  errors=[e.as_dict() for e in exc.errors])


@api.exception_handler(NinjaValidationError)
def _schema_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "form", "payload")]
    return _error(request, 400, "invalid_request", first.get("msg", "invalid request"), ".".join(loc) or None)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "not found")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated", "authentication required")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _error(request, 413, "payload_too_large", _("The request is larger than %(mb)d MB.") % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20})


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("unhandled API error")
    return _error(request, 500, "internal_error", "internal error; the incident is logged")


from wageguard.exchange.api import router as readings_router  # noqa: E402
from wageguard.registry.api import router as registry_router  # noqa: E402

from wageguard.attendance.api import router as attendance_router  # noqa: E402

api.add_router("/v1", readings_router)
api.add_router("/v1", registry_router)
api.add_router("/v1", attendance_router)

from wageguard.accounts.api import router as accounts_router  # noqa: E402

api.add_router("/v1", accounts_router)

from wageguard.payroll.api import router as payroll_router  # noqa: E402

api.add_router("/v1", payroll_router)
