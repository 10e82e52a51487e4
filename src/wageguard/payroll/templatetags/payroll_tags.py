from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

CHECKS = {
    "real_name": _("registered by real name"),
    "pay_without_attendance": _("pay without attendance"),
    "days_over_claimed": _("days claimed above attended"),
    "contract": _("labour contract"),
    "card_holder": _("card holder is the worker"),
    "paid_twice": _("paid twice for the same days"),
    "large_payment": _("large payment"),
    "exit_without_settlement": _("exit without settlement"),
    "card_changed": _("wage card changed in the last 30 days"),
}
DIFFERENCES = {
    "unpaid": _("no result from the bank yet"),
    "failed": _("the bank failed to pay"),
    "no_debit": _("paid result with no debit in the account"),
    "amount_differs": _("debit differs from the paid result"),
    "debit_without_line": _("wage debit no ledger line accounts for"),
}


@register.filter
def check_label(code: str) -> str:
    return CHECKS.get(code, code)


@register.filter
def difference_label(kind: str) -> str:
    return DIFFERENCES.get(kind, kind)


@register.filter
def not_ok(checks: dict) -> list[tuple[str, dict]]:
    """The checks worth showing on a line: everything that is not plainly ok."""
    return [(code, result) for code, result in (checks or {}).items() if result.get("level") != "ok"]


@register.filter
def get_item(mapping: dict, key: str):
    return (mapping or {}).get(key, "")
