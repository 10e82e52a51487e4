"""The bank feed: accounts opened, transactions with continuity, daily balances, status changes; scope."""
import datetime
import itertools
from decimal import Decimal

import pytest

from wageguard.accounts.feed import account_opened_late
from wageguard.accounts.models import AccountTransaction, BankDataIssue, DailyBalance, WageAccount
from wageguard.core.models import AuditEntry
from tests.factories import Machine, api_client

pytestmark = pytest.mark.django_db
_batches = itertools.count(1)


@pytest.fixture
def icbc(world):
    return Machine(*api_client(kind="bank", bank_code="ICBC"))


@pytest.fixture
def ccb(world):
    return Machine(*api_client(kind="bank", bank_code="CCB"))


def push(machine, path, records, mode="partial", batch_id=None):
    response = machine.post(f"/api/v1/bank/{path}", {"batch_id": batch_id or f"b{next(_batches)}", "mode": mode, "records": records})
    assert response.status_code == 200, response.content
    return response.json()


def opened(project, **overrides):
    gc = project.general_contractor
    record = {"client_record_id": f"acct-{next(_batches)}", "project_code": project.code, "holder_uscc": gc.uscc,
              "account_number": "6222000011112222", "account_name": f"{gc.name}{project.name}农民工工资专用账户",
              "opened_on": "2026-03-10"}
    return record | overrides


def txn(seq, amount, balance, purpose="labour_cost_in", **overrides):
    return {"client_record_id": f"t{seq}-{next(_batches)}", "account_number": "6222000011112222", "bank_txn_id": f"T{seq:05d}",
            "sequence": seq, "booked_at": f"2026-03-{10 + seq:02d}T10:00:00+08:00", "amount": amount,
            "counterparty_name": "业主单位", "purpose": purpose, "balance_after": balance} | overrides


def verdicts(answer):
    return [(r["status"], r.get("reason")) for r in answer["results"]]


@pytest.fixture
def account(world, icbc):
    assert push(icbc, "accounts", [opened(world.jinan_building)])["status"] == "applied"
    return WageAccount.objects.get(number="6222000011112222")


def test_account_rules_holder_name_and_one_per_project(world, icbc):
    project = world.jinan_building
    answer = push(icbc, "accounts", [
        opened(project, holder_uscc=world.gc_b.uscc, account_number="1"),
        opened(project, account_name="某公司工资户", account_number="2"),
        opened(project, account_number="3"),
        opened(project, account_number="4"),
    ])
    assert verdicts(answer) == [("rejected", "holder_not_general_contractor"), ("rejected", "account_name"),
                                ("accepted", None), ("rejected", "account_exists")]
    assert answer["results"][0]["field"] == "holder_uscc" and answer["results"][1]["field"] == "account_name"
    sectioned = push(icbc, "accounts", [opened(project, account_number="5", section="二标段")])
    from wageguard.registry.models import Project

    Project.objects.filter(pk=world.qingdao_building.pk).update(filing_status="proposed")
    world.qingdao_building.refresh_from_db()
    proposed = push(icbc, "accounts", [opened(world.qingdao_building, account_number="6")])
    assert verdicts(proposed) == [("rejected", "project_not_filed")]
    assert verdicts(sectioned) == [("accepted", None)]  # a project split in sections may have one per section


def test_all_or_nothing_stores_no_account(world, icbc):
    answer = push(icbc, "accounts", [opened(world.jinan_building), opened(world.qingdao_building, holder_uscc=world.gc_a.uscc,
                                                                          account_number="9")], mode="all_or_nothing")
    assert answer["status"] == "rejected" and not WageAccount.objects.exists()


def test_replay_conflict_and_correction_keep_both_versions(world, icbc, account):
    record = opened(world.jinan_building)
    first = push(icbc, "accounts", [record], batch_id="same")
    assert push(icbc, "accounts", [record], batch_id="same") == first and verdicts(first) == [("duplicate", None)]
    assert icbc.post("/api/v1/bank/accounts", {"batch_id": "same", "records": [opened(world.jinan_building, opened_on="2026-03-11")]}
                     ).status_code == 409
    changed = opened(world.jinan_building, opened_on="2026-03-12")
    assert verdicts(push(icbc, "accounts", [changed])) == [("rejected", "conflicts_with_stored")]
    assert verdicts(push(icbc, "accounts", [changed | {"correction_reason": "开户日期录入错误"}])) == [("accepted", None)]
    account.refresh_from_db()
    assert account.opened_on == datetime.date(2026, 3, 12)
    entry = AuditEntry.objects.get(action="accounts.bank_correction.wageaccount")
    assert entry.before["opened_on"] == "2026-03-10" and entry.after["correction_reason"] == "开户日期录入错误"


