"""Attendance over the signed machine API."""
from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router
from ninja.security import django_auth

from wageguard.exchange.auth import signed, signed_if_present
from wageguard.exchange.scope import client_projects
from wageguard.registry import selectors as registry_selectors
from wageguard.registry.models import Employment

from . import selectors
from .ingest import ingest_batch
from .schemas import BatchIn, BatchOut

router = Router(tags=["attendance"])


@router.post(
    "/attendance/batches", auth=signed, response={200: BatchOut},
    summary="Push a batch of punches (signed; at most 5,000 records)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}},
)
def post_batch(request):
    # The answer is already plain JSON (and replayed verbatim): no re-validation of thousands of verdicts.
    answer = ingest_batch(client=request.auth, body=request.body)
    return HttpResponse(json.dumps(answer, ensure_ascii=False), content_type="application/json")


@router.get("/projects/{code}/on-site", auth=[signed_if_present, django_auth], summary="Who is on site today")
def on_site(request, code: str):
    if getattr(request, "api_client", None) is not None:
        project = registry_selectors.project_from_queryset(client_projects(request.api_client), code=code)
        employments = Employment.objects.all()
    else:
        project = registry_selectors.project_get(user=request.user, code=code)
        employments = Employment.objects.visible_to(request.user)
    today = selectors.on_site_today(project=project, employments=employments)
    return {
        "project_code": project.code, "day": today.day.isoformat(), "present": len(today.present),
        "on_site_now": today.on_site_now, "rostered": today.rostered,
        "by_team": [{"team": t, "count": n} for t, n in today.by_team],
        "by_trade": [{"trade": t, "count": n} for t, n in today.by_trade],
        "workers": [
            {"worker_id": d.worker_id, "name": d.worker.name, "first_in": d.first_in, "last_out": d.last_out,
             "punches": d.punches, "on_site": d.on_site}
            for d in today.present
        ],
    }
