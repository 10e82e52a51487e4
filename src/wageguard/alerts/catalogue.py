"""The rule catalogue, in one place: every alert rule with its Chinese name, severity, subject, the
regulation it enforces, the thresholds it reads (`core.rules`: settings, overridable per region), the
domain events that run it right after their commit, whether the nightly sweep runs it, and its grace
window (data that has merely not arrived yet — the one-day deadline — raises nothing).

The simulator's anomaly labels use these codes as their `kind`.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable

from django.utils.translation import gettext_lazy as _

from wageguard.core.rules import REGULATION_65, REGULATION_724

from .rules import accounts as account_rules
from .rules import attendance as attendance_rules
from .rules import forecast as forecast_rules
from .rules import payroll as payroll_rules
from .rules import senders as sender_rules
from .models import Severity

PLATFORM_PLAN = "山东省农民工工资支付监管平台建设方案"

# Domain events (emitted by the write services, dispatched after their commit: `core.events`).
from wageguard.core.events import ACCOUNT_BOOKED, ACCOUNT_OPENED, ATTENDANCE_INGESTED, DEPOSIT_CHANGED, PAYROLL_CHANGED  # noqa: E402,F401


@dataclass(frozen=True)
class AlertRule:
    code: str
    name: str
    severity: str
    subject: str                      # project / enterprise / worker / account / sender / payroll / payroll_line
    regulation: str
    evaluate: Callable                # (scope: findings.Scope, today: date) -> list[findings.Finding]
    thresholds: tuple[str, ...] = ()  # keys of core.rules.RULES
    events: tuple[str, ...] = ()
    nightly: bool = True
    grace: datetime.timedelta = datetime.timedelta(days=1)
    notes: str = ""
    periods: str = "month"            # what its `period` holds: month (YYYY-MM), day (YYYY-MM-DD) or none
    extra: dict = field(default_factory=dict)


RULES: dict[str, AlertRule] = {r.code: r for r in [
    AlertRule("pay_without_attendance", _("pay without attendance"), Severity.RED, "payroll_line",
              f"{REGULATION_724}第二十八条（按考勤核发）", payroll_rules.line_check("pay_without_attendance"), events=(PAYROLL_CHANGED,),
              notes="a ledger line pays a daily or piece-rate worker with no attendance in the month"),
    AlertRule("days_over_claimed", _("more days claimed than attended"), Severity.RED, "payroll_line",
              f"{REGULATION_724}第二十八条", payroll_rules.line_check("days_over_claimed", days_attended__gt=0), events=(PAYROLL_CHANGED,),
              notes="with some attendance (none at all is pay_without_attendance)"),
    AlertRule("ghost_worker", _("ghost worker"), Severity.RED, "payroll_line", f"{REGULATION_724}第二十八条",
              payroll_rules.ghost_worker, events=(PAYROLL_CHANGED,),
              notes="paid by the month with no attendance at all in the month"),
    AlertRule("large_payment", _("large payment"), Severity.YELLOW, "payroll_line", f"{REGULATION_724}；大额发放核查",
              payroll_rules.large_payment, thresholds=("alert.large_payment_month", "alert.large_payment_year"), events=(PAYROLL_CHANGED,)),
    AlertRule("exit_without_settlement", _("left without final settlement"), Severity.YELLOW, "payroll_line",
              f"{REGULATION_724}第十五条（离场结清）", payroll_rules.line_check("exit_without_settlement", wage_rate__isnull=False),
              events=(PAYROLL_CHANGED,), notes="with known wage terms (without them the missing contract is the error to fix)"),
    AlertRule("proxy_clockin", _("proxy clock-in or cards held by a foreman"), Severity.RED, "project",
              f"{REGULATION_724}第二十八条（实名考勤、工资直接发放给农民工本人）", attendance_rules.proxy_clockin,
              thresholds=("alert.proxy_window_seconds",), events=(PAYROLL_CHANGED, ATTENDANCE_INGESTED), periods="day",
              notes="one card or face punching for several workers within a minute; several workers paid to one card", nightly=False),
    AlertRule("arrears", _("wage arrears"), Severity.RED, "payroll", f"{REGULATION_724}第三条、第二十四条（按月足额支付）",
              payroll_rules.arrears, events=(PAYROLL_CHANGED,), grace=datetime.timedelta(days=0),
              notes="month M not fully paid by the end of M + 1"),
    AlertRule("low_average_pay", _("average pay below the minimum wage"), Severity.YELLOW, "payroll",
              "山东省最低工资标准", payroll_rules.low_average_pay, thresholds=("alert.low_average_pay",), events=(PAYROLL_CHANGED,)),
    AlertRule("bank_line_failed", _("bank could not pay a line"), Severity.YELLOW, "payroll_line",
              f"{REGULATION_724}第三十一条", payroll_rules.bank_line_failed, events=(PAYROLL_CHANGED,),
              notes="the bank's result is failed and the line has not been re-issued"),
    AlertRule("account_not_opened", _("dedicated account not opened"), Severity.RED, "project", f"{REGULATION_724}第二十六条",
              account_rules.account_not_opened, thresholds=("account.open_within_days",), events=(ACCOUNT_OPENED,), periods="none"),
    AlertRule("no_attendance", _("no attendance"), Severity.YELLOW, "project", f"{REGULATION_724}第二十八条；{PLATFORM_PLAN}",
              attendance_rules.no_attendance, thresholds=("alert.no_attendance_days", "alert.attendance_update_rate", "alert.attendance_window_days"),
              periods="day"),
    AlertRule("labour_cost_missing", _("labour cost not allocated"), Severity.RED, "project", f"{REGULATION_724}第二十九条",
              account_rules.labour_cost("missing"), thresholds=("labour_cost.due_day",), events=(ACCOUNT_BOOKED,)),
    AlertRule("labour_cost_late", _("labour cost allocated late"), Severity.YELLOW, "project", f"{REGULATION_724}第二十九条",
              account_rules.labour_cost("late"), thresholds=("labour_cost.due_day",), events=(ACCOUNT_BOOKED,)),
    AlertRule("labour_cost_low", _("labour cost below the industry's share"), Severity.YELLOW, "project", f"{REGULATION_724}第二十九条",
              account_rules.labour_cost("low"), thresholds=("labour_cost.min_share.building", "labour_cost.min_share.transport",
                                                 "labour_cost.min_share.municipal", "labour_cost.min_share.water"), events=(ACCOUNT_BOOKED,)),
    AlertRule("account_misuse", _("dedicated account money misused"), Severity.RED, "transaction",
              f"{REGULATION_724}第二十六条（专款专用）", account_rules.account_misuse, events=(ACCOUNT_BOOKED, PAYROLL_CHANGED),
              notes="a debit that is neither a wage to a card the project's ledgers pay nor a bank fee or refund", nightly=False),
    AlertRule("deposit_missing", _("wage deposit not lodged"), Severity.RED, "project", f"{REGULATION_65}第七条",
              account_rules.deposit_missing, thresholds=("deposit.lodge_within_working_days",), events=(DEPOSIT_CHANGED,), periods="none",
              notes="not lodged within its deadline, or an exemption the rules do not allow"),
    AlertRule("late_data", _("data not received within a day"), Severity.YELLOW, "project / sender", f"{PLATFORM_PLAN}（数据一日内上报）",
              sender_rules.late_data, thresholds=("alert.late_data_hours",), events=(ATTENDANCE_INGESTED,), periods="day",
              notes="a day's punches that arrived after the deadline; a gate system or bank that delivered nothing for longer "
                    "than it (the nightly sweep; a site that stays silent is also no_attendance's)"),
    AlertRule("arrears_risk", _("high risk of arrears next month"), Severity.YELLOW, "project", f"{PLATFORM_PLAN}（预警预测）",
              forecast_rules.arrears_risk, thresholds=("forecast.alert_score",),
              notes="the arrears forecast (stats/forecast.py) puts the project's risk at or above the threshold: look before the wages fall due",
              extra={"graded_by": "the forecast's backtest (bench/stats.py), not the simulator's labels"}),
    AlertRule("manual_punch_rate", _("too many manual punches"), Severity.YELLOW, "project", PLATFORM_PLAN, attendance_rules.manual_punch_rate,
              thresholds=("alert.manual_punch_share",), events=(ATTENDANCE_INGESTED,), nightly=False),
]}

def for_event(event: str) -> list[AlertRule]:
    return [rule for rule in RULES.values() if event in rule.events]
