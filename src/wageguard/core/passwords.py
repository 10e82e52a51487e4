"""Password complexity for production (MLPS 2.0 level 3: length and several kinds of characters)."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


class CharacterClassesValidator:
    """At least three of: lower-case letters, capitals, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if sum(bool(re.search(pattern, password)) for pattern in CLASSES) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("The password must mix at least three of: lower-case letters, capitals, digits and other characters.")
