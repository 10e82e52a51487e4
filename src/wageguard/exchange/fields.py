"""Parsing the fields of pushed records (no database): each refusal names its reason and field."""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation


class Invalid(Exception):
    def __init__(self, reason: str, field: str):
        self.reason, self.field = reason, field


def text_field(record: dict, name: str, limit: int, required: bool = True) -> str:
    value = record.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid("invalid_value", name)
    value = value.strip()
    if required and not value:
        raise Invalid("required", name)
    if len(value) > limit:
        raise Invalid("too_long", name)
    return value


def money_field(record: dict, name: str) -> Decimal:
    """Yuan with at most two decimals, as a JSON string ("1234.50") or number; never rounded."""
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise Invalid("required" if value is None else "invalid_amount", name)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid("invalid_amount", name) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) >= Decimal("1e14"):
        raise Invalid("invalid_amount", name)
    return amount.quantize(Decimal("0.01"))


def date_field(record: dict, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(record.get(name) or "")
    except (TypeError, ValueError):
        raise Invalid("invalid_date", name) from None


def moment_field(record: dict, name: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(record.get(name) or "")
    except (TypeError, ValueError):
        raise Invalid("invalid_datetime", name) from None
    if value.tzinfo is None:
        raise Invalid("invalid_datetime", name)
    return value


def parser(item_class, fill):
    """A batch record parser: a fresh item, filled by `fill`, rejected with the reason of the first bad field."""
    def parse(index: int, record_id: str, record: dict, memo: dict):
        item = item_class(index, record_id)
        try:
            fill(item, record)
        except Invalid as error:
            item.reject(error.reason, error.field)
        return item
    return parse
