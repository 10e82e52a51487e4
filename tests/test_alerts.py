"""The alert engine: rules at their thresholds, grace, dedup and auto-resolve, routing, escalation, handling,
data scope."""
import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wageguard.alerts import engine, services as alert_services
from wageguard.core import events
from wageguard.alerts.models import ActionKind, Alert
from wageguard.core import clock
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import Region, RegionalSetting
from wageguard.payroll import services as payroll_services
from tests.factories import Machine, api_client, punch

pytestmark = pytest.mark.django_db
JUNE = "2026-06"
AFTER_JUNE = datetime.date(2026, 7, 3)  # June's data deadline has passed


@pytest.fixture
def gate(world):
    return Machine(*api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code, world.qingdao_building.code]))


def attend(gate, employment, days, month=JUNE):
    records = []
    for d in days:
        records += [punch(employment, at=f"{month}-{d:02d}T07:30:00+08:00", record_id=f"{employment.pk}-{month}-{d}"),
                    punch(employment, at=f"{month}-{d:02d}T17:30:00+08:00", direction="out", record_id=f"{employment.pk}-{month}-{d}-o")]
    assert gate.post("/api/v1/attendance/batches", {"batch_id": f"a-{employment.pk}-{month}-{days[0]}", "records": records}).status_code == 200


def ledger(world, project=None, enterprise=None):
    return payroll_services.payroll_build(actor=None, project=project or world.jinan_building, enterprise=enterprise or world.gc_a,
                                          month=JUNE)


def run(code, today=AFTER_JUNE):
    return engine.evaluate([code], engine.Scope.everything(), today)[code]


def claim_without_attendance(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2])
    payroll = ledger(world)
    line = payroll.lines.get(worker=world.gc_a_worker_emp.worker)
    return payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=5, reason="班组长报送")


def test_a_rule_raises_once_routes_to_the_county_department_and_resolves_itself_when_fixed(world, gate):
    line = claim_without_attendance(world, gate)
    assert run("days_over_claimed").raised == 1
    alert = Alert.objects.get(rule="days_over_claimed")
    assert (alert.subject_type, alert.subject_id, alert.period) == ("payroll_line", str(line.pk), JUNE)
    assert alert.department.region.code == "370102" and alert.department.agency == "housing"  # building → housing, at the county
    assert alert.level == "county" and alert.severity == "red" and alert.facts["days_claimed"] == 5
    assert alert.due_at.date() > AFTER_JUNE
    assert run("days_over_claimed").raised == 0 and Alert.objects.filter(rule="days_over_claimed").count() == 1  # dedup
    payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=3, reason="核减")
    assert run("days_over_claimed").updated == 1  # still over-claimed: facts updated
    assert alert.actions.filter(kind=ActionKind.UPDATED).exists()
    payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=2, reason="按考勤")
    assert run("days_over_claimed").resolved == 1
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.closed_automatically and alert.resolution
    assert list(alert.actions.values_list("kind", flat=True)) == ["raised", "updated", "auto_resolved"]


def test_the_negative_side_clean_ledgers_raise_nothing(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2, 3])
    ledger(world)
    for code in ("days_over_claimed", "pay_without_attendance", "large_payment", "ghost_worker", "exit_without_settlement",
                 "proxy_clockin", "low_average_pay", "bank_line_failed"):
        assert run(code).raised == 0, code


def _line(world, employment):
    return ledger(world).lines.get(worker=employment.worker)


def test_pay_without_attendance_is_a_day_wage_claimed_with_no_punch_at_all(world, gate):
    line = _line(world, world.gc_a_worker_emp)  # no punch in June: nothing claimed, nothing paid
    assert run("pay_without_attendance").raised == 0
    payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=2, reason="班组长报送")
    assert run("pay_without_attendance").raised == 1
    assert Alert.objects.get(rule="pay_without_attendance").worker == world.gc_a_worker_emp.worker


def test_a_ghost_worker_is_paid_by_the_month_on_the_roster_three_days_and_never_seen(world, gate):
    from wageguard.core.models import User
    from wageguard.registry import services as registry_services
    from tests.factories import employ

    admin = User.objects.get(username="u-admin")

    def monthly(entered_on):
        employment = employ(world.jinan_building, world.gc_a, entered_on=entered_on, contract=False, birth=datetime.date(1985, 1, entered_on.day))
        registry_services.contract_attach(actor=admin, employment=employment, signed_on=entered_on, wage_basis="monthly",
                                          wage_rate="6000", pay_day=15)
        return employment

    two_days, three_days = monthly(datetime.date(2026, 6, 29)), monthly(datetime.date(2026, 6, 28))
    ledger(world)
    assert run("ghost_worker").raised == 1
    assert Alert.objects.get(rule="ghost_worker").worker == three_days.worker != two_days.worker


