"""Reads of machine clients. Only platform administrators manage them; others see none."""
from __future__ import annotations

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

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


# ---------------------------------------------------------------- the platform's reads (the rules; no person's scope)


def deliveries(start, end, kinds) -> list[tuple[int, object]]:
    """(sender, received at) of every batch received in [start, end] from senders of these kinds, in order."""
    return list(IngestionBatch.objects.filter(received_at__range=(start, end), sender__kind__in=kinds)
                .values_list("sender_id", "received_at").order_by("sender_id", "received_at"))


def senders_owing(sender_ids, kinds, before) -> QuerySet[ApiClient]:
    """The senders that delivered (`sender_ids`) and the active ones of these kinds, each with its last delivery
    before `before` (`last_ever`) and its sites' regions."""
    return (ApiClient.objects.filter(Q(pk__in=sender_ids) | Q(active=True, kind__in=kinds))
            .annotate(last_ever=Max("batches__received_at", filter=Q(batches__received_at__lt=before)))
            .prefetch_related("projects__region__parent").order_by("id"))
