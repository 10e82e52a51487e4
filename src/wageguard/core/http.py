"""What console views share: calling a service on behalf of the person and telling them how it went."""
from __future__ import annotations

from django.contrib import messages

from .errors import NotFound, PermissionDenied, ServiceError


def service_call(request, action, success: str) -> bool:
    """Run `action()`; a refusal for bad input becomes a message on the page, a refusal of the person (role or
    scope) propagates (403/404 with nothing written). True when it went through."""
    try:
        action()
    except (PermissionDenied, NotFound):
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True
