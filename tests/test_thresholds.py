"""Thresholds really in one place: for every threshold a rule names (`alerts.catalogue`), the same situation on
twin projects in two counties (历下区 in 济南, 市南区 in 青岛) gets the same verdict; then 历下区 sets its own
value, and the verdict moves there and nowhere else."""
import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import Machine, api_client, employ, project, punch
from tests.test_alerts import attend
from wageguard.alerts import engine
from wageguard.alerts.catalogue import RULES
from wageguard.core import clock
from wageguard.core.models import Region, RegionalSetting
from wageguard.payroll import services as payroll_services
from wageguard.registry.models import Employment

pytestmark = pytest.mark.django_db
_births = itertools.count()
_accounts = itertools.count(1)


class Twin:
    """One of the two projects with the same situation."""

    def __init__(self, world, project_, enterprise, gate):
        self.world, self.project, self.enterprise, self.gate = world, project_, enterprise, gate

    def crew(self, size: int, entered_on=datetime.date(2026, 3, 1), *, whole_roster: bool = False) -> list[Employment]:
        """The general contractor's workers on the project (or everyone on its roster), new ones hired by it on
        `entered_on` to make `size`."""
        have = Employment.objects.filter(project=self.project).order_by("id")
        have = list(have if whole_roster else have.filter(enterprise=self.enterprise))
        day = datetime.date(1970, 1, 1) + datetime.timedelta(days=next(_births) * 37)
        return have + [employ(self.project, self.enterprise, entered_on=entered_on, birth=day + datetime.timedelta(days=n))
                       for n in range(size - len(have))]

    def ledger(self, month="2026-06"):
        return payroll_services.payroll_build(actor=None, project=self.project, enterprise=self.enterprise, month=month)

    def post(self, records, batch_id):
        response = self.gate.post("/api/v1/attendance/batches", {"batch_id": f"{self.project.pk}-{batch_id}", "records": records})
        assert response.status_code == 200, response.content

    def account(self):
        """A dedicated account at ICBC, reported by the bank's system."""
        from tests.test_bank_feed import opened, push

        self.number = f"62220000{next(_accounts):08d}"
        assert push(self.world.bank, "accounts", [opened(self.project, account_number=self.number)])["status"] == "applied"

    def allocation(self, amount: str, day: int):
        """April's progress payment of 1,000,000 and the owner's labour-cost allocation on `day`."""
        from wageguard.accounts.services import progress_payment_record
        from tests.test_bank_feed import push, txn

        self.account()
        progress_payment_record(actor=self.world.users["platform_admin"], project=self.project, month="2026-04", amount=Decimal("1000000"))
        push(self.world.bank, "transactions", [txn(1, amount, amount, account_number=self.number, bank_txn_id=f"T{self.number}",
                                                   booked_at=f"2026-04-{day:02d}T10:00:00+08:00")])


# ---------------------------------------------------------------- the situations, one per threshold


def pay_600(twin):  # 2 days × 300
    attend(twin.gate, twin.crew(1)[0], [1, 2])
    twin.ledger()


def three_paid_600(twin):
    for employment in twin.crew(3):
        attend(twin.gate, employment, [1, 2])
    twin.ledger()


def one_card_90_seconds_apart(twin):
    a, b = twin.crew(2)
    twin.post([punch(a, at="2026-06-03T07:00:00+08:00", method="card", card_hash=f"C{twin.project.pk}", record_id=f"{a.pk}-p"),
               punch(b, at="2026-06-03T07:01:30+08:00", method="card", card_hash=f"C{twin.project.pk}", record_id=f"{b.pk}-p")], "proxy")


def no_account(twin):
    pass  # the projects start on 1 January and open no account


def a_three_day_silence(twin):
    for employment in twin.crew(1, whole_roster=True):
        attend(twin.gate, employment, [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18, 19, 20])


