"""Rule thresholds in one place: each with its default, its unit and the regulation it enforces.

A region may set its own value (`RegionalSetting`); the nearest region up the tree wins (county → city →
province → the default here). Alert rules, allocation checks and deposit rules all read through `value()`.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .models import Region, RegionalSetting

REGULATION_724 = "《保障农民工工资支付条例》（国务院令第724号）"
REGULATION_65 = "《工程建设领域农民工工资保证金规定》（人社部发〔2021〕65号）"
CREDIT_45 = "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》（人社部令第45号）"
MAJOR_VIOLATION_RULE = "《重大劳动保障违法行为社会公布办法》（人社部令第29号）"
CREDIT_SCORING = "山东省建筑市场企业用工信用评价办法（评分标准）"
FORECAST_MODEL = "预警预测模型（平台自有历史数据拟合，stats/forecast.py）"
SHANDONG_2022_SHARES = "山东省2022年工程建设领域人工费用拨付比例（房建≥20%、交通≥8%、市政水利≥12%）"


@dataclass(frozen=True)
class Rule:
    key: str
    default: Decimal
    unit: str
    regulation: str
    label: str
    low: Decimal | None = None   # a regional value must lie in [low, high]
    high: Decimal | None = None


RULES: dict[str, Rule] = {r.key: r for r in [
    Rule("labour_cost.min_share.building", Decimal("0.20"), "share", f"{REGULATION_724}第二十九条；{SHANDONG_2022_SHARES}",
         _("minimum labour-cost share of the progress payment: building"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.min_share.transport", Decimal("0.08"), "share", SHANDONG_2022_SHARES,
         _("minimum labour-cost share of the progress payment: transport"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.min_share.municipal", Decimal("0.12"), "share", SHANDONG_2022_SHARES,
         _("minimum labour-cost share of the progress payment: municipal"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.min_share.water", Decimal("0.12"), "share", SHANDONG_2022_SHARES,
         _("minimum labour-cost share of the progress payment: water"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.min_share.other", Decimal("0.20"), "share", f"{SHANDONG_2022_SHARES}（其他行业参照房建）",
         _("minimum labour-cost share of the progress payment: other industries"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.small_project_below", Decimal("4000000"), "yuan", "山东省规定：合同额400万元以下项目按设区市规定执行",
         _("contract sum below which the city's small-project share applies"), Decimal("0")),
    Rule("labour_cost.min_share.small_project", Decimal("0.20"), "share", "设区市规定（未规定时按房建比例）",
         _("minimum labour-cost share for small projects (the city's rule)"), Decimal("0"), Decimal("1")),
    Rule("labour_cost.due_day", Decimal("10"), "day of month", f"{REGULATION_724}第二十九条；按月足额拨付",
         _("day of the month by which the owner allocates labour cost"), Decimal("1"), Decimal("28")),
    Rule("account.open_within_days", Decimal("30"), "days", f"{REGULATION_724}第二十六条",
         _("days after the contract or permit within which the dedicated account is opened"), Decimal("1")),
    Rule("account.closing_notice_days", Decimal("30"), "days", f"{REGULATION_724}第二十七条；专户撤销前公示",
         _("days of notice before a dedicated account is closed"), Decimal("0")),
    Rule("deposit.rate", Decimal("0.02"), "share of contract sum", f"{REGULATION_65}第六条（1%–3%，由省确定）",
         _("wage deposit as a share of the contract sum"), Decimal("0.01"), Decimal("0.03")),
    Rule("deposit.exempt_below", Decimal("3000000"), "yuan", f"{REGULATION_65}第六条（合同额300万元以下可免缴）",
         _("contract sum below which no wage deposit is required"), Decimal("0")),
    Rule("deposit.reduced_factor", Decimal("0.5"), "factor", f"{REGULATION_65}第八条（连续2年无拖欠的减半存储）",
         _("factor applied after two years without arrears"), Decimal("0"), Decimal("1")),
    Rule("deposit.raised_rate", Decimal("0.05"), "share of contract sum", f"{REGULATION_65}第八条（发生拖欠的提高存储比例）",
         _("wage deposit share after arrears"), Decimal("0.01"), Decimal("0.10")),
    Rule("deposit.lodge_within_working_days", Decimal("20"), "working days", f"{REGULATION_65}第七条",
         _("working days after the contract within which the deposit is lodged"), Decimal("1")),
    Rule("deposit.refill_within_working_days", Decimal("10"), "working days", f"{REGULATION_65}第十二条",
         _("working days within which a drawn deposit is refilled"), Decimal("1")),
    Rule("deposit.refund_notice_days", Decimal("30"), "days", f"{REGULATION_65}第十四条（公示30日无异议后退还）",
         _("days of public notice before a deposit is refunded"), Decimal("0")),
    # Alert thresholds (alerts/catalogue.py names which rule reads which).
    Rule("alert.no_attendance_days", Decimal("3"), "days", f"{REGULATION_724}第二十八条（实名制考勤）",
         _("days without any attendance on a project with registered workers"), Decimal("1"), Decimal("30")),
    Rule("alert.attendance_update_rate", Decimal("0.85"), "share", "山东省农民工工资支付监管平台建设方案（考勤更新率不低于85%）",
         _("minimum share of registered workers with attendance over the window"), Decimal("0"), Decimal("1")),
    Rule("alert.attendance_window_days", Decimal("7"), "days", "山东省农民工工资支付监管平台建设方案",
         _("window of the attendance update rate"), Decimal("1"), Decimal("31")),
    Rule("alert.large_payment_month", Decimal("50000"), "yuan", f"{REGULATION_724}；大额发放核查",
         _("net pay to one worker in a month above which a payment is large"), Decimal("0")),
    Rule("alert.large_payment_year", Decimal("300000"), "yuan", f"{REGULATION_724}；大额发放核查",
         _("net pay to one worker in a year above which payments are large"), Decimal("0")),
    Rule("alert.low_average_pay", Decimal("1890"), "yuan per month", "山东省最低工资标准（一类地区月最低工资）",
         _("average monthly net pay per worker below which a ledger is suspicious"), Decimal("0")),
    Rule("alert.manual_punch_share", Decimal("0.10"), "share", "实名制考勤以人脸、刷卡为准，补录须有据",
         _("share of a project's punches that may be manual or supplementary"), Decimal("0"), Decimal("1")),
    Rule("alert.proxy_window_seconds", Decimal("60"), "seconds", "实名制考勤：一人一卡、本人刷脸",
         _("seconds within which one card or face punching for several workers is proxy clock-in"), Decimal("1"), Decimal("3600")),
    Rule("alert.late_data_hours", Decimal("24"), "hours", "山东省农民工工资支付监管平台建设方案（数据一日内上报）",
         _("hours within which data must reach the platform"), Decimal("1")),
    Rule("alert.sla_working_days.red", Decimal("3"), "working days", f"{REGULATION_724}第四十九条（及时处置）",
         _("working days to handle a red alert before it is escalated"), Decimal("1"), Decimal("30")),
    Rule("alert.sla_working_days.yellow", Decimal("5"), "working days", f"{REGULATION_724}第四十九条（及时处置）",
         _("working days to handle a yellow alert before it is escalated"), Decimal("1"), Decimal("30")),
    # Arrears forecast (stats/forecast.py): risk = logistic(intercept + Σ weight × signal), each signal 0..1. The
    # defaults are set by hand; `wageguard forecast --fit` re-fits them on the platform's own history.
    Rule("forecast.intercept", Decimal("-3.0"), "log-odds", FORECAST_MODEL, _("forecast: log-odds of arrears with no signal"), Decimal("-20"), Decimal("20")),
    *[Rule(f"forecast.weight.{name}", Decimal(default), "log-odds", FORECAST_MODEL, label, Decimal("-20"), Decimal("20"))
      for name, default, label in (
          ("arrears_before", "3.0", _("forecast weight: the month before not fully paid")),
          ("attendance_falling", "1.0", _("forecast weight: attendance falling")),
          ("ledger_missing", "1.5", _("forecast weight: no wage ledger for a month with workers")),
          ("alerts_recent", "1.0", _("forecast weight: recent alerts")),
          ("complaints", "1.5", _("forecast weight: recent complaints")),
          ("credit", "1.0", _("forecast weight: the general contractor's credit band")),
          ("no_account", "1.0", _("forecast weight: no dedicated account")),
          ("labour_cost_short", "1.5", _("forecast weight: labour cost not allocated in full")),
          ("bank_failures", "1.5", _("forecast weight: share of the month before's lines the bank could not pay")),
          ("balance_falling", "1.0", _("forecast weight: the dedicated accounts' balance falling over the month")))],
    Rule("forecast.alert_score", Decimal("0.5"), "risk 0..1", FORECAST_MODEL, _("forecast risk from which a yellow alert is raised"), Decimal("0"), Decimal("1")),
    # Credit (credit/rating.py): each weight is the points one fact adds to the base score (negative: deducted).
    Rule("credit.objection_working_days", Decimal("5"), "working days", f"{CREDIT_45}第九条（告知当事人，5个工作日内陈述申辩）",
         _("working days the party has to object to a proposed credit record"), Decimal("1"), Decimal("30")),
    Rule("credit.base_score", Decimal("100"), "points", CREDIT_SCORING, _("credit score before any fact"), Decimal("0"), Decimal("1000")),
    Rule("credit.band.a", Decimal("90"), "points", CREDIT_SCORING, _("lowest score rated A"), Decimal("0"), Decimal("1000")),
    Rule("credit.band.b", Decimal("75"), "points", CREDIT_SCORING, _("lowest score rated B"), Decimal("0"), Decimal("1000")),
    Rule("credit.band.c", Decimal("60"), "points", CREDIT_SCORING, _("lowest score rated C (below: D)"), Decimal("0"), Decimal("1000")),
    Rule("credit.weight.arrears_found", Decimal("-15"), "points per record", CREDIT_SCORING, _("weight: arrears found"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.arrears_per_10k", Decimal("-1"), "points per 10,000 yuan", CREDIT_SCORING,
         _("weight: each 10,000 yuan of arrears found"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.arrears_settled", Decimal("5"), "points per record", CREDIT_SCORING, _("weight: arrears settled"), Decimal("0"), Decimal("100")),
    Rule("credit.weight.blacklist", Decimal("-50"), "points", f"{CREDIT_45}；{CREDIT_SCORING}", _("weight: on the joint-punishment blacklist"),
         Decimal("-100"), Decimal("0")),
    Rule("credit.weight.major_violation", Decimal("-30"), "points", f"{MAJOR_VIOLATION_RULE}；{CREDIT_SCORING}",
         _("weight: major labour-law violation"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.market_ban", Decimal("-50"), "points", CREDIT_SCORING, _("weight: barred from the construction market"),
         Decimal("-100"), Decimal("0")),
    Rule("credit.weight.commendation", Decimal("5"), "points", CREDIT_SCORING, _("weight: commendation"), Decimal("0"), Decimal("100")),
    Rule("credit.weight.alert_red", Decimal("-3"), "points per alert", CREDIT_SCORING, _("weight: a red alert"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.alert_yellow", Decimal("-1"), "points per alert", CREDIT_SCORING, _("weight: a yellow alert"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.alert_overdue", Decimal("-2"), "points per alert", f"{REGULATION_724}第四十九条；{CREDIT_SCORING}",
         _("weight: an alert not handled by its deadline"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.sender_late", Decimal("-1"), "points per alert", f"山东省农民工工资支付监管平台建设方案（数据一日内上报）；{CREDIT_SCORING}",
         _("weight: late or missing data as a sender"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.deposit_late", Decimal("-5"), "points per deposit", f"{REGULATION_65}第七条；{CREDIT_SCORING}",
         _("weight: a wage deposit not lodged in full by its deadline"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.deposit_drawn", Decimal("-5"), "points per drawdown", f"{REGULATION_65}第十一条（动用保证金支付工资）；{CREDIT_SCORING}",
         _("weight: the wage deposit drawn to pay wages"), Decimal("-100"), Decimal("0")),
    Rule("credit.weight.complaint_upheld", Decimal("-5"), "points per complaint", CREDIT_SCORING,
         _("weight: a complaint upheld"), Decimal("-100"), Decimal("0")),
    Rule("complaint.sla_working_days", Decimal("10"), "working days", f"{REGULATION_724}第五十条（投诉处理）",
         _("working days to handle a complaint before it is escalated"), Decimal("1"), Decimal("60")),
]}


_memo = threading.local()


@contextlib.contextmanager
def remembered():
    """Within the block, each (rule, region) is read from the database once (a sweep over thousands of
    projects asks the same few questions again and again)."""
    outer = getattr(_memo, "values", None)
    _memo.values = {} if outer is None else outer
    try:
        yield
    finally:
        _memo.values = outer


def value(key: str, region: Region | None) -> Decimal:
    """The value in force for a region: its own, else its city's, else the province's, else the default."""
    cache = getattr(_memo, "values", None)
    if cache is None:
        return _value(key, region)
    slot = (key, region.pk if region is not None else None)
    if slot not in cache:
        cache[slot] = _value(key, region)
    return cache[slot]


def values(key: str, regions) -> dict[int, Decimal]:
    """The value in force for each of these regions (their parents loaded), in one query."""
    chains = {}
    for region in regions:
        chain, node = [], region
        while node is not None:
            chain.append(node.pk)
            node = node.parent
        chains[region.pk] = chain
    overrides = dict(RegionalSetting.objects.filter(key=key, region_id__in={pk for chain in chains.values() for pk in chain})
                     .values_list("region_id", "value"))
    return {pk: next((overrides[r] for r in chain if r in overrides), RULES[key].default) for pk, chain in chains.items()}


def _value(key: str, region: Region | None) -> Decimal:
    rule = RULES[key]
    chain = []
    while region is not None:
        chain.append(region.pk)
        region = region.parent
    if chain:
        overrides = dict(RegionalSetting.objects.filter(key=key, region_id__in=chain).values_list("region_id", "value"))
        for region_id in chain:
            if region_id in overrides:
                return overrides[region_id]
    return rule.default


def lowest(key: str) -> Decimal:
    """The lowest value of a threshold anywhere (its default or any region's own): a first cut that no region's
    value can be below."""
    return min([RULES[key].default, *RegionalSetting.objects.filter(key=key).values_list("value", flat=True)])