def test_a_worker_who_left_after_working_with_nothing_paid_is_exit_without_settlement(world, gate):
    from wageguard.registry import services as registry_services

    attend(gate, world.gc_a_worker_emp, [1, 2])
    registry_services.employment_exit(actor=world.users["gc_a_admin"], employment=world.gc_a_worker_emp, exited_on=datetime.date(2026, 6, 10))
    line = _line(world, world.gc_a_worker_emp)
    assert run("exit_without_settlement").raised == 0  # paid for the two days
    payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=0, reason="未结算")
    assert run("exit_without_settlement").raised == 1


def test_nothing_is_raised_inside_the_grace_window(world, gate):
    claim_without_attendance(world, gate)
    assert run("days_over_claimed", today=datetime.date(2026, 7, 1)).raised == 0  # June 30th's data is due until July 1st
    assert run("days_over_claimed", today=datetime.date(2026, 7, 2)).raised == 1


def test_a_payroll_change_raises_the_alert_right_after_its_commit(world, gate, django_capture_on_commit_callbacks):
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 11, 30, 10))):  # the June ledger five months on
        _payroll_change_raises_the_alert(world, gate, django_capture_on_commit_callbacks)


def _payroll_change_raises_the_alert(world, gate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # each request its own transaction, as in production
        attend(gate, world.gc_a_worker_emp, [1, 2])
    with django_capture_on_commit_callbacks(execute=True):
        line = ledger(world).lines.get(worker=world.gc_a_worker_emp.worker)
    assert not Alert.objects.filter(rule="days_over_claimed").exists()  # (arrears is raised: June is unpaid in November)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=6, reason="班组长报送")
        payroll_services.line_adjust(actor=world.users["gc_a_admin"], line=line, days_claimed=7, reason="班组长报送")
    payroll_batches = [c for c in callbacks if getattr(c, "__func__", None) is events._Batch.flush and events.PAYROLL_CHANGED in c.__self__.events]
    assert len(payroll_batches) == 1  # one evaluation for the transaction (the alert it raises is another one's event)
    assert Alert.objects.filter(rule="days_over_claimed", subject_id=str(line.pk)).get().facts["days_claimed"] == 7


def test_large_payment_at_its_threshold_and_a_region_override(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2])
    payroll = ledger(world)
    line = payroll.lines.get(worker=world.gc_a_worker_emp.worker)  # 2 days × 300 = 600
    assert run("large_payment").raised == 0
    RegionalSetting.objects.create(key="alert.large_payment_month", region=Region.objects.get(code="370100"), value=Decimal("600"),
                                   regulation="济南市测试规定")
    assert run("large_payment").raised == 0  # 600 is not above 600
    RegionalSetting.objects.filter(key="alert.large_payment_month").update(value=Decimal("599.99"))
    assert run("large_payment").raised == 1
    assert Alert.objects.get(rule="large_payment").subject_id == str(line.pk)


def test_escalation_with_a_frozen_clock_county_then_city_then_province(world, gate):
    claim_without_attendance(world, gate)
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 7, 3, 9))):
        run("days_over_claimed")
    alert = Alert.objects.get(rule="days_over_claimed")
    assert engine.escalate_overdue(alert.due_at - datetime.timedelta(minutes=1)) == 0
    with clock.travel(alert.due_at + datetime.timedelta(hours=1)):
        assert engine.escalate_overdue() == 1
    alert.refresh_from_db()
    assert alert.level == "city" and alert.department.region.code == "370100" and alert.department.agency == "housing"
    with clock.travel(alert.due_at + datetime.timedelta(hours=1)):
        assert engine.escalate_overdue() == 1
    alert.refresh_from_db()
    assert alert.level == "province" and alert.department.region.code == "370000"
    with clock.travel(alert.due_at + datetime.timedelta(days=30)):
        assert engine.escalate_overdue() == 0  # the province is the top


