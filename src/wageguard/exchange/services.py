"""Machine clients: created, rotated and disabled here (console and CLI), each step audited."""
from __future__ import annotations

import secrets

from django.utils.translation import gettext as _

from wageguard.core import access, audit, clock
from wageguard.core.errors import ServiceError
from wageguard.core.models import Region, RegionLevel
from wageguard.core.transactions import service
from wageguard.registry.models import Enterprise, Project

from .models import ApiClient, ClientKind


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _require_admin(actor) -> None:
    access.require(actor, "apiclient.manage")


@service
def apiclient_create(*, actor, kind: str, name: str = "", project_codes: list[str] | None = None, enterprise_uscc: str = "",
                     bank_code: str = "", city_code: str = "") -> tuple[ApiClient, str]:
    """Returns the client and its secret; the secret is shown once and stored only encrypted."""
    _require_admin(actor)
    if kind not in ClientKind.values:
        raise ServiceError("invalid_choice", _("Unknown client kind."), "kind")
    client = ApiClient(key_id=f"wg_{secrets.token_hex(8)}", kind=kind, name=name)
    projects = []
    if kind == ClientKind.GATE_SYSTEM:
        codes = [c.strip() for c in project_codes or [] if c.strip()]
        projects = list(Project.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {p.code for p in projects})
        if not codes or missing:
            raise ServiceError("unknown_project", _("Unknown project code: %(codes)s") % {"codes": ", ".join(missing) or "—"}, "project")
    elif kind == ClientKind.ENTERPRISE_SYSTEM:
        client.enterprise = Enterprise.objects.filter(uscc=(enterprise_uscc or "").strip().upper()).first()
        if client.enterprise is None:
            raise ServiceError("unknown_enterprise", _("No enterprise with this unified social credit code."), "enterprise")
    elif kind == ClientKind.BANK:
        if not bank_code.strip():
            raise ServiceError("required", _("Bank code is required."), "bank")
        client.bank_code = bank_code.strip().upper()
    else:
        client.city = Region.objects.filter(code=city_code, level=RegionLevel.CITY).first()
        if client.city is None:
            raise ServiceError("unknown_city", _("No city with this code."), "city")
    secret = _new_secret()
    client.secret = secret
    client.save()
    client.projects.set(projects)
    audit.record(actor=actor, action="exchange.apiclient_create", obj=client,
                 after=audit.snapshot(client) | {"projects": [p.code for p in projects]})
    return client, secret


@service
def apiclient_rotate(*, actor, client: ApiClient) -> str:
    _require_admin(actor)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    secret = _new_secret()
    client.secret = secret
    client.rotated_at = clock.now()
    client.save(update_fields=["secret", "rotated_at"])
    audit.record(actor=actor, action="exchange.apiclient_rotate", obj=client)
    return secret


@service
def apiclient_set_active(*, actor, client: ApiClient, active: bool) -> ApiClient:
    _require_admin(actor)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    before = audit.snapshot(client)
    client.active = active
    client.save(update_fields=["active"])
    audit.record(actor=actor, action="exchange.apiclient_enable" if active else "exchange.apiclient_disable", obj=client,
                 before=before, after=audit.snapshot(client))
    return client
