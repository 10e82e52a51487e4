"""Template context shared by every page."""
from __future__ import annotations

from . import access


def navigation(request) -> dict:
    """`nav.<capability>`: what the navigation offers this person (core.access)."""
    user = getattr(request, "user", None)
    return {"nav": access.nav(user) if user is not None and user.is_authenticated else {}}