def test_an_account_opened_late_is_accepted_with_a_flag(world, icbc):
    project = world.qingdao_building
    project.started_on = datetime.date(2026, 1, 5)
    project.save()
    answer = push(icbc, "accounts", [opened(project, account_number="77", opened_on="2026-03-10")])
    assert answer["results"][0] == {"client_record_id": answer["results"][0]["client_record_id"], "status": "accepted",
                                    "flags": ["opened_late"]}


def test_opened_late_is_derived_from_the_project_start(world, account):
    project = account.project
    project.started_on = datetime.date(2026, 1, 5)
    project.save()
    assert account_opened_late(account)
    project.started_on = datetime.date(2026, 3, 1)
    project.save()
    assert not account_opened_late(account)


def test_continuity_gaps_and_balance_breaks_open_and_heal(world, icbc, account):
    assert verdicts(push(icbc, "transactions", [txn(1, "100000.00", "100000.00"), txn(2, "-3000.00", "97000.00", "wage_out"),
                                                 txn(3, "12.50", "97012.50", "interest")])) == [("accepted", None)] * 3
    assert not BankDataIssue.objects.exists()
    push(icbc, "transactions", [txn(5, "-1000.00", "95012.50", "fee")])
    gap = BankDataIssue.objects.get(resolved_at__isnull=True)
    assert (gap.kind, gap.at_sequence, gap.expected, gap.found) == ("sequence_gap", 5, "4", "5")
    push(icbc, "transactions", [txn(4, "-1000.00", "96012.50", "fee")])  # the missing one arrives
    assert not BankDataIssue.objects.filter(resolved_at__isnull=True).exists()
    push(icbc, "transactions", [txn(6, "500.00", "99999.99")])
    brk = BankDataIssue.objects.get(resolved_at__isnull=True)
    assert (brk.kind, brk.at_sequence, brk.expected) == ("balance_break", 6, "95512.50")
    push(icbc, "transactions", [txn(6, "500.00", "95512.50", correction_reason="余额字段错误")])
    assert not BankDataIssue.objects.filter(resolved_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="accounts.bank_correction.accounttransaction").count() == 1


def test_bad_input_is_refused_with_its_reason_and_nothing_changes(world, icbc, account):
    push(icbc, "transactions", [txn(1, "100.00", "100.00")])
    answer = push(icbc, "transactions", [
        txn(2, "50.00", "150.00", "wage_out"),               # a wage paid out must be a debit
        txn(3, "12.345", "112.35"),                           # more than two decimals
        txn(4, "abc", "1.00"),
        txn(1, "100.00", "100.00", counterparty_name="别人"),  # same txn id, another body, no reason
        txn(7, "10.00", "110.00", booked_at="2026-03-12 10:00"),  # no UTC offset
        txn(8, "10.00", "110.00", purpose="gift"),
    ])
    assert verdicts(answer) == [("rejected", "wrong_sign"), ("rejected", "invalid_amount"), ("rejected", "invalid_amount"),
                                ("rejected", "conflicts_with_stored"), ("rejected", "invalid_datetime"), ("rejected", "invalid_choice")]
    assert [r["field"] for r in answer["results"]] == ["amount", "amount", "amount", "bank_txn_id", "booked_at", "purpose"]
    stored = AccountTransaction.objects.get()
    assert (stored.amount, stored.counterparty_name) == (Decimal("100.00"), "业主单位")
    # A JSON number with two decimals is exact: parsed as a decimal, never a float.
    assert verdicts(push(icbc, "transactions", [txn(2, 0.1, 100.1, "interest")])) == [("accepted", None)]
    assert AccountTransaction.objects.get(sequence=2).balance_after == Decimal("100.10")


