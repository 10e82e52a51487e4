"""Reads of machine clients. Only platform administrators manage them; others see none."""
from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from .models import ApiClient, IngestionBatch


def _last_batch_query():
    return IngestionBatch.objects.filter(sender=OuterRef("pk")).order_by("-received_at")


def apiclients_for(user) -> QuerySet[ApiClient]:
    if not getattr(user, "is_platform_admin", False):
        return ApiClient.objects.none()
    return (ApiClient.objects.select_related("enterprise", "city")
            .annotate(project_count=Count("projects", distinct=True),
                      last_batch_at=Subquery(_last_batch_query().values("received_at")[:1]))
            .order_by("-created_at", "key_id"))


def apiclient_get(user, pk: int) -> ApiClient:
    return apiclients_for(user).get(pk=pk)