def test_handling_to_closure_and_a_persons_closing_stays_closed(world, gate):
    claim_without_attendance(world, gate)
    run("days_over_claimed")
    alert = Alert.objects.get(rule="days_over_claimed")
    lixia, qingdao = world.users["housing_lixia"], world.users["housing_qingdao"]
    with pytest.raises(PermissionDenied):
        alert_services.alert_start(actor=qingdao, alert=alert)
    alert = alert_services.alert_assign(actor=world.users["housing_jinan"], alert=alert, assignee=lixia)
    alert = alert_services.alert_start(actor=lixia, alert=alert, note="约谈项目部")
    with pytest.raises(ServiceError) as err:
        alert_services.alert_resolve(actor=lixia, alert=alert, note=" ")
    assert err.value.field == "note"
    pdf = SimpleUploadedFile("说明.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    alert_services.alert_answer(actor=world.users["gc_a_admin"], alert=alert, note="已按考勤核减", attachment=pdf)
    with pytest.raises(PermissionDenied):
        alert_services.alert_answer(actor=world.users["gc_b_admin"], alert=alert, note="不相关")
    alert = alert_services.alert_resolve(actor=lixia, alert=alert, note="已责令整改")
    with pytest.raises(ServiceError) as err:
        alert_services.alert_start(actor=lixia, alert=alert)
    assert err.value.code == "illegal_transition"
    assert list(alert.actions.values_list("kind", flat=True)) == ["raised", "assigned", "started", "answered", "resolved"]
    assert run("days_over_claimed").raised == 0  # same facts: the person's closing stands


def test_each_role_sees_only_its_alerts(world, gate):
    claim_without_attendance(world, gate)  # 济南 历下 building, GC A
    attend(gate, world.qingdao_emp, [1])
    line = ledger(world, world.qingdao_building, world.gc_b).lines.get(worker=world.qingdao_emp.worker)
    payroll_services.line_adjust(actor=world.users["gc_b_admin"], line=line, days_claimed=4, reason="x")
    run("days_over_claimed")
    jinan = Alert.objects.get(project=world.jinan_building)
    qingdao = Alert.objects.get(project=world.qingdao_building)
    sees = {name: set(Alert.objects.visible_to(user)) for name, user in world.users.items()}
    assert sees["platform_admin"] == sees["hrss_province"] == {jinan, qingdao}
    assert sees["hrss_jinan"] == sees["housing_jinan"] == sees["housing_lixia"] == {jinan}
    assert sees["housing_qingdao"] == {qingdao}
    assert sees["transport_jinan"] == sees["pboc_province"] == sees["police"] == set()
    assert sees["gc_a_admin"] == sees["wage_officer_jb"] == {jinan}
    assert sees["gc_b_admin"] == {qingdao} and sees["sub_a_admin"] == set()
    assert sees["bank_operator"] == sees["worker"] == set()


def test_account_not_opened_after_its_deadline_and_an_account_opened_late_is_recorded(world):
    # the factory's projects start on 2026-01-01 and have no account: due on 01-31, judged from 02-02
    assert run("account_not_opened", today=datetime.date(2026, 2, 1)).raised == 0
    assert run("account_not_opened", today=datetime.date(2026, 2, 2)).raised == 3
    assert Alert.objects.filter(rule="account_not_opened", status="open").count() == 3


def test_a_gate_outage_of_three_days_is_found_even_after_it_ended(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2, 3, 4, 8, 9, 10])  # nothing on the 5th, 6th and 7th
    attend(gate, world.sub_worker_emp, [1, 2, 3, 4, 8, 9, 10])
    result = run("no_attendance", today=datetime.date(2026, 6, 14))
    # (March to May, on the roster and never at the gate, is a run of its own)
    alert = Alert.objects.get(rule="no_attendance", project=world.jinan_building, period__startswith="2026-06")
    assert result.raised >= 1 and alert.period == "2026-06-05" and alert.facts["days"] == 3
    assert alert.status == "resolved" and "2026-06-08" in alert.resolution
    assert run("no_attendance", today=datetime.date(2026, 6, 14)).raised == 0  # recorded once


def test_two_days_without_attendance_raise_nothing(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2, 3, 4, 7, 8, 9])
    attend(gate, world.sub_worker_emp, [1, 2, 3, 4, 7, 8, 9])
    run("no_attendance", today=datetime.date(2026, 6, 12))
    assert not Alert.objects.filter(rule="no_attendance", project=world.jinan_building, period__startswith="2026-06").exists()


# ---------------------------------------------------------------- pages


