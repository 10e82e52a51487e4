from django import template

from wageguard.attendance.models import REJECTION_REASONS

register = template.Library()


@register.filter
def rejection_reason(code: str) -> str:
    """The words for a rejection reason code; an unknown code is shown as it is."""
    return REJECTION_REASONS.get(code, code)
