"""What a machine client may send or read: projects by kind of client."""
from __future__ import annotations

from django.db.models import QuerySet

from wageguard.registry.models import Project

from .models import ApiClient, ClientKind


def client_projects(client: ApiClient) -> QuerySet[Project]:
    if client.kind == ClientKind.GATE_SYSTEM:
        return Project.objects.filter(api_clients=client)
    if client.kind == ClientKind.ENTERPRISE_SYSTEM and client.enterprise_id:
        return Project.objects.filter(participations__enterprise_id=client.enterprise_id).distinct()
    if client.kind == ClientKind.CITY_PLATFORM and client.city_id:
        return Project.objects.filter(region__code__startswith=client.city.subtree_prefix)
    return Project.objects.none()  # banks push accounts, not projects' data
