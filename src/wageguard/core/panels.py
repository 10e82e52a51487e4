"""Panels on the home page that apps above the registry contribute (registered in their `AppConfig.ready`),
so that the home page shows them without importing those apps."""
from __future__ import annotations

from typing import Callable

_panels: dict[str, Callable] = {}


def register(name: str, panel: Callable) -> None:
    """`panel(user)` returns the panel's context for this person, or None when it has nothing for them."""
    _panels[name] = panel


def for_user(user) -> dict:
    return {name: value for name, panel in _panels.items() if (value := panel(user)) is not None}