def _as(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_detail_handling_export_and_map_pages(world, gate):
    import io

    import openpyxl

    claim_without_attendance(world, gate)
    run("days_over_claimed")
    alert = Alert.objects.get(rule="days_over_claimed")
    lixia = _as(world.users["housing_lixia"])
    page = lixia.get("/alerts/")
    assert page.status_code == 200 and f'href="/alerts/{alert.pk}/"' in page.content.decode()
    assert f'href="/alerts/{alert.pk}/"' not in _as(world.users["housing_qingdao"]).get("/alerts/?scope=all").content.decode()
    assert _as(world.users["housing_qingdao"]).get(f"/alerts/{alert.pk}/").status_code == 404  # guessing an id does not help
    detail = lixia.get(f"/alerts/{alert.pk}/").content.decode()
    assert f"/payroll/{alert.facts['payroll']}/" in detail and "《保障农民工工资支付条例》" in detail
    heat = _as(world.users["hrss_province"]).get("/alerts/map/").content.decode()
    assert "历下区" in heat and "shandong_map_echarts.json" in heat
    cities = json.loads(heat.split('<script id="city-data" type="application/json">')[1].split("</script>")[0])
    assert {"name": "济南市", "value": 1} in cities and {"name": "莱芜市", "value": 0} in cities
    tree = json.loads(heat.split('<script id="county-data" type="application/json">')[1].split("</script>")[0])
    assert tree == [{"name": "济南市", "value": 1, "children": [{"name": "历下区", "value": 1, "red": 1, "code": "370102"}]}]
    assert lixia.post(f"/alerts/{alert.pk}/start/", {"note": "核查中"}).status_code == 302
    assert lixia.post(f"/alerts/{alert.pk}/resolve/", {"note": ""}).status_code == 302  # refused, with a message
    alert.refresh_from_db()
    assert alert.status == "in_progress"
    enterprise = _as(world.users["gc_a_admin"])
    assert enterprise.get(f"/alerts/{alert.pk}/").status_code == 200
    enterprise.post(f"/alerts/{alert.pk}/answer/", {"note": "已核减"})
    lixia.post(f"/alerts/{alert.pk}/resolve/", {"note": "企业已整改"})
    alert.refresh_from_db()
    assert alert.status == "resolved" and [a.kind for a in alert.actions.all()] == ["raised", "started", "answered", "resolved"]
    sheet = openpyxl.load_workbook(io.BytesIO(lixia.get("/alerts/export.xlsx?status=all").content)).active
    assert sheet.max_row == 2 and sheet.cell(2, 3).value == "申报天数超过出勤天数"
    home = _as(world.users["hrss_province"]).get("/").content.decode()
    assert "/alerts/" in home
    assert _as(world.users["hrss_province"]).get("/alerts/rules/").status_code == 200


# ---------------------------------------------------------------- the account rules


@pytest.fixture
def bank(world):
    from tests.test_bank_feed import opened, push

    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    assert push(icbc, "accounts", [opened(world.jinan_building)])["status"] == "applied"
    return icbc


def _month_of_allocation(world, amount: str, day: int):
    from wageguard.accounts.services import progress_payment_record
    from tests.test_bank_feed import push, txn

    progress_payment_record(actor=world.users["platform_admin"], project=world.jinan_building, month="2026-04", amount=Decimal("1000000"))
    return lambda machine: push(machine, "transactions", [txn(1, amount, amount, booked_at=f"2026-04-{day:02d}T10:00:00+08:00")])


def test_labour_cost_late_and_low_at_their_thresholds(world, bank):
    from tests.test_bank_feed import push, txn

    # the expected allocation is 25 % (the project's ratio) of the 1,000,000 progress payment: 250,000, due on the 10th
    _month_of_allocation(world, "249999.99", 11)(bank)
    assert run("labour_cost_low", today=datetime.date(2026, 5, 1)).raised == 1
    assert run("labour_cost_late", today=datetime.date(2026, 5, 1)).raised == 1
    push(bank, "transactions", [txn(2, "0.01", "250000.00", booked_at="2026-04-12T10:00:00+08:00")])
    assert run("labour_cost_low", today=datetime.date(2026, 5, 1)).resolved == 1  # topped up to the full amount


def test_labour_cost_on_time_and_in_full_raises_nothing_and_missing_waits_for_the_due_day(world, bank):
    from wageguard.accounts.services import progress_payment_record

    _month_of_allocation(world, "250000.00", 10)(bank)
    for code in ("labour_cost_low", "labour_cost_late", "labour_cost_missing"):
        assert run(code, today=datetime.date(2026, 5, 1)).raised == 0, code
    progress_payment_record(actor=world.users["platform_admin"], project=world.jinan_building, month="2026-05", amount=Decimal("1000000"))
    assert run("labour_cost_missing", today=datetime.date(2026, 5, 11)).raised == 0  # the 10th's data is due on the 11th
    assert run("labour_cost_missing", today=datetime.date(2026, 5, 12)).raised == 1


def test_account_misuse_is_a_debit_that_is_not_a_wage_to_a_ledger_card(world, bank, gate):
    from tests.test_bank_feed import push, txn

    from wageguard.registry.services import worker_set_contact
    from tests.factories import system_admin

    worker_set_contact(actor=system_admin(), worker=world.gc_a_worker_emp.worker, bank_card="6217000010000000003", bank_name="中国建设银行")
    attend(gate, world.gc_a_worker_emp, [1, 2])
    card = ledger(world).lines.get(worker=world.gc_a_worker_emp.worker).card
    assert card == "6217000010000000003"
    push(bank, "transactions", [txn(1, "100000.00", "100000.00"),
                                txn(2, "-600.00", "99400.00", purpose="wage_out", counterparty_name="工人", counterparty_account=card),
                                txn(3, "-10.00", "99390.00", purpose="fee", counterparty_name="银行手续费"),
                                txn(4, "-30000.00", "69390.00", purpose="transfer_out", counterparty_name="某建材公司"),
                                txn(5, "-500.00", "68890.00", purpose="wage_out", counterparty_name="他人",
                                    counterparty_account="6222021234567890128")])
    run("account_misuse", today=datetime.date(2026, 3, 20))
    assert sorted(Alert.objects.filter(rule="account_misuse").values_list("subject_id", flat=True)) == ["ICBC:T00004", "ICBC:T00005"]
    alert = Alert.objects.get(subject_id="ICBC:T00004")
    page = _as(world.users["hrss_province"]).get(f"/alerts/{alert.pk}/").content.decode()
    assert f'/accounts/{alert.facts["account"]}/' in page  # the account behind the debit


def test_deposit_not_lodged_after_its_deadline(world):
    from wageguard.accounts import services as account_services

    deposit = account_services.deposit_assess(actor=world.users["hrss_province"], project=world.jinan_building,
                                              contract_signed_on=datetime.date(2026, 1, 5))
    assert run("deposit_missing", today=deposit.due_on).raised == 0
    assert run("deposit_missing", today=deposit.due_on + datetime.timedelta(days=1)).raised == 1
    account_services.deposit_movement_record(actor=world.users["hrss_province"], deposit=deposit, kind="lodge",
                                             amount=deposit.required_amount, on=deposit.due_on + datetime.timedelta(days=2), form="cash")
    assert run("deposit_missing", today=deposit.due_on + datetime.timedelta(days=3)).resolved == 1


# ---------------------------------------------------------------- the punch rules


def _post(gate, records, batch_id):
    assert gate.post("/api/v1/attendance/batches", {"batch_id": batch_id, "records": records}).status_code == 200


def test_one_card_for_several_workers_within_a_minute_is_proxy_clock_in(world, gate):
    from tests.factories import employ

    third = employ(world.jinan_building, world.gc_a, birth=datetime.date(1979, 2, 2))
    crew = [world.gc_a_worker_emp, world.sub_worker_emp, third]
    _post(gate, [punch(e, at=f"2026-06-03T07:00:{12 * n:02d}+08:00", method="card", card_hash="FOREMAN", record_id=f"p{n}")
                 for n, e in enumerate(crew)], "proxy")
    _post(gate, [punch(e, at=f"2026-06-04T0{7 + n}:00:00+08:00", method="card", card_hash="FOREMAN", record_id=f"q{n}")
                 for n, e in enumerate(crew)], "an-hour-apart")  # one card, but an hour apart: not within the minute
    run("proxy_clockin", today=datetime.date(2026, 6, 10))
    alert = Alert.objects.get(rule="proxy_clockin")
    assert alert.period == "2026-06-03" and sorted(alert.facts["workers"]) == sorted(e.worker_id for e in crew)


def test_manual_punches_above_their_share(world, gate):
    records = [punch(world.gc_a_worker_emp, at=f"2026-06-{d:02d}T07:30:00+08:00", record_id=f"m{d}",
                     method="manual" if d <= 3 else "face") for d in range(1, 26)]
    _post(gate, records, "manual")  # 3 of 25 = 12 % > 10 %
    run("manual_punch_rate", today=datetime.date(2026, 7, 3))
    alert = Alert.objects.get(rule="manual_punch_rate")
    assert (alert.period, alert.facts["manual"], alert.facts["punches"]) == ("2026-06", 3, 25)
    RegionalSetting.objects.create(key="alert.manual_punch_share", region=Region.objects.get(code="370102"), value=Decimal("0.12"),
                                   regulation="历下区测试规定")
    assert run("manual_punch_rate", today=datetime.date(2026, 7, 3)).resolved == 1  # 12 % is not above 12 %


class RecordingSender:
    sent: list = []

    def send(self, recipients, subject, body):
        RecordingSender.sent.append((recipients, subject, body))


def test_notifications_go_through_the_configured_senders_after_the_commit(world, gate, settings, django_capture_on_commit_callbacks):
    settings.WAGEGUARD_ALERT_SENDERS = ["tests.test_alerts.RecordingSender"]
    RecordingSender.sent = []
    claim_without_attendance(world, gate)
    with django_capture_on_commit_callbacks(execute=True):
        run("days_over_claimed")
    [(recipients, subject, body)] = RecordingSender.sent
    assert recipients == ["u-housing-lixia"] and subject == "新预警" and "申报天数超过出勤天数" in body


def test_punches_that_arrive_after_the_one_day_deadline_are_late_data(world, gate):
    on_time = [punch(world.gc_a_worker_emp, at="2026-06-03T07:30:00+08:00", record_id="on-time")]
    late = [punch(world.gc_a_worker_emp, at="2026-06-04T07:30:00+08:00", record_id="late")]
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 6, 4, 20, 0))):  # the next evening: in time
        gate.signer.clock = clock.now().timestamp
        _post(gate, on_time, "on-time")
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 6, 6, 9, 0))):  # two days later: late
        gate.signer.clock = clock.now().timestamp
        _post(gate, late, "late")
    run("late_data", today=datetime.date(2026, 6, 6))
    alert = Alert.objects.get(rule="late_data")
    assert alert.period == "2026-06-04" and alert.facts["punches"] == 1


