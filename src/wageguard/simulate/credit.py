"""The demo province's credit: the officials act on the arrears the simulator caused.

For the enterprises with the most arrears the county HRSS department finds arrears (a credit record through the
whole workflow: proposed, notified, the objection window, decided); the worst of them is put on the joint-
punishment blacklist and published; a clean enterprise is commended; a housing bureau proposes a market ban that
waits for its notice; a city police department asks for an evidence package that waits for HRSS. Every step goes
through the credit services at a past moment (the objection windows have run by today). Once per province.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from wageguard.core import clock, rules
from wageguard.core.models import Agency, Department, Role
from wageguard.core.services import user_create
from wageguard.core.workdays import add_working_days, is_working_day
from wageguard.credit import evidence, services
from wageguard.credit.models import CreditRecord, RecordKind
from wageguard.payroll.models import Payroll, PayrollLine
from wageguard.registry.models import Enterprise, ParticipationRole

from .banking import _at
from .payroll import ARREARS

ARREARS_RECORDS = 4   # enterprises found in arrears
POLICE_USERNAME = "sim-police"
BASIS_ARREARS = "《保障农民工工资支付条例》（国务院令第724号）第三条、第十五条"
BASIS_BLACKLIST = "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》（人社部令第45号）第五条"
BASIS_MARKET_BAN = "《建筑市场信用管理暂行办法》（建市〔2017〕241号）第十四条"
BASIS_COMMENDATION = "山东省建筑市场企业用工信用评价办法：连续无拖欠、按时足额支付"


@dataclass
class CreditSummary:
    records: int = 0
    published: int = 0
    evidence_requests: int = 0


def _working_day_before(day: datetime.date) -> datetime.date:
    day -= datetime.timedelta(days=1)
    while not is_working_day(day)[0]:
        day -= datetime.timedelta(days=1)
    return day


def _notice_day_for(decision: datetime.date, department: Department) -> datetime.date:
    """The latest working day a notice can be given so that its objection window has closed before `decision`."""
    window = int(rules.value("credit.objection_working_days", department.region))
    notice = _working_day_before(decision)
    while add_working_days(notice, window).day >= decision:
        notice = _working_day_before(notice)
    return notice


def _through(actor, decision: datetime.date, *, publish_months: int | None = None, document: str, **proposal) -> CreditRecord:
    """A record through the workflow: proposed and notified on the notice day, decided (and published) on `decision`."""
    notice = _notice_day_for(decision, proposal["department"])
    with clock.travel(_at(notice, 9)):
        record = services.record_propose(actor=actor, **proposal)
        record = services.record_notify(actor=actor, record=record, note="书面告知并送达")
    with clock.travel(_at(decision, 10)):
        record = services.record_decide(actor=actor, record=record, decision_document=document)
        if publish_months:
            record = services.record_publish(actor=actor, record=record, period_months=publish_months)
    return record


def _arrears_by_enterprise(labels: list[dict]) -> list[tuple[int, list[int]]]:
    """Enterprises with arrears labelled by the simulator, the most first: (enterprise, payroll ids)."""
    payrolls = defaultdict(list)
    for label in labels:
        if label["kind"] == ARREARS:
            payrolls[label["subject"]["enterprise"]].append(label["subject"]["id"])
    return sorted(payrolls.items(), key=lambda item: (-len(item[1]), item[0]))


def simulate_credit(*, labels: list[dict], actor, now: datetime.datetime) -> CreditSummary:
    summary = CreditSummary()
    if CreditRecord.objects.exists():
        return summary
    today = timezone.localdate(now)
    found = _arrears_by_enterprise(labels)[:ARREARS_RECORDS]
    for rank, (enterprise_id, payroll_ids) in enumerate(found):
        payroll = Payroll.objects.select_related("project__region__parent", "enterprise").get(pk=payroll_ids[0])
        lines = PayrollLine.objects.current().filter(payroll_id__in=payroll_ids, net__gt=0)
        # Unpaid today, or (paid late since) what was owed at the deadline.
        unpaid = lines.exclude(result__status="paid").aggregate(total=Sum("net"))["total"] or lines.aggregate(total=Sum("net"))["total"]
        if not unpaid:
            continue
        hrss = Department.objects.get(region=payroll.project.region, agency=Agency.HRSS)
        city = payroll.project.region.parent.name
        months = "、".join(sorted(Payroll.objects.filter(pk__in=payroll_ids).values_list("month", flat=True)))
        record = _through(
            actor, today - datetime.timedelta(days=25 + 3 * rank), department=hrss, kind=RecordKind.ARREARS_FOUND,
            enterprise=payroll.enterprise, project=payroll.project, amount=unpaid, legal_basis=BASIS_ARREARS,
            document=f"{city}人社欠薪认定〔{today.year}〕{rank + 1}号",
            facts=f"经调查，{payroll.enterprise.name}在{payroll.project.name}拖欠农民工{months}工资{unpaid}元，逾期未支付。")
        summary.records += 1
        if not summary.published:  # the worst of them on the blacklist
            _through(actor, _working_day_before(today), department=hrss, kind=RecordKind.BLACKLIST, enterprise=payroll.enterprise,
                     project=payroll.project, publish_months=36, legal_basis=BASIS_BLACKLIST,
                     document=f"{city}人社失信决〔{today.year}〕1号",
                     facts=f"{payroll.enterprise.name}拖欠农民工工资{record.amount or 0}元，经责令限期支付仍未支付，列入拖欠农民工工资失信联合惩戒对象名单。")
            summary.records += 1
            summary.published += 1
            summary.evidence_requests += _police_request(payroll, now)
    clean = (Enterprise.objects.filter(participations__role=ParticipationRole.GENERAL_CONTRACTOR).exclude(pk__in=[e for e, _p in found])
             .select_related("region").order_by("pk").distinct())
    commended = clean.first()
    if commended is not None and commended.region_id:
        _through(actor, today - datetime.timedelta(days=10), department=Department.objects.get(region=commended.region, agency=Agency.HRSS),
                 kind=RecordKind.COMMENDATION, enterprise=commended, legal_basis=BASIS_COMMENDATION,
                 document=f"人社表扬〔{today.year}〕1号", facts=f"{commended.name}按月足额支付农民工工资，无欠薪投诉。")
        summary.records += 1
    if len(found) > 1:
        payroll = Payroll.objects.select_related("project__region").get(pk=found[1][1][0])
        housing = Department.objects.get(region=payroll.project.region, agency=Agency.HOUSING)
        with clock.travel(_at(_working_day_before(today), 15)):
            services.record_propose(actor=actor, kind=RecordKind.MARKET_BAN, enterprise=payroll.enterprise, project=payroll.project,
                                    department=housing, legal_basis=BASIS_MARKET_BAN,
                                    facts=f"{payroll.enterprise.name}多次拖欠农民工工资，拟清出本市建筑市场。")
        summary.records += 1
    return summary


def _police_request(payroll, now: datetime.datetime) -> int:
    """A city police department asks for the blacklisted enterprise's evidence; it waits for the HRSS department."""
    department = Department.objects.get(region=payroll.project.region.parent, agency=Agency.POLICE)
    police = user_create(username=POLICE_USERNAME, password=None, role=Role.POLICE, full_name="模拟公安经侦", department=department)
    with clock.travel(now):
        evidence.evidence_request(actor=police, subject_type="enterprise", enterprise_uscc=payroll.enterprise.uscc,
                                  case_number=f"{payroll.project.region.parent.code}经侦立〔{timezone.localdate(now).year}〕88号",
                                  reason="涉嫌拒不支付劳动报酬罪，调取工资台账、考勤、专户流水及预警处置记录。")
    return 1