def test_a_bank_cannot_push_or_read_another_banks_accounts(world, icbc, ccb, account):
    assert verdicts(push(ccb, "transactions", [txn(1, "100.00", "100.00")])) == [("rejected", "unknown_account")]
    assert verdicts(push(ccb, "balances", [{"client_record_id": "c", "account_number": account.number, "day": "2026-03-11",
                                            "closing_balance": "0.00"}])) == [("rejected", "unknown_account")]
    assert ccb.get("/api/v1/bank/accounts").json()["accounts"] == []
    assert [a["account_number"] for a in icbc.get("/api/v1/bank/accounts").json()["accounts"]] == [account.number]
    gate = Machine(*api_client(project_codes=[world.jinan_building.code]))
    refused = gate.post("/api/v1/bank/transactions", {"batch_id": "x", "records": [txn(1, "1.00", "1.00")]})
    assert refused.status_code == 403 and refused.json()["error"] == "out_of_scope"
    assert not AccountTransaction.objects.exists()


def test_daily_closing_balance_must_match_the_last_transaction(world, icbc, account):
    push(icbc, "transactions", [txn(1, "100.00", "100.00"), txn(2, "-40.00", "60.00", "wage_out")])  # booked 11 and 12 March
    closing = {"client_record_id": "d1", "account_number": account.number, "day": "2026-03-11", "closing_balance": "100.00"}
    assert verdicts(push(icbc, "balances", [closing, closing | {"client_record_id": "d2", "day": "2026-03-12",
                                                                "closing_balance": "100.00"}])) == [("accepted", None)] * 2
    issue = BankDataIssue.objects.get(resolved_at__isnull=True)
    assert (issue.kind, issue.day, issue.expected, issue.found) == ("closing_mismatch", datetime.date(2026, 3, 12), "60.00", "100.00")
    push(icbc, "balances", [closing | {"client_record_id": "d3", "day": "2026-03-12", "closing_balance": "60.00",
                                       "correction_reason": "日终余额更正"}])
    assert not BankDataIssue.objects.filter(resolved_at__isnull=True).exists()
    assert DailyBalance.objects.get(day="2026-03-12").closing_balance == Decimal("60.00")


def test_closing_with_an_open_payroll_is_flagged(world, icbc, account):
    from wageguard.payroll.services import payroll_build

    project = account.project
    project.status = "completed"
    project.save()
    payroll_build(actor=None, project=project, enterprise=world.gc_a, month="2026-03")
    push(icbc, "account-status", [{"client_record_id": "n", "account_number": account.number, "status": "closing", "effective_on": "2026-03-01"}])
    answer = push(icbc, "account-status", [{"client_record_id": "c", "account_number": account.number, "status": "closed",
                                            "effective_on": "2026-04-15"}])
    assert answer["results"][0]["flags"] == ["open_payroll"]


def test_closing_without_notice_on_an_unfinished_project_is_accepted_and_flagged(world, icbc, account):
    answer = push(icbc, "account-status", [{"client_record_id": "s1", "account_number": account.number, "status": "closed",
                                            "effective_on": "2026-04-01"}])
    assert verdicts(answer) == [("accepted", None)]
    account.refresh_from_db()
    event = account.status_events.get()
    assert account.status == "closed" and event.flags == ["closed_without_notice", "project_not_completed"]
    assert answer["results"][0]["flags"] == ["closed_without_notice", "project_not_completed"]