def test_the_alert_links_the_punches_behind_it_and_the_punch_list_keeps_to_the_persons_scope(world, gate):
    late = [punch(world.gc_a_worker_emp, at="2026-06-04T07:30:00+08:00", record_id="late"),
            punch(world.sub_worker_emp, at="2026-06-04T07:31:00+08:00", record_id="late-sub")]
    with clock.travel(timezone.make_aware(datetime.datetime(2026, 6, 6, 9, 0))):
        gate.signer.clock = clock.now().timestamp
        _post(gate, late, "late")
    run("late_data", today=datetime.date(2026, 6, 6))
    alert = Alert.objects.get(rule="late_data")
    link = f"/projects/{world.jinan_building.pk}/punches/?first=2026-06-04&amp;last=2026-06-04&amp;late=on"
    assert link in _as(world.users["housing_lixia"]).get(f"/alerts/{alert.pk}/").content.decode()
    official = _as(world.users["housing_lixia"]).get(link.replace("&amp;", "&")).content.decode()
    assert world.gc_a_worker_emp.worker.name in official and world.sub_worker_emp.worker.name in official and "2026-06-06 09:00" in official
    subcontractor = _as(world.users["sub_a_admin"]).get(link.replace("&amp;", "&")).content.decode()
    assert world.sub_worker_emp.worker.name in subcontractor and world.gc_a_worker_emp.worker.name not in subcontractor
    assert _as(world.users["housing_qingdao"]).get(link.replace("&amp;", "&")).status_code == 404
    wrong = _as(world.users["housing_lixia"]).get(f"/projects/{world.jinan_building.pk}/punches/?first=2026-06-04&last=2026-06-01")
    assert "结束日期早于开始日期" in wrong.content.decode()