def four_of_five_seen_in_the_first_week(twin):
    crew = twin.crew(5, entered_on=datetime.date(2026, 6, 1), whole_roster=True)
    for employment in crew[:4]:
        attend(twin.gate, employment, list(range(1, 15)))
    attend(twin.gate, crew[4], list(range(8, 15)))


def one_of_five_seen_once_a_fortnight(twin):
    crew = twin.crew(5, entered_on=datetime.date(2026, 6, 1), whole_roster=True)
    for employment in crew[:4]:
        attend(twin.gate, employment, list(range(1, 31)))
    attend(twin.gate, crew[4], [1, 15])


def allocated_on_the_11th(twin):
    twin.allocation("250000.00", 11)  # in full (25 % of 1,000,000), a day after the default due day


def allocated_25_percent(twin):
    twin.allocation("250000.00", 5)


def deposit_of_5_january(twin):
    from wageguard.accounts import services as account_services

    account_services.deposit_assess(actor=twin.world.users["hrss_province"], project=twin.project, contract_signed_on=datetime.date(2026, 1, 5))


def punches_33_hours_after_the_day(twin):
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 6, 6, 9, 0))):
        twin.gate.signer.clock = clock.now().timestamp
        twin.post([punch(twin.crew(1)[0], at="2026-06-04T07:30:00+08:00", record_id=f"{twin.project.pk}-late")], "late")


def three_manual_of_25(twin):
    employment = twin.crew(1)[0]
    twin.post([punch(employment, at=f"2026-06-{d:02d}T07:30:00+08:00", record_id=f"{employment.pk}-m{d}", method="manual" if d <= 3 else "face")
               for d in range(1, 26)], "manual")


def on_the_roster_with_no_account_and_no_ledger(twin):
    """The forecast's signals of June: no dedicated account (1 point) and May's workers without a ledger (1.5): risk 0.3775."""
    from wageguard.stats import forecast, rollup

    twin.crew(1)
    rollup.rebuild()
    forecast.refresh("2026-06")


AFTER_JUNE = datetime.date(2026, 7, 3)
# threshold: (rule, the situation, the day the rule runs, 历下区's own value, the periods judged (from)); a deposit's
# deadline is fixed when it is assessed (the date the enterprise is told), so its region's value is set before.
SET_BEFORE = {"deposit.lodge_within_working_days"}
SITUATIONS = {
    "alert.large_payment_month": ("large_payment", pay_600, AFTER_JUNE, "500", ""),
    "forecast.alert_score": ("arrears_risk", on_the_roster_with_no_account_and_no_ledger, AFTER_JUNE, "0.3", ""),
    "alert.large_payment_year": ("large_payment", pay_600, AFTER_JUNE, "500", ""),
    "alert.low_average_pay": ("low_average_pay", three_paid_600, AFTER_JUNE, "500", ""),
    "alert.proxy_window_seconds": ("proxy_clockin", one_card_90_seconds_apart, datetime.date(2026, 6, 10), "120", ""),
    "account.open_within_days": ("account_not_opened", no_account, datetime.date(2026, 2, 2), "60", ""),
    "alert.no_attendance_days": ("no_attendance", a_three_day_silence, datetime.date(2026, 6, 24), "4", "2026-06"),
    "alert.attendance_update_rate": ("no_attendance", four_of_five_seen_in_the_first_week, datetime.date(2026, 6, 16), "0.75", "2026-06"),
    "alert.attendance_window_days": ("no_attendance", one_of_five_seen_once_a_fortnight, AFTER_JUNE, "14", "2026-06"),
    "labour_cost.due_day": ("labour_cost_late", allocated_on_the_11th, datetime.date(2026, 5, 1), "12", ""),
    "labour_cost.min_share.building": ("labour_cost_low", allocated_25_percent, datetime.date(2026, 5, 1), "0.30", ""),
    "labour_cost.min_share.transport": ("labour_cost_low", allocated_25_percent, datetime.date(2026, 5, 1), "0.30", ""),
    "labour_cost.min_share.municipal": ("labour_cost_low", allocated_25_percent, datetime.date(2026, 5, 1), "0.30", ""),
    "labour_cost.min_share.water": ("labour_cost_low", allocated_25_percent, datetime.date(2026, 5, 1), "0.30", ""),
    "deposit.lodge_within_working_days": ("deposit_missing", deposit_of_5_january, datetime.date(2026, 3, 2), "60", ""),
    "alert.late_data_hours": ("late_data", punches_33_hours_after_the_day, datetime.date(2026, 6, 6), "40", ""),
    "alert.manual_punch_share": ("manual_punch_rate", three_manual_of_25, AFTER_JUNE, "0.15", ""),
}


