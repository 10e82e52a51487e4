"""Signed-in people on the JSON API: the session, the capability an operation needs (core.access) and the scope
of the objects its path names, all checked before the body is read, so that a role or scope that may never
call it is refused (403, or 404 for what it may not see) whatever it sends."""
from __future__ import annotations

from django.apps import apps
from ninja.security import SessionAuth

from . import access
from .errors import NotFound

# What each path parameter of the API names (model label, field). A new parameter name is declared here; the
# access walker requests scope A's object as every role of scope B.
PATH_OBJECTS = {"code": ("registry.project", "code"), "employment_id": ("registry.employment", "pk")}


class SessionFor(SessionAuth):
    def __init__(self, capability: str):
        self.capability = capability
        super().__init__()

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None:
            return None
        if request.method in ("GET", "HEAD") and not access.can(user, self.capability):
            raise NotFound()
        access.require(user, self.capability)
        for name, value in (request.resolver_match.kwargs if request.resolver_match else {}).items():
            if name in PATH_OBJECTS:
                label, field = PATH_OBJECTS[name]
                if not apps.get_model(label).objects.visible_to(user).filter(**{field: value}).exists():
                    raise NotFound()
        return user


def people(capability: str) -> dict:
    """Keyword arguments of an operation for signed-in people that needs `capability` (named in the OpenAPI
    document as `x-capability`, which the access walker reads)."""
    return {"auth": SessionFor(capability), "openapi_extra": {"x-capability": capability}}
