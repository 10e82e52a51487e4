"""Machine-facing operations that belong to the registry but are also open to signed clients: ID-card readings
(by the staff of an enterprise on the project, or a signed reader client scoped to it)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from wageguard.core.apiauth import SessionFor
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.registry import selectors as registry_selectors
from wageguard.registry import services as registry_services

from .auth import signed_if_present
from .models import ApiClient, ClientKind
from .scope import client_projects

router = Router(tags=["registry"])


class ReadingIn(Schema):
    payload: dict
    device_id: str = ""
    project_code: str = ""  # the project the worker is being employed on (a wage officer's own by default)


class WorkerOut(Schema):
    worker_id: int
    created: bool  # new to the caller: no employment the caller may see had this worker before
    name: str  # as read from the card
    id_number_masked: str
    identity_review: str | None = None  # "pending" when the card differs from the registered identity (callers who see the worker)


@router.post("/workers/id-card-readings", response={201: WorkerOut}, auth=[signed_if_present, SessionFor("worker.read_card")],
             openapi_extra={"x-capability": "worker.read_card"}, summary="Register a worker from an ID-card reader payload")
def register_worker(request, body: ReadingIn):
    """By the staff of an enterprise on the project (session), or a signed reader client scoped to it (a gate
    system of the project, the enterprise's own system)."""
    client = request.auth if isinstance(request.auth, ApiClient) else None
    code = body.project_code or (request.user.project.code if client is None and request.user.project_id else "")
    if client is not None:
        if client.kind not in (ClientKind.GATE_SYSTEM, ClientKind.ENTERPRISE_SYSTEM):
            raise PermissionDenied(_("Only gate and enterprise systems read ID cards."))
        project = registry_selectors.project_from_queryset(client_projects(client), code=code) if code else None
        if project is None:
            raise ServiceError("required", _("Name the project for which the card is read."), "project_code")
        known_before = registry_selectors.worker_known_to(projects=client_projects(client), id_number=body.payload.get("id_number", ""))
    else:
        project = registry_selectors.project_get(user=request.user, code=code) if code else None
        known_before = registry_selectors.worker_known_to(user=request.user, id_number=body.payload.get("id_number", ""))
    actor = request.user if client is None else f"apiclient:{client.key_id}"
    worker, _new = registry_services.worker_register_from_reading(actor=actor, payload=body.payload, device_id=body.device_id,
                                                                  project=project, sender_key=client.key_id if client else "")
    review = "pending" if known_before and worker.identity_reviews.filter(status="pending").exists() else None
    return Status(201, WorkerOut(worker_id=worker.pk, created=not known_before, name=str(body.payload.get("name", "")).strip(),
                                 id_number_masked=worker.id_number_masked, identity_review=review))