def test_no_console_path_writes_bank_data():
    from django.contrib import admin
    from django.urls import get_resolver

    from wageguard.accounts import models

    def callbacks(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from callbacks(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    console = [(route, cb) for route, cb in callbacks(get_resolver().url_patterns)
               if not route.startswith(("api/", "admin/"))]
    from wageguard.accounts import views

    # Bank data is shown by the accounts views alone, and those views only read (require_safe: GET/HEAD);
    # the app's other console pages (wage deposits) write deposits, never bank data.
    assert {cb.__module__ for _r, cb in console if cb.__module__.startswith("wageguard.accounts")} <= {views.__name__}
    # (test_account_pages_refuse_writes checks that each of those answers POST with 405.)
    for model in (models.WageAccount, models.AccountTransaction, models.DailyBalance, models.AccountStatusEvent):
        model_admin = admin.site._registry.get(model)
        assert model_admin is None or not (model_admin.has_add_permission(None) or model_admin.has_change_permission(None))


# ---------------------------------------------------------------- console pages (read-only, scoped)

def _browser(world, role):
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(world.users[role])
    return browser


def test_account_pages_show_balance_allocation_and_transactions_in_scope(world, icbc, account):
    from wageguard.accounts.services import progress_payment_record

    progress_payment_record(actor=world.users["gc_a_admin"], project=account.project, month="2026-03", amount=Decimal("1000000.00"))
    push(icbc, "transactions", [txn(1, "150000.00", "150000.00"), txn(2, "-10.00", "149990.00", "fee")])  # 11 March: late
    push(icbc, "balances", [{"client_record_id": "d", "account_number": account.number, "day": "2026-03-12", "closing_balance": "149990.00"}])
    page = _browser(world, "housing_jinan").get(f"/accounts/{account.pk}/")
    assert page.status_code == 200
    (march,) = page.context["allocations"]
    expected = Decimal("1000000.00") * max(account.project.labour_cost_ratio, Decimal("0.20"))  # building: at least 20 %
    assert (march.expected, march.allocated, march.flags) == (expected, Decimal("150000.00"), ["late", "low"])
    assert ("2026-03-12", "149990.00") in page.context["balances"] and "echarts.min.js" in page.content.decode()
    assert 'id="balance-data"' in page.content.decode()
    fees = _browser(world, "housing_jinan").get(f"/accounts/{account.pk}/", {"purpose": "fee"})
    assert [t.sequence for t in fees.context["page"]] == [2]
    export = _browser(world, "gc_a_admin").get(f"/accounts/{account.pk}/transactions.xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("role,sees", [("hrss_province", True), ("housing_jinan", True), ("pboc_province", True), ("gc_a_admin", True),
                                       ("housing_qingdao", False), ("transport_jinan", False), ("gc_b_admin", False),
                                       ("bank_operator", True), ("worker", False), ("police", False)])
def test_who_sees_an_account(world, account, role, sees):
    browser = _browser(world, role)
    assert (browser.get(f"/accounts/{account.pk}/").status_code == 200) == sees
    listing = browser.get("/accounts/")
    if role in ("worker", "police"):  # roles that never see accounts: no list at all
        assert listing.status_code == 404
    else:
        assert (account.pk in [a.pk for a in listing.context["page"]]) == sees


def test_another_banks_operator_sees_nothing_and_the_bank_console_lists_pushes(world, account):
    from wageguard.core.services import user_create

    ccb_operator = user_create(username="u-ccb", password="pw", role="bank_operator", bank_code="CCB")
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(ccb_operator)
    assert browser.get(f"/accounts/{account.pk}/").status_code == 404
    own = _browser(world, "bank_operator").get("/bank/")
    assert [a.pk for a in own.context["accounts"]] == [account.pk] and len(own.context["batches"]) == 1
    assert _browser(world, "gc_a_admin").get("/bank/").status_code == 404


def test_account_pages_refuse_writes(world, account):
    browser = _browser(world, "platform_admin")
    for url in ("/accounts/", f"/accounts/{account.pk}/", f"/accounts/{account.pk}/transactions.xlsx", "/bank/"):
        assert browser.post(url, {"status": "closed"}).status_code == 405


def test_the_owner_or_contractor_records_progress_payments_on_the_account_page(world, account):
    gc = _browser(world, "gc_a_admin")
    assert gc.post(f"/accounts/{account.pk}/progress/", {"month": "2026-04", "amount": "800000.00"}).status_code == 302
    assert account.project.progress_payments.get(month="2026-04").amount == Decimal("800000.00")
    bad = gc.post(f"/accounts/{account.pk}/progress/", {"month": "2026-13", "amount": "1"}, follow=True)
    assert "月份须写作 YYYY-MM" in bad.content.decode()
    official = _browser(world, "housing_jinan")
    official.post(f"/accounts/{account.pk}/progress/", {"month": "2026-05", "amount": "1.00"})
    assert not account.project.progress_payments.filter(month="2026-05").exists()


def test_the_bank_console_lists_rejected_records_with_their_reasons(world, icbc, account):
    push(icbc, "transactions", [txn(1, "100.00", "100.00"), txn(2, "5.00", "105.00", "wage_out")])
    page = _browser(world, "bank_operator").get("/bank/").content.decode()
    assert "wrong_sign" in page and "amount" in page