def test_every_threshold_a_rule_names_has_its_situation_here():
    named = {key for rule in RULES.values() for key in rule.thresholds}
    assert named == set(SITUATIONS)
    assert all(SITUATIONS[key][0] in RULES and key in RULES[SITUATIONS[key][0]].thresholds for key in SITUATIONS)


def _twins(world, key):
    """Two projects alike but for their county; of the industry the threshold is about."""
    industry = key.rsplit(".", 1)[1] if key.startswith("labour_cost.min_share.") else "building"
    if industry == "building":
        return world.jinan_building, world.gc_a, world.qingdao_building, world.gc_b
    return project(county="370102", industry=industry, gc=world.gc_a), world.gc_a, project(county="370202", industry=industry, gc=world.gc_b), world.gc_b


@pytest.mark.parametrize("key", sorted(SITUATIONS))
def test_a_regions_own_threshold_moves_the_verdict_there_and_nowhere_else(world, key):
    code, situation, today, own_value, since = SITUATIONS[key]
    lixia_project, lixia_gc, shinan_project, shinan_gc = _twins(world, key)
    gate = Machine(*api_client(project_codes=[lixia_project.code, shinan_project.code]))
    world.bank = Machine(*api_client(kind="bank", bank_code="ICBC"))
    lixia, shinan = Twin(world, lixia_project, lixia_gc, gate), Twin(world, shinan_project, shinan_gc, gate)

    def set_own_value():
        RegionalSetting.objects.create(key=key, region=Region.objects.get(code="370102"), value=Decimal(own_value), regulation="历下区测试规定")

    def verdict():
        findings = RULES[code].evaluate(engine.Scope.everything(), today)
        found = {f.project_id for f in findings if f.period >= since and (code != "no_attendance" or
                                                                          (key == "alert.no_attendance_days") != f.subject_id.endswith("update-rate"))}
        return lixia_project.pk in found, shinan_project.pk in found

    if key in SET_BEFORE:
        set_own_value()
        situation(lixia)
        situation(shinan)
        lixia_verdict, shinan_verdict = verdict()
        assert lixia_verdict != shinan_verdict, f"{key}: the same verdict in both counties: {shinan_verdict}"
        return
    situation(lixia)
    situation(shinan)
    before = verdict()
    assert before[0] == before[1], f"{key}: the twins differ before any regional value: {before}"
    set_own_value()
    after = verdict()
    assert after == (not before[0], before[1]), f"{key}: {before} → {after}"


def test_the_ledgers_large_payment_check_reads_the_projects_region(world):
    """The ledger's own warning (before any alert) uses the same regional value as the rule."""
    gate = Machine(*api_client(project_codes=[world.jinan_building.code, world.qingdao_building.code]))
    RegionalSetting.objects.create(key="alert.large_payment_month", region=Region.objects.get(code="370102"), value=Decimal("500"),
                                   regulation="历下区测试规定")
    levels = []
    for project_, gc in ((world.jinan_building, world.gc_a), (world.qingdao_building, world.gc_b)):
        twin = Twin(world, project_, gc, gate)
        employment = twin.crew(1)[0]
        attend(gate, employment, [1, 2])  # 600
        line = twin.ledger().lines.get(worker=employment.worker)
        levels.append(line.checks["large_payment"]["level"])
    assert levels == ["warning", "ok"]