def _at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


def _sweep_late_data(at: str):
    with clock.travel(_at(at)):
        return run("late_data", today=clock.localdate())


def test_a_gate_system_silent_past_the_deadline_is_late_data_of_its_sender_until_it_delivers_again(world):
    """One alert per silence, its period the first day without data, routed to the county department of the
    industry its sites share; resolved with the reason once the sender delivers again, and not raised twice."""
    from tests.factories import punch

    lixia_gate = Machine(*api_client(project_codes=[world.jinan_building.code]))

    def deliver(at: str, batch_id: str):
        with clock.travel(_at(at)):
            lixia_gate.signer.clock = clock.now().timestamp
            _post(lixia_gate, [punch(world.gc_a_worker_emp, at=f"{at}+08:00", record_id=batch_id)], batch_id)

    deliver("2026-06-01T20:00:00", "evening")
    assert _sweep_late_data("2026-06-03T19:59:00").raised == 0  # 47 h 59 min: still within the deadline
    assert _sweep_late_data("2026-06-03T20:01:00").raised == 1
    alert = Alert.objects.get(rule="late_data", subject_type="sender")
    assert (alert.subject_id, alert.period, alert.project_id) == (str(lixia_gate.client.pk), "2026-06-02", None)
    assert (alert.region.code, alert.department.agency, alert.level, alert.facts["hours_silent"]) == ("370102", "housing", "county", 48)
    assert alert in Alert.objects.visible_to(world.users["housing_lixia"]) and alert not in Alert.objects.visible_to(world.users["gc_a_admin"])

    deliver("2026-06-04T09:00:00", "back")
    assert _sweep_late_data("2026-06-04T09:30:00").resolved == 1
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.closed_automatically and "2026-06-04 09:00" in alert.resolution
    assert _sweep_late_data("2026-06-05T09:30:00").raised == 0  # the ended silence is not raised again


