"""Money is Decimal yuan with two places: rounding for computed sums, strict parsing for entered ones."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import ServiceError

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """A computed sum (a share, a pro rata wage) rounded half up to the fen."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def require_money(value, field: str, *, positive: bool = False) -> Decimal:
    """An entered sum: a number of yuan with at most two decimals, never rounded; refused naming the field."""
    try:
        amount = Decimal(str(value).strip()) if value is not None and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(CENT) or amount < 0 or (positive and amount == 0):
        message = (_("Amount must be above zero, in yuan with at most two decimals.") if positive
                   else _("Amount must be a non-negative sum in yuan with at most two decimals."))
        raise ServiceError("invalid_amount", message, field)
    return amount.quantize(CENT)
