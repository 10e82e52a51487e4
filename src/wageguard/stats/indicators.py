"""Every indicator in one place: what it counts, over what, and its definition as the page shows it.

A measure is a column of the rollups (`models.Counts`): a count, or a sum of money, per project and month. An
indicator is a measure (a count) or a measure over another (a rate); the projects behind a number are the month
rows whose measure is not zero."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from wageguard.core import months

MEASURES = ("projects", "qualifying", "onboarded", "accounts_opened", "accounts_in_time", "labour_cost_short", "employments", "contracts", "real_name",
            "attended", "ledger_lines", "lines_paid", "lines_failed", "net_due", "net_paid", "unpaid_net", "balance", "unpaid_workers", "projects_unpaid",
            "alerts_raised", "alerts_in_time", "alerts_late", "complaints", "credit_records", "records_received", "records_late",
            "records_rejected")
MONEY_MEASURES = ("net_due", "net_paid", "unpaid_net", "balance")

MEASURE_LABELS = {
    "projects": _("projects"), "qualifying": _("qualifying projects"), "onboarded": _("qualifying projects onboarded"),
    "accounts_opened": _("projects with a dedicated account"), "accounts_in_time": _("accounts opened in time"),
    "labour_cost_short": _("labour cost not allocated in full"),
    "employments": _("workers on the roster"), "contracts": _("with a labour contract"), "real_name": _("with an ID-card reading"),
    "attended": _("with attendance"), "ledger_lines": _("ledger lines"), "lines_paid": _("lines paid by the bank"),
    "lines_failed": _("lines the bank could not pay"), "balance": _("dedicated accounts' balance at the month's end (yuan)"),
    "net_due": _("net wages due (yuan)"), "net_paid": _("net wages paid by the bank (yuan)"), "unpaid_net": _("arrears (yuan)"),
    "unpaid_workers": _("workers in arrears"), "projects_unpaid": _("projects in arrears"), "alerts_raised": _("alerts raised"),
    "alerts_in_time": _("alerts handled in time"), "alerts_late": _("alerts handled late"), "complaints": _("complaints"),
    "credit_records": _("credit records"), "records_received": _("records received"), "records_late": _("records late"),
    "records_rejected": _("records rejected"),
}

# The province's plan (鲁人社字〔2019〕…): qualifying projects under construction on the platform.
PLAN_2019 = "山东省农民工工资支付监管平台建设实施方案（2019）"
COVERAGE_TARGETS = ((datetime.date(2019, 10, 31), Decimal("0.70")), (datetime.date(2020, 1, 31), Decimal("1.00")))


def coverage_target(month: str) -> tuple[Decimal, datetime.date] | None:
    """The target in force at the end of a month: the first deadline not yet passed, or the last one."""
    end = months.last_day(month)
    for deadline, share in COVERAGE_TARGETS:
        if end <= deadline:
            return share, deadline
    return COVERAGE_TARGETS[-1][1], COVERAGE_TARGETS[-1][0]


@dataclass(frozen=True)
class Indicator:
    code: str
    label: object
    numerator: str
    denominator: str | None  # None: a count or an amount
    definition: object
    higher_is_better: bool = True
    needs_due: bool = False  # only months whose wages fell due (the end of the next month) count

    def value(self, counts: dict) -> Decimal | None:
        top = Decimal(counts.get(self.numerator) or 0)
        if self.denominator is None:
            return top
        bottom = Decimal(counts.get(self.denominator) or 0)
        return (top / bottom).quantize(Decimal("0.0001")) if bottom else None


INDICATORS: dict[str, Indicator] = {i.code: i for i in [
    Indicator("coverage", _("Coverage"), "onboarded", "qualifying",
              _("Qualifying projects onboarded to the platform by the end of the month, over all qualifying projects started by then. "
                "Targets of the 2019 plan: 70 % by 31 Oct 2019, 100 % by 31 Jan 2020.")),
    Indicator("accounts", _("Dedicated accounts"), "accounts_opened", "projects",
              _("Projects with a dedicated wage account opened by the end of the month, over the projects started by then.")),
    Indicator("accounts_in_time", _("Accounts opened in time"), "accounts_in_time", "accounts_opened",
              _("Of the projects with an account, those whose first account was opened within the regional deadline after the start.")),
    Indicator("labour_cost_short", _("Labour cost short"), "labour_cost_short", "accounts_opened",
              _("Projects with an account whose owner allocated less labour cost for the month than its progress payment requires "
                "(or none), over the projects with an account."), higher_is_better=False),
    Indicator("contracts", _("Labour contracts"), "contracts", "employments",
              _("Workers on the roster during the month (one per project) with a labour contract signed by its end.")),
    Indicator("real_name", _("Real-name coverage"), "real_name", "employments",
              _("Workers on the roster during the month whose identity was read from their ID card by its end.")),
    Indicator("attendance", _("Attendance update rate"), "attended", "employments",
              _("Workers on the roster during the month with at least one day of attendance from the site gate in it.")),
    Indicator("bank_disbursement", _("Bank disbursement"), "lines_paid", "ledger_lines",
              _("Lines of the month's wage ledgers (net pay above zero) that the bank reports paid, over all such lines, once due "
                "(the end of the next month)."), needs_due=True),
    Indicator("wages_paid", _("Wages paid through the bank (yuan)"), "net_paid", None,
              _("Net wages of the month's ledgers that the bank reports paid, once due."), needs_due=True),
    Indicator("arrears", _("Arrears (yuan)"), "unpaid_net", None,
              _("Net wages of the month's ledgers not paid by the bank, once due (the end of the next month)."),
              higher_is_better=False, needs_due=True),
    Indicator("arrears_workers", _("Workers in arrears"), "unpaid_workers", None,
              _("Workers with a ledger line of the month not paid, once due."), higher_is_better=False, needs_due=True),
    Indicator("arrears_projects", _("Projects in arrears"), "projects_unpaid", None,
              _("Projects with a ledger line of the month not paid, once due."), higher_is_better=False, needs_due=True),
    Indicator("alerts", _("Alerts raised"), "alerts_raised", None, _("Alerts raised in the month on the projects."), higher_is_better=False),
    Indicator("alerts_in_time", _("Alerts handled in time"), "alerts_in_time", "alerts_raised",
              _("Alerts raised in the month and closed by their deadline, over all alerts raised in the month.")),
    Indicator("complaints", _("Complaints"), "complaints", None, _("Complaints filed in the month about the projects."), higher_is_better=False),
    Indicator("credit_records", _("Credit records"), "credit_records", None,
              _("Credit records proposed in the month concerning the projects."), higher_is_better=False),
    Indicator("late_data", _("Late data"), "records_late", "records_received",
              _("Attendance records received in the month more than one day after the event, over all records received."),
              higher_is_better=False),
    Indicator("rejected_data", _("Rejected data"), "records_rejected", "records_received",
              _("Attendance records received in the month and refused (unknown worker or device, bad fields), over all received."),
              higher_is_better=False),
]}


def is_due(month: str, today: datetime.date) -> bool:
    """A month's wages fall due at the end of the next month (the arrears rule's deadline)."""
    return months.last_day(months.next_month(month)) < today


def shown(code: str, value) -> str:
    """An indicator's value as the page shows it: a share in per cent, money in yuan, a count."""
    if value is None:
        return "—"
    indicator = INDICATORS[code]
    if indicator.denominator:
        return f"{value * 100:.1f}%"
    if indicator.numerator in MONEY_MEASURES:
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def rank_among(values, value, higher_is_better: bool = True) -> list[int] | None:
    """[rank, of how many] among the values that exist; ties share a rank (1 + those strictly better)."""
    present = [v for v in values if v is not None]
    if value is None or not present:
        return None
    better = sum(1 for v in present if (v > value if higher_is_better else v < value))
    return [better + 1, len(present)]
