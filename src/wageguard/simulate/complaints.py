"""The demo province's complaints: workers complain from the app about wages the simulator left unpaid (its arrears),
a few about months that were paid (no basis: the screening contradicts them), and the demo's worker (the first
project's first worker) has one in progress. The county's labour inspection has started on some. Once per province.
"""
from __future__ import annotations

import datetime
import random

from django.utils import timezone

from wageguard.complaints import services
from wageguard.complaints.models import Complaint
from wageguard.core import clock, months
from wageguard.core.models import Agency, Department, Role
from wageguard.core.services import user_create
from wageguard.payroll.models import PayrollLine
from wageguard.registry.signin import worker_login_for

from .demo import demo_worker_employment
from .payroll import ARREARS

WITH_BASIS, WITHOUT_BASIS = 8, 2




def _complain(employment, month: str, moment: datetime.datetime, kinds=("unpaid",), text="工资没有按时发放") -> Complaint:
    with clock.travel(moment):
        return services.complaint_file(actor=worker_login_for(employment.worker), project=employment.project, kinds=list(kinds),
                                       months_claimed=[month], text=text)


def _inspector(region):
    hrss = Department.objects.get(region=region, agency=Agency.HRSS)
    return user_create(username=f"sim-inspector-{hrss.region.code}", password=None, role=Role.OFFICIAL, full_name="模拟劳动监察员",
                       department=hrss)


def _handle(complaint: Complaint, steps: list[tuple[str, str]], moment: datetime.datetime) -> None:
    official = _inspector(complaint.region)
    with clock.travel(moment):
        for step, note in steps:
            services.complaint_step(actor=official, complaint=complaint, step=step, note=note)


def simulate_complaints(*, labels: list[dict], seed: int, now: datetime.datetime) -> int:
    if Complaint.objects.exists():
        return 0
    rng = random.Random(f"{seed}:complaints")
    filed = 0
    demo = demo_worker_employment()
    seen = {demo.worker_id} if demo else set()  # the demo's worker login is made later: its complaint came by phone
    unpaid = []
    for label in labels:
        if label["kind"] == ARREARS:
            lines = (PayrollLine.objects.current().filter(payroll_id=label["subject"]["id"], net__gt=0).exclude(result__status="paid")
                     .select_related("employment__project", "employment__worker"))
            unpaid += [(line.employment, label["period"]) for line in lines if line.employment_id]
    rng.shuffle(unpaid)
    for employment, month in unpaid:
        if employment.worker_id in seen or len(seen) > WITH_BASIS:
            continue
        seen.add(employment.worker_id)
        # After the month's wages fell due (by the end of the next month), before now.
        due = timezone.make_aware(datetime.datetime.combine(months.first_day(months.shift(month, 2)), datetime.time(9)))
        moment = min(max(now - datetime.timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8)), due), now)
        complaint = _complain(employment, month, moment)
        filed += 1
        if rng.random() < 0.5 and moment + datetime.timedelta(hours=2) <= now:
            _handle(complaint, [("accepted", ""), ("investigating", "已调取考勤和工资台账")], moment + datetime.timedelta(hours=2))
    paid = (PayrollLine.objects.current().filter(result__status="paid", employment__isnull=False).exclude(worker_id__in=seen)
            .select_related("employment__project", "employment__worker", "payroll").order_by("id"))
    candidates = list(paid[:200])
    for line in candidates[:: max(1, len(candidates) // WITHOUT_BASIS)][:WITHOUT_BASIS]:
        _complain(line.employment, line.payroll.month, now - datetime.timedelta(days=3), text="说没发工资")
        filed += 1
    if demo is not None:
        month = months.shift(months.of(timezone.localdate(now)), -2)
        with clock.travel(now - datetime.timedelta(days=4)):
            complaint = services.complaint_file(actor=_inspector(demo.project.region), project=demo.project, kinds=["unpaid", "deductions"],
                                                months_claimed=[month], text="来电反映：扣了我的工钱", worker=demo.worker, channel="phone")
        _handle(complaint, [("accepted", "已受理，正在调查")], now - datetime.timedelta(days=3))
        filed += 1
    return filed
