"""Monthly wage ledgers: wage terms, cross-checks (each positive and negative), adjustments, no deletion."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.payroll import ledger, services
from wageguard.payroll.models import Payroll
from wageguard.registry import services as registry_services
from tests.factories import Machine, api_client, employ, punch, system_admin

pytestmark = pytest.mark.django_db
JUNE = "2026-06"


@pytest.fixture
def gate(world):
    return Machine(*api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code]))


def attend(gate, employment, days):
    records = [punch(employment, at=f"2026-06-{d:02d}T07:{n % 60:02d}:00+08:00", record_id=f"{employment.pk}-{d}")
               for n, d in enumerate(days)]
    records += [punch(employment, at=f"2026-06-{d:02d}T17:30:00+08:00", direction="out", record_id=f"{employment.pk}-{d}-out")
                for d in days]
    assert gate.post("/api/v1/attendance/batches", {"batch_id": f"a-{employment.pk}-{days[0]}", "records": records}).status_code == 200


def build(world, enterprise=None, project=None):
    return services.payroll_build(actor=world.users["gc_a_admin"] if enterprise is None else None,
                                  project=project or world.jinan_building, enterprise=enterprise or world.gc_a, month=JUNE)


def line_of(payroll, employment):
    return payroll.lines.get(worker=employment.worker)


def levels(line):
    return {code: result["level"] for code, result in line.checks.items()}


def test_daily_wage_from_attendance_and_clean_checks(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2, 3, 4, 5])
    line = line_of(build(world), world.gc_a_worker_emp)
    assert (line.days_attended, line.days_claimed, line.gross, line.net) == (5, 5, Decimal("1500.00"), Decimal("1500.00"))
    assert line.hours_attended > 40 and line.card == world.gc_a_worker_emp.worker.bank_card
    assert {c for c, level in levels(line).items() if level != "ok"} == {"card_holder"}  # pending the bank's report
    assert ledger.blocking(line) == []


def test_over_claimed_days_and_pay_without_attendance_are_errors(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2])
    idle = employ(world.jinan_building, world.gc_a, entered_on=datetime.date(2026, 5, 1), birth=datetime.date(1980, 2, 3))
    payroll = build(world)
    over = services.line_adjust(actor=world.users["gc_a_admin"], line=line_of(payroll, world.gc_a_worker_emp), days_claimed=4,
                                reason="班组长报送")
    assert levels(over)["days_over_claimed"] == "error" and levels(over)["pay_without_attendance"] == "ok"
    ghost_pay = services.line_adjust(actor=world.users["gc_a_admin"], line=line_of(payroll, idle), days_claimed=3, reason="补录")
    assert levels(ghost_pay)["pay_without_attendance"] == "error" and "pay_without_attendance" in ledger.blocking(ghost_pay)
    assert levels(line_of(payroll, idle))["pay_without_attendance"] == "error"


def test_missing_contract_is_an_error(world, gate):
    bare = employ(world.jinan_building, world.gc_a, contract=False, birth=datetime.date(1979, 4, 5))
    attend(gate, bare, [3])
    line = line_of(build(world), bare)
    assert levels(line)["contract"] == "error" and line.gross == 0


def test_monthly_wage_is_pro_rata_and_piece_rate_needs_quantities(world, gate):
    admin = system_admin()
    monthly = employ(world.jinan_building, world.gc_a, entered_on=datetime.date(2026, 6, 16), contract=False, birth=datetime.date(1981, 1, 1))
    registry_services.contract_attach(actor=admin, employment=monthly, signed_on=datetime.date(2026, 6, 16), wage_basis="monthly",
                                      wage_rate="6000", pay_day=15)
    piece = employ(world.jinan_building, world.gc_a, contract=False, birth=datetime.date(1982, 1, 1))
    registry_services.contract_attach(actor=admin, employment=piece, signed_on=datetime.date(2026, 3, 1), wage_basis="piece_rate",
                                      wage_rate="25", pay_day=15)
    attend(gate, monthly, [16, 17])
    attend(gate, piece, [10])
    payroll = build(world)
    assert line_of(payroll, monthly).gross == Decimal("3000.00")  # 15 of 30 days on the roster
    assert line_of(payroll, piece).gross == 0
    adjusted = services.line_adjust(actor=world.users["gc_a_admin"], line=line_of(payroll, piece), quantity="120", reason="班组计量单")
    assert adjusted.gross == Decimal("3000.00")
    with pytest.raises(ServiceError) as err:
        services.line_adjust(actor=world.users["gc_a_admin"], line=line_of(payroll, monthly), quantity="5", reason="x")
    assert err.value.field == "quantity"


def test_large_payment_is_a_warning_that_needs_a_reason(world, gate):
    admin = system_admin()
    boss = employ(world.jinan_building, world.gc_a, contract=False, birth=datetime.date(1975, 1, 1))
    registry_services.contract_attach(actor=admin, employment=boss, signed_on=datetime.date(2026, 3, 1), wage_basis="monthly",
                                      wage_rate="60000", pay_day=15)
    attend(gate, boss, [1])
    line = line_of(build(world), boss)
    assert levels(line)["large_payment"] == "warning" and "large_payment" in ledger.blocking(line)
    line.warning_reasons = {"large_payment": "项目经理月薪，经总包确认"}
    assert "large_payment" not in ledger.blocking(line)


def test_exit_without_settlement_is_a_warning(world, gate):
    gone = employ(world.jinan_building, world.gc_a, entered_on=datetime.date(2026, 5, 1), birth=datetime.date(1983, 1, 1))
    never_came = employ(world.jinan_building, world.gc_a, entered_on=datetime.date(2026, 5, 1), birth=datetime.date(1984, 1, 1))
    for employment in (gone, never_came):
        registry_services.employment_exit(actor=system_admin(), employment=employment, exited_on=datetime.date(2026, 6, 10))
    attend(gate, gone, [1, 2, 3])
    payroll = build(world)
    assert levels(line_of(payroll, gone))["exit_without_settlement"] == "ok"  # paid for the days worked
    unsettled = services.line_adjust(actor=world.users["gc_a_admin"], line=line_of(payroll, gone), days_claimed=0, reason="离场")
    assert levels(unsettled)["exit_without_settlement"] == "warning"
    assert levels(line_of(payroll, never_came))["exit_without_settlement"] == "ok"  # left having worked no day: nothing owed
    assert levels(line_of(payroll, world.gc_a_worker_emp))["exit_without_settlement"] == "ok"


def test_a_contract_signed_after_the_month_is_a_warning_and_gives_the_wage_terms(world, gate):
    late = employ(world.jinan_building, world.gc_a, contract=False, birth=datetime.date(1979, 4, 6))
    attend(gate, late, [3, 4])
    registry_services.contract_attach(actor=system_admin(), employment=late, signed_on=datetime.date(2026, 7, 3), wage_basis="daily",
                                      wage_rate="280", pay_day=10)
    line = line_of(build(world), late)
    assert levels(line)["contract"] == "warning" and line.gross == Decimal("560.00")


def test_the_same_worker_in_two_payrolls_of_a_month_is_flagged(world, gate):
    worker_payload = {"id_number": world.gc_a_worker_emp.worker.id_number}
    second = registry_services.employment_enter(actor=system_admin(), worker=world.gc_a_worker_emp.worker, project=world.jinan_transport,
                                                enterprise=world.gc_b, trade="普工", entered_on=datetime.date(2026, 6, 1)).employment
    assert worker_payload and second
    attend(gate, world.gc_a_worker_emp, [1, 2, 3])
    attend(gate, second, [4, 5])
    first = line_of(build(world), world.gc_a_worker_emp)
    assert levels(first)["paid_twice"] == "ok"
    other = services.payroll_build(actor=None, project=world.jinan_transport, enterprise=world.gc_b, month=JUNE)
    assert levels(line_of(other, second))["paid_twice"] in ("warning", "error")


def test_adjustments_need_reasons_are_audited_and_a_ledger_is_never_deleted(world, gate):
    attend(gate, world.gc_a_worker_emp, [1, 2, 3])
    payroll = build(world)
    line = line_of(payroll, world.gc_a_worker_emp)
    with pytest.raises(ServiceError) as err:
        services.line_adjust(actor=world.users["gc_a_admin"], line=line, deductions=[{"reason": "", "amount": "10"}], reason="x")
    assert err.value.field == "deductions[0].reason"
    with pytest.raises(ServiceError) as err:
        services.line_adjust(actor=world.users["gc_a_admin"], line=line, deductions=[{"reason": "借支", "amount": "5000"}], reason="x")
    assert err.value.code == "negative_net"
    adjusted = services.line_adjust(actor=world.users["gc_a_admin"], line=line, deductions=[{"reason": "借支", "amount": "200.00"}],
                                    reason="班组借支")
    assert adjusted.net == Decimal("700.00")
    entry = AuditEntry.objects.filter(action="payroll.line_adjust").latest("id")
    assert entry.before["net"] == "900.00" and entry.after["reason"] == "班组借支"
    rebuilt = line_of(build(world), world.gc_a_worker_emp)
    assert rebuilt.deductions == [{"reason": "借支", "amount": "200.00"}] and rebuilt.net == Decimal("700.00")
    with pytest.raises(PermissionError):
        payroll.delete()
    with pytest.raises(PermissionError):
        Payroll.objects.all().delete()
    with pytest.raises(PermissionDenied):
        services.line_adjust(actor=world.users["gc_b_admin"], line=line, days_claimed=1, reason="x")


def test_building_takes_the_same_number_of_queries_whatever_the_number_of_lines(world, gate):
    def queries_for(project, enterprise):
        with CaptureQueriesContext(connection) as captured:
            services.payroll_build(actor=None, project=project, enterprise=enterprise, month=JUNE)
        return len(captured)

    attend(gate, world.gc_a_worker_emp, [1])
    few = queries_for(world.jinan_building, world.gc_a)
    for n in range(8):
        attend(gate, employ(world.jinan_transport, world.gc_b, birth=datetime.date(1970 + n, 1, 1)), [1, 2])
    many = queries_for(world.jinan_transport, world.gc_b)
    assert many == few


def test_the_month_end_build_takes_the_same_number_of_queries_for_one_ledger_or_many(world, gate):
    def queries_for(pairs):
        with CaptureQueriesContext(connection) as captured:
            built = services.payroll_build_month(month=JUNE, pairs=pairs)
        assert len(built) == len(pairs)
        return len(captured)

    attend(gate, world.gc_a_worker_emp, [1])
    one = queries_for([(world.jinan_building, world.gc_a)])
    attend(gate, world.sub_worker_emp, [1, 2])
    for n in range(5):
        attend(gate, employ(world.jinan_transport, world.gc_b, birth=datetime.date(1970 + n, 1, 1)), [1, 2])
    many = queries_for([(world.jinan_building, world.sub_a), (world.jinan_transport, world.gc_b), (world.jinan_building, world.gc_a)])
    assert many == one + 1, (one, many)  # gc_a's draft is rebuilt: one more statement, updating its stored lines
    entries = AuditEntry.objects.filter(action__in=("payroll.build", "payroll.rebuild")).order_by("id")
    assert [e.action for e in entries] == ["payroll.build", "payroll.build", "payroll.build", "payroll.rebuild"]
    from wageguard.core.audit import verify_chain

    assert verify_chain().ok


def test_ledgers_built_together_see_each_other_for_the_same_worker(world, gate):
    second = registry_services.employment_enter(actor=system_admin(), worker=world.gc_a_worker_emp.worker, project=world.jinan_transport,
                                                enterprise=world.gc_b, trade="普工", entered_on=datetime.date(2026, 6, 1)).employment
    attend(gate, world.gc_a_worker_emp, [1, 2, 3])
    attend(gate, second, [4, 5])
    first, other = services.payroll_build_month(month=JUNE, pairs=[(world.jinan_building, world.gc_a), (world.jinan_transport, world.gc_b)])
    assert levels(line_of(first, world.gc_a_worker_emp))["paid_twice"] == "warning"
    assert levels(line_of(other, second))["paid_twice"] == "warning"


# ---------------------------------------------------------------- workflow

def test_submit_confirm_and_illegal_transitions(world, gate):
    attend(gate, world.sub_worker_emp, [1, 2])
    payroll = services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.sub_a, month=JUNE)
    sub, gc, other = world.users["sub_a_admin"], world.users["gc_a_admin"], world.users["gc_b_admin"]
    with pytest.raises(ServiceError) as err:
        services.payroll_confirm(actor=gc, payroll=payroll)  # a draft cannot be confirmed
    assert err.value.code == "illegal_transition"
    with pytest.raises(PermissionDenied):
        services.payroll_submit(actor=other, payroll=payroll)
    submitted = services.payroll_submit(actor=sub, payroll=payroll)
    assert submitted.status == "submitted"
    with pytest.raises(PermissionDenied):
        services.payroll_confirm(actor=sub, payroll=payroll)  # the subcontractor cannot confirm its own ledger
    with pytest.raises(ServiceError):
        services.line_adjust(actor=sub, line=payroll.lines.get(), days_claimed=1, reason="x")  # locked once submitted
    returned = services.payroll_return(actor=gc, payroll=payroll, reason="请核对出勤")
    assert returned.status == "draft"
    services.payroll_submit(actor=sub, payroll=payroll)
    assert services.payroll_confirm(actor=gc, payroll=payroll).status == "confirmed"
    with pytest.raises(ServiceError) as err:
        services.payroll_submit(actor=sub, payroll=payroll)
    assert err.value.code == "illegal_transition"
    assert list(AuditEntry.objects.filter(action__in=["payroll.submitted", "payroll.draft", "payroll.confirmed"])
                .values_list("action", flat=True).order_by("id")) == ["payroll.submitted", "payroll.draft", "payroll.submitted",
                                                                      "payroll.confirmed"]


def test_errors_block_submission_and_warnings_need_a_reason(world, gate):
    admin = system_admin()
    boss = employ(world.jinan_building, world.gc_a, contract=False, birth=datetime.date(1975, 1, 1))
    registry_services.contract_attach(actor=admin, employment=boss, signed_on=datetime.date(2026, 3, 1), wage_basis="monthly",
                                      wage_rate="60000", pay_day=15)
    attend(gate, boss, [1])
    attend(gate, world.gc_a_worker_emp, [1])
    payroll = build(world)
    gc = world.users["gc_a_admin"]
    services.line_adjust(actor=gc, line=line_of(payroll, world.gc_a_worker_emp), days_claimed=3, reason="多报")
    with pytest.raises(ServiceError) as err:
        services.payroll_submit(actor=gc, payroll=payroll)
    assert err.value.code == "checks_block"
    services.line_adjust(actor=gc, line=line_of(payroll, world.gc_a_worker_emp), days_claimed=1, reason="按出勤更正")
    with pytest.raises(ServiceError) as err:
        services.payroll_submit(actor=gc, payroll=payroll)
    assert "large_payment" in err.value.message
    with pytest.raises(ServiceError) as err:
        services.warning_reason_give(actor=gc, line=line_of(payroll, boss), check="contract", reason="x")
    assert err.value.code == "not_a_warning"
    services.warning_reason_give(actor=gc, line=line_of(payroll, boss), check="large_payment", reason="项目经理月薪")
    assert services.payroll_submit(actor=gc, payroll=payroll).status == "submitted"


# ---------------------------------------------------------------- the bank's side

def _confirmed(world, gate):
    from wageguard.accounts.models import Bank, WageAccount

    from django.utils import timezone

    WageAccount.objects.create(project=world.jinan_building, bank=Bank.objects.get(code="ICBC"), holder=world.gc_a, number="9001",
                               name="x农民工工资专用账户", opened_on=datetime.date(2026, 3, 5), confirmed_at=timezone.now())
    registry_services.worker_set_contact(actor=system_admin(), worker=world.sub_worker_emp.worker, bank_card="6222021234567890128",
                                         bank_name="中国工商银行")
    attend(gate, world.gc_a_worker_emp, [1, 2, 3])
    attend(gate, world.sub_worker_emp, [1, 2])
    payroll = services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.sub_a, month=JUNE)
    services.payroll_submit(actor=world.users["sub_a_admin"], payroll=payroll)
    return services.payroll_confirm(actor=world.users["gc_a_admin"], payroll=payroll)


def test_the_bank_fetches_once_and_answers_each_line(world, gate):
    payroll = _confirmed(world, gate)
    icbc, ccb = Machine(*api_client(kind="bank", bank_code="ICBC")), Machine(*api_client(kind="bank", bank_code="CCB"))
    assert ccb.get("/api/v1/bank/payrolls").json()["payrolls"] == []  # not addressed to another bank
    (fetched,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"]
    assert icbc.get("/api/v1/bank/payrolls").json()["payrolls"] == []  # fetched once
    assert len(icbc.get("/api/v1/bank/payrolls", "include_fetched=true").json()["payrolls"]) == 1
    (line,) = fetched["lines"]
    assert (line["amount"], fetched["account_number"]) == ("600.00", "9001")
    paid = {"client_record_id": "r1", "line_id": line["line_id"], "status": "paid", "amount": line["amount"], "card": line["card"],
            "bank_txn_id": "W1", "paid_at": "2026-07-05T10:00:00+08:00"}
    wrong = [paid | {"amount": "601.00"}, paid | {"client_record_id": "r2", "card": "6222020000000000000"}]
    answer = icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res-1", "mode": "partial", "records": wrong}).json()
    assert [(r["reason"], r["field"]) for r in answer["results"]] == [("amount_mismatch", "amount"), ("card_mismatch", "card")]
    stolen = ccb.post("/api/v1/bank/payroll-results", {"batch_id": "x", "records": [paid]}).json()
    assert stolen["results"][0]["reason"] == "unknown_line"
    early = icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res-early", "records": [paid]}).json()
    assert (early["results"][0]["reason"], line["card_holder"]) == ("card_not_verified", "pending")  # pending blocks payment
    assert verify(ccb, line, "李四")["results"][0]["reason"] == "unknown_line"
    assert verify(icbc, line, payroll.lines.get().worker.name)["status"] == "applied"
    assert icbc.get("/api/v1/bank/payrolls", "include_fetched=true").json()["payrolls"][0]["lines"][0]["card_holder"] == "match"
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res-2", "records": [paid]}).json()["status"] == "applied"
    payroll.refresh_from_db()
    assert payroll.status == "paid"
    again = icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res-3", "records": [paid]}).json()
    assert again["results"][0]["status"] == "duplicate"


def verify(bank, line: dict, holder: str, batch_id: str | None = None, id_number: str | None = None) -> dict:
    """The bank's account-holder check (name and ID number) of a fetched line's card, before it pays; the ID number
    defaults to the line's worker's."""
    from wageguard.payroll.models import PayrollLine

    found = PayrollLine.objects.filter(pk=line["line_id"]).select_related("worker").first()
    id_number = id_number or (found.worker.id_number if found else "370102198506150000")
    record = {"client_record_id": f"v{line['line_id']}-{holder}", "line_id": line["line_id"], "card": line["card"], "holder_name": holder,
              "holder_id_number": id_number}
    response = bank.post("/api/v1/bank/card-verifications", {"batch_id": batch_id or record["client_record_id"], "mode": "partial",
                                                              "records": [record]})
    assert response.status_code == 200, response.content
    return response.json()


def _fetch_and_answer(bank, records, batch_id):
    answer = bank.post("/api/v1/bank/payroll-results", {"batch_id": batch_id, "mode": "partial", "records": records}).json()
    return [r["status"] for r in answer["results"]]


def test_the_bank_reports_the_card_holder_and_a_stranger_is_an_error(world, gate):
    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    assert verify(icbc, line, "王大锤")["results"][0]["status"] == "accepted"
    checked = payroll.lines.get()
    assert checked.checks["card_holder"]["level"] == "error" and "王**" in checked.checks["card_holder"]["detail"]  # masked
    assert verify(icbc, line, checked.worker.name, "again")["results"][0]["reason"] == "conflicts_with_stored"
    # the same name but another person's ID number is not the worker's card either
    assert ledger.holder_check(checked, checked.worker.name, "110105194912310029")["level"] == "error"
    paid = {"client_record_id": "r1", "line_id": line["line_id"], "status": "paid", "amount": line["amount"], "card": line["card"],
            "bank_txn_id": "W1", "paid_at": "2026-07-05T10:00:00+08:00"}
    assert _fetch_and_answer(icbc, [paid], "h1") == ["rejected"]  # a card held by someone else is never paid
    failed = paid | {"client_record_id": "r2", "status": "failed", "reason_code": "NAME_MISMATCH", "holder_name": "王大锤"}
    assert _fetch_and_answer(icbc, [failed], "h2") == ["accepted"]
    assert payroll.lines.get().result.holder_name == "王大锤"


def test_the_card_holder_check_passes_for_the_worker_and_waits_without_a_name(world, gate):
    payroll = _confirmed(world, gate)
    line = payroll.lines.select_related("worker").get()
    assert ledger.holder_check(line, "")["level"] == "pending"
    assert ledger.holder_check(line, line.worker.name)["level"] == "ok"
    assert ledger.holder_check(line, line.worker.name + "某")["level"] == "error"


def test_a_failed_line_is_reissued_to_a_new_card_and_paid(world, gate):
    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    failed = {"client_record_id": "f1", "line_id": line["line_id"], "status": "failed", "amount": line["amount"],
              "card": line["card"], "reason_code": "CARD_CLOSED"}
    assert _fetch_and_answer(icbc, [failed], "f") == ["accepted"]
    payroll.refresh_from_db()
    assert payroll.status == "failed"
    original = payroll.lines.get()
    gc = world.users["gc_a_admin"]
    with pytest.raises(ServiceError) as err:
        services.line_reissue(actor=gc, line=original, reason="换卡", card="1234")
    assert err.value.field == "card"
    with pytest.raises(PermissionDenied):
        services.line_reissue(actor=world.users["gc_b_admin"], line=original, reason="换卡")
    with pytest.raises(ServiceError) as err:  # another card than the worker's registered one: never
        services.line_reissue(actor=gc, line=original, reason="原卡已注销，改发新卡", card="6222021234567890011")
    assert err.value.code == "card_not_registered"
    registry_services.card_change_request(actor=world.users["hrss_province"], worker=original.worker, card="6222021234567890011")
    original.worker.refresh_from_db()
    again = services.line_reissue(actor=gc, line=original, reason="原卡已注销，改发新卡", card="6222021234567890011")
    assert again.reissue_of_id == original.pk and again.net == original.net and again.checks["card_holder"]["level"] == "pending"
    assert again.checks["card_changed"]["level"] == "warning" and "card_changed" not in again.warning_reasons  # seen, not waved
    assert "6222021234567890011" not in str(AuditEntry.objects.filter(action="payroll.line_reissue").values("before", "after").get())
    with pytest.raises(ServiceError) as err:
        services.line_reissue(actor=gc, line=original, reason="again")
    assert err.value.code == "already_reissued"
    with pytest.raises(ServiceError) as err:
        services.line_reissue(actor=gc, line=again, reason="not failed")
    assert err.value.code == "not_failed"
    payroll.refresh_from_db()
    assert payroll.status == "confirmed"
    (refetched,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    assert (refetched["line_id"], refetched["reissue_of"], refetched["card"]) == (again.pk, original.pk, "6222021234567890011")
    paid = {"client_record_id": "p1", "line_id": again.pk, "status": "paid", "amount": refetched["amount"], "card": refetched["card"],
            "bank_txn_id": "W9", "paid_at": "2026-07-08T10:00:00+08:00"}
    verify(icbc, refetched, again.worker.name)
    assert _fetch_and_answer(icbc, [paid], "p") == ["accepted"]
    payroll.refresh_from_db()
    assert payroll.status == "paid" and list(payroll.lines.current()) == [again]
    assert AuditEntry.objects.filter(action="payroll.line_reissue").count() == 1


def test_the_month_end_task_builds_a_draft_for_every_employer_and_keeps_submitted_ones(world, gate):
    from wageguard.core.months import before as previous_month
    from wageguard.payroll.tasks import build_month

    assert previous_month(datetime.date(2026, 7, 1)) == JUNE and previous_month(datetime.date(2027, 1, 1)) == "2026-12"
    attend(gate, world.sub_worker_emp, [1, 2])
    assert build_month(JUNE) == 4  # GC A and its subcontractor on one project, GC B on two
    submitted = Payroll.objects.get(enterprise=world.sub_a)
    services.payroll_submit(actor=world.users["sub_a_admin"], payroll=submitted)
    assert build_month(JUNE) == 3 and Payroll.objects.filter(month=JUNE).count() == 4
    assert Payroll.objects.get(pk=submitted.pk).status == "submitted"