def test_a_gate_system_registered_but_never_delivering_is_late_once_the_deadline_passes(world):
    from wageguard.exchange.models import ApiClient

    silent = Machine(*api_client(project_codes=[world.jinan_transport.code]))
    ApiClient.objects.filter(pk=silent.client.pk).update(created_at=_at("2026-06-01T10:00:00"))
    assert _sweep_late_data("2026-06-03T09:00:00").raised == 0
    assert _sweep_late_data("2026-06-03T11:00:00").raised == 1
    alert = Alert.objects.get(rule="late_data")
    assert (alert.period, alert.facts["last_received"], alert.department.agency) == ("2026-06-02", "—", "transport")
    ApiClient.objects.filter(pk=silent.client.pk).update(active=False)  # revoked: owes nothing any more
    assert _sweep_late_data("2026-06-03T12:00:00").resolved == 1


def test_a_bank_silent_past_the_deadline_goes_to_the_province_and_a_sender_with_nothing_to_send_is_not_late(world, bank):
    from tests.factories import project, punch
    from tests.test_bank_feed import push

    with clock.travel(_at("2026-06-10T06:00:00")):
        bank.signer.clock = clock.now().timestamp
        push(bank, "balances", [{"client_record_id": "d", "account_number": "6222000011112222", "day": "2026-06-09",
                                 "closing_balance": "0.00"}])
    idle = project(county="370202", industry="building", gc=world.gc_b)  # nobody on its roster
    idle_gate = Machine(*api_client(project_codes=[idle.code]))
    with clock.travel(_at("2026-06-10T09:00:00")):
        idle_gate.signer.clock = clock.now().timestamp
        _post(idle_gate, [punch(world.qingdao_emp, at="2026-06-10T08:00:00+08:00", project_code=idle.code)], "idle")  # refused
    assert _sweep_late_data("2026-06-13T09:00:00").raised == 1
    alert = Alert.objects.get(rule="late_data")
    assert (alert.subject_id, alert.period, alert.region.code, alert.department.agency, alert.level) == (
        str(bank.client.pk), "2026-06-11", "370000", "hrss", "province")
    assert alert.facts["kind"] == "bank" and alert.facts["last_received"] == "2026-06-10 06:00"


def test_a_ledger_whose_average_pay_is_below_the_minimum_wage(world, gate):
    from tests.factories import employ

    crew = [world.gc_a_worker_emp] + [employ(world.jinan_building, world.gc_a, birth=datetime.date(1980 + n, 3, 3)) for n in range(2)]
    for employment in crew:
        attend(gate, employment, [1, 2])  # 2 days × 300 = 600 each, all month on the roster
    ledger(world)
    assert run("low_average_pay").raised == 1
    assert Alert.objects.get(rule="low_average_pay").facts["average_net"] == "600.00"
    RegionalSetting.objects.create(key="alert.low_average_pay", region=Region.objects.get(code="370000"), value=Decimal("600"),
                                   regulation="测试：省定最低工资")
    assert run("low_average_pay").resolved == 1  # 600 is not below 600


