from django import template
from django.utils.translation import gettext_lazy as _

from wageguard.alerts.catalogue import RULES
from wageguard.exchange.models import ClientKind

register = template.Library()

FACTS = {"payroll": _("wage ledger"), "days_attended": _("days attended"), "days_claimed": _("days claimed"), "net": _("net pay"),
         "check": _("check"), "detail": _("detail"), "limit": _("threshold"), "year_total": _("net in the year"), "workers": _("workers"),
         "card": _("bank card"), "lines": _("lines"), "paid": _("paid lines"), "unpaid_net": _("unpaid net"), "deadline": _("deadline"),
         "average_net": _("average net"), "floor": _("minimum"), "reason_code": _("bank's reason code"), "due": _("open by"),
         "opened_on": _("opened on"), "from": _("from"), "to": _("to"), "days": _("days"), "roster_days": _("days on the roster"),
         "account": _("wage account"), "allocated": _("allocated"), "amount": _("amount"), "at": _("time"), "booked_at": _("booked at"),
         "by": _("matched by"), "counterparty": _("counterparty"), "day": _("day"), "due_day": _("due day of the month"),
         "due_on": _("due on"), "expected": _("expected"), "first_allocated_on": _("first allocated on"), "held": _("held"),
         "hours_silent": _("hours without data"), "kind": _("sender kind"), "last_received": _("last data received"),
         "late": _("late"), "manual": _("manual punches"), "progress_payment": _("progress payment"), "punches": _("punches"),
         "purpose": _("purpose"), "rate": _("rate"), "reasons": _("reasons"), "received": _("received"),
         "registered": _("on the roster all week"), "required": _("required"), "seen": _("seen at the gate"),
         "resumed": _("delivered again"), "sender": _("sender"), "share": _("share"), "week": _("week from")}
SUBJECTS = {"project": _("project"), "sender": _("sender"), "payroll": _("wage ledger"), "payroll_line": _("ledger line"),
            "transaction": _("account transaction"), "worker": _("worker")}
VALUES = {"kind": dict(ClientKind.choices), "by": {"card_hash": _("card"), "face_hash": _("face")}}


@register.filter
def rule_name(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.name) if rule else code


@register.filter
def fact_label(key: str) -> str:
    return str(FACTS.get(key, key))


@register.filter
def fact_value(value, key: str):
    """A fact as people read it: codes (a sender's kind, what a punch was matched by) in words."""
    return VALUES.get(key, {}).get(value, value) if isinstance(value, str) else value


@register.filter
def subject_name(subject: str) -> str:
    """A rule's subject ("project / sender") in words."""
    return " / ".join(str(SUBJECTS.get(part, part)) for part in subject.split(" / "))
