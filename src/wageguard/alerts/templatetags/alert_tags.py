from django import template
from django.utils.translation import gettext_lazy as _

from wageguard.alerts.catalogue import RULES

register = template.Library()

FACTS = {"payroll": _("wage ledger"), "days_attended": _("days attended"), "days_claimed": _("days claimed"), "net": _("net pay"),
         "check": _("check"), "detail": _("detail"), "limit": _("limit"), "year_total": _("net in the year"), "workers": _("workers"),
         "card": _("bank card"), "lines": _("lines"), "paid": _("paid lines"), "unpaid_net": _("unpaid net"), "deadline": _("deadline"),
         "average_net": _("average net"), "floor": _("minimum"), "reason_code": _("bank's reason code"), "due": _("due"),
         "opened_on": _("opened on"), "from": _("from"), "to": _("to"), "days": _("days"), "roster_days": _("days on the roster")}


@register.filter
def rule_name(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.name) if rule else code


@register.filter
def fact_label(key: str) -> str:
    return str(FACTS.get(key, key))