def test_routing_follows_the_projects_industry_and_county_and_city_officials_follow_their_counties(world, gate):
    from wageguard.core.models import Department

    router = engine.Router()
    lixia = Region.objects.get(code="370102")
    assert (router.department(lixia, "transport", "county").agency, router.department(lixia, "water", "city").region.code) == (
        "transport", "370100")
    assert router.department(lixia, "other", "province") == Department.objects.get(region__code="370000", agency="hrss")
    claim_without_attendance(world, gate)  # a building project in 历下区
    run("days_over_claimed")
    alert = Alert.objects.get(rule="days_over_claimed")
    from wageguard.alerts.selectors import InboxFilters, inbox

    mine = InboxFilters(mine=True)
    assert list(inbox(user=world.users["housing_lixia"], filters=mine)) == [alert]  # handled there
    assert list(inbox(user=world.users["housing_jinan"], filters=mine)) == [alert]  # the city follows its counties
    assert list(inbox(user=world.users["hrss_jinan"], filters=mine)) == [alert]  # HRSS follows everything in its region
    assert list(inbox(user=world.users["pboc_province"], filters=mine)) == []  # PBOC: its work list is what it sees (money rules)
    assert list(inbox(user=world.users["transport_jinan"], filters=InboxFilters(mine=False))) == []  # another industry


def _bank_answers(world, gate, status: str, paid_at: str = "2026-07-05T10:00:00+08:00"):
    from tests.test_payroll import _confirmed, verify

    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    verify(icbc, line, payroll.lines.get().worker.name)
    record = {"client_record_id": "r1", "line_id": line["line_id"], "status": status, "amount": line["amount"], "card": line["card"]}
    record |= {"bank_txn_id": "W1", "paid_at": paid_at} if status == "paid" else {"reason_code": "ACCOUNT_CLOSED"}
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "b1", "records": [record]}).json()["status"] == "applied"
    return payroll


def test_arrears_when_june_is_not_paid_by_the_end_of_july_and_not_when_it_is(world, gate):
    payroll = _bank_answers(world, gate, "failed")
    assert run("bank_line_failed").raised == 1
    assert run("arrears", today=datetime.date(2026, 7, 31)).raised == 0  # July is not over
    assert run("arrears", today=datetime.date(2026, 8, 1)).raised == 1
    assert Alert.objects.get(rule="arrears").subject_id == str(payroll.pk)


def test_paid_in_time_raises_no_arrears_and_paid_late_is_recorded(world, gate):
    _bank_answers(world, gate, "paid")
    assert run("arrears", today=datetime.date(2026, 9, 1)).raised == 0
    assert run("bank_line_failed").raised == 0


def test_a_month_paid_after_its_deadline_is_recorded_as_ended_arrears(world, gate):
    _bank_answers(world, gate, "paid", paid_at="2026-08-03T10:00:00+08:00")
    assert run("arrears", today=datetime.date(2026, 9, 1)).raised == 1
    alert = Alert.objects.get(rule="arrears")
    assert alert.status == "resolved" and "2026-08-03" in alert.resolution


def test_a_week_in_which_fewer_than_85_percent_of_the_roster_were_seen(world, gate):
    from tests.factories import employ

    crew = [world.gc_a_worker_emp, world.sub_worker_emp] + [
        employ(world.jinan_building, world.gc_a, birth=datetime.date(1975 + n, 4, 4)) for n in range(3)]
    for employment in crew[:4]:  # 4 of 5 seen in the week of Monday 1 June: 80 %
        attend(gate, employment, [1, 2, 3, 4, 5, 6, 7])
    run("no_attendance", today=datetime.date(2026, 6, 10))
    alert = Alert.objects.get(rule="no_attendance", subject_id=f"{world.jinan_building.pk}:update-rate", period="2026-06-01")
    assert (alert.period, alert.facts["registered"], alert.facts["seen"], alert.status) == ("2026-06-01", 5, 4, "open")
    attend(gate, crew[4], [3])  # 5 of 5
    assert run("no_attendance", today=datetime.date(2026, 6, 10)).resolved >= 1
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.closed_automatically


def test_the_sweep_command_runs_the_rules_and_names_a_wrong_rule(world, gate, capsys):
    from django.core.management import CommandError, call_command

    claim_without_attendance(world, gate)
    call_command("alerts_sweep", "--rule", "days_over_claimed", "--today", "2026-07-03")
    assert "days_over_claimed          raised     1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown rule: nope"):
        call_command("alerts_sweep", "--rule", "nope")
    call_command("alerts_sweep", "--all", "--today", "2026-07-03")
    assert "manual_punch_rate" in capsys.readouterr().out
