"""The simulator: deterministic for a seed, written through the services, labelled anomalies; the demo setup."""
import datetime
import io
import json

import pytest
from django.core.management import call_command

from wageguard.attendance.models import AttendanceDay, AttendanceRecord, IngestionRejection
from wageguard.exchange.models import IngestionBatch
from wageguard.core import months, rules
from wageguard.core.audit import verify_chain
from wageguard.core.models import User
from wageguard.registry.models import Employment, IdCardReading, LabourContract, Project, Worker
from wageguard.simulate.generator import Params, simulate

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)
SMALL = dict(projects=6, workers=120, months=2, today=TODAY, missing_contract_rate=0.05, two_sites_rate=0.05,
             expired_card_rate=0.03)


def _fingerprint():
    return {
        "projects": sorted(Project.objects.values_list("code", "name", "industry", "region__code", "contract_amount")),
        "workers": sorted((w.name, w.id_number, w.bank_card) for w in Worker.objects.all()),
        "employments": sorted(Employment.objects.values_list("worker__name", "project__code", "trade", "entered_on", "exited_on")),
        "contracts": sorted(LabourContract.objects.values_list("employment__worker__name", "wage_basis", "wage_rate")),
        "punches": sorted(AttendanceRecord.objects.values_list("worker__name", "device_id", "occurred_at", "method")),
    }


class _Rollback(Exception):
    pass


def _generate_and_forget(params):
    """Run the simulator, take its fingerprint, then roll the whole run back."""
    from django.db import transaction

    try:
        with transaction.atomic():
            summary = simulate(params)
            result = (_fingerprint(), [(l["kind"], l["period"]) for l in summary.labels])
            raise _Rollback
    except _Rollback:
        return result


def test_same_seed_same_province():  # registry and attendance alike
    first = _generate_and_forget(Params(seed=7, **SMALL))
    assert Project.objects.count() == 0
    second = _generate_and_forget(Params(seed=7, **SMALL))
    assert first == second and first[0]["workers"]


def test_different_seed_different_province():
    simulate(Params(seed=1, **SMALL))
    one = _fingerprint()["projects"]
    Project.objects.update(name="x")  # keep rows, change nothing that matters below
    simulate(Params(seed=2, **SMALL))
    assert set(_fingerprint()["projects"]) - set(one)


def test_labels_name_real_anomalies_and_go_to_the_file():
    out = io.StringIO()
    summary = simulate(Params(seed=11, **SMALL), labels_out=out, attendance=False)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == summary.labels and {l["kind"] for l in lines} == {"missing_contract", "worker_on_two_sites", "expired_id_card"}
    for label in lines:
        assert set(label) == {"kind", "subject", "period"} and len(label["period"]) == 7
        if label["kind"] == "missing_contract":
            assert not LabourContract.objects.filter(employment_id=label["subject"]["id"]).exists()
        if label["kind"] == "worker_on_two_sites":
            flagged = Employment.objects.with_overlap().filter(pk__in=label["subject"]["employments"])
            assert flagged.count() == 2 and all(e.overlapping for e in flagged)
    expired = [l for l in lines if l["kind"] == "expired_id_card"]
    assert IdCardReading.objects.filter(accepted=False, refusal_code="id_card_expired").count() == len(expired)
    unlabelled_missing = Employment.objects.exclude(pk__in=[l["subject"]["id"] for l in lines if l["kind"] == "missing_contract"])
    assert all(e.contracts.exists() for e in unlabelled_missing)


def test_everything_went_through_the_audited_services():
    simulate(Params(seed=3, **SMALL))
    result = verify_chain()
    assert result.ok
    from wageguard.core.models import AuditEntry
    assert AuditEntry.objects.filter(action="registry.employment_enter").count() == Employment.objects.count()
    assert AuditEntry.objects.filter(action="registry.worker_register").count() == Worker.objects.count()


def test_demo_setup_path_is_idempotent_and_creates_a_login_per_role(capsys):
    args = dict(projects=4, workers=40, months=1, no_serve=True, seed=5)
    call_command("demo", **args)
    counts = (Project.objects.count(), Worker.objects.count(), Employment.objects.count())
    output = capsys.readouterr().out
    assert "wageguard-demo" in output and "province generated" in output
    call_command("demo", **args)
    assert (Project.objects.count(), Worker.objects.count(), Employment.objects.count()) == counts
    assert "already generated" in capsys.readouterr().out
    logins = [u for u in User.objects.exclude(username="simulator") if u.has_usable_password()]  # not the simulator's bots
    assert {u.role for u in logins} == {"official", "enterprise_admin", "wage_officer", "bank_operator", "worker", "police", "platform_admin"}
    for user in logins:
        assert user.check_password("wageguard-demo")


# ---------------------------------------------------------------- attendance through the signed API

ATTENDANCE_KINDS = {"no_attendance", "proxy_clockin", "manual_punch_rate", "clock_drift", "duplicate_delivery", "not_registered"}
RICH = dict(SMALL, projects=8, workers=200)


def _local(day: str, hour: int = 0):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour)))


def test_punches_arrive_through_the_signed_api_and_each_label_is_real():
    out = io.StringIO()
    summary = simulate(Params(seed=21, **RICH), labels_out=out)
    labels = [json.loads(line) for line in out.getvalue().splitlines()]
    sent = summary.attendance
    # Every punch came in a signed batch from a simulated gate vendor; nothing was written around the API.
    assert sent.batches == IngestionBatch.objects.filter(sender__name__startswith="模拟闸机厂商").count() + sum(
        1 for l in labels if l["kind"] == "duplicate_delivery" and not l["subject"]["batch_id"].endswith("-r"))
    assert AttendanceRecord.objects.count() == sent.verdicts["accepted"] > 1000
    assert AttendanceRecord.objects.exclude(batch_id__in=IngestionBatch.objects.values("pk")).count() == 0
    assert AttendanceDay.objects.filter(day=TODAY).exists()  # the demo's projects show today's attendance
    assert ATTENDANCE_KINDS <= {l["kind"] for l in labels}
    assert {l["subject"]["type"] for l in labels if l["kind"] == "late_data"} == {"project", "sender"}
    drifted = set()
    for label in labels:
        subject, period = label["subject"], label["period"]
        if label["kind"] == "no_attendance" and "update_rate" in subject:  # a week in which too few were seen (some were)
            seen, whole = map(int, subject["update_rate"].split("/"))
            assert seen < whole
        elif label["kind"] == "no_attendance":
            start, end = period.split("/")
            assert not AttendanceRecord.objects.filter(project_id=subject["id"], day__range=(start, end)).exists()
            assert AttendanceRecord.objects.filter(project_id=subject["id"]).exists()
        elif label["kind"] == "proxy_clockin":
            punches = AttendanceRecord.objects.filter(worker_id__in=subject["workers"], project_id=subject["id"], day=period,
                                                      direction="in")
            assert len({p.card_hash for p in punches}) == 1 and len(punches) == len(subject["workers"]) >= 3
            times = sorted(p.occurred_at for p in punches)
            assert (times[-1] - times[0]).total_seconds() < 60
        elif label["kind"] == "manual_punch_rate":
            month = AttendanceRecord.objects.filter(project_id=subject["id"], day__startswith=period)
            assert month.filter(method__in=["manual", "supplementary"]).count() > 0.2 * month.count()
        elif label["kind"] == "clock_drift":
            drifted.add((subject["project"], period))
            stored = AttendanceRecord.objects.filter(device_id=subject["id"], day=period, direction="in")
            assert all(p.occurred_at >= _local(period, 8) for p in stored)  # two hours ahead of a 06:30-07:50 arrival
        elif label["kind"] == "duplicate_delivery":
            batch = IngestionBatch.objects.get(sender__key_id=subject["sender"], batch_id=subject["batch_id"])
            if subject["batch_id"].endswith("-r"):
                # All stored already, except punches of a fast device that were too far ahead 5 minutes earlier.
                late_enough = IngestionRejection.objects.filter(reason="clock_drift", batch__sender=batch.sender).count()
                assert batch.duplicate > 0 and batch.accepted <= late_enough
        elif label["kind"] == "not_registered":
            assert IngestionRejection.objects.filter(reason="not_registered", project_id=subject["id"],
                                                     occurred_at__date=period).exists()
        elif label["kind"] == "late_data" and subject["type"] == "project":  # the day's punches came after the deadline
            latest = AttendanceRecord.objects.filter(project_id=subject["id"], day=period, is_late=True).latest("received_at")
            assert latest.received_at > _local(period, 0) + datetime.timedelta(hours=48)
        elif label["kind"] == "late_data":  # a vendor: nothing from it from the first day until its deadline passed
            silence = (_local(period, 0), _local(period, 0) + datetime.timedelta(hours=44))  # (day before, 20:00) + 48 h
            assert IngestionBatch.objects.filter(sender_id=subject["id"], received_at__lt=silence[0]).exists()
            assert not IngestionBatch.objects.filter(sender_id=subject["id"], received_at__range=silence).exists()
    from django.utils import timezone

    too_early = IngestionRejection.objects.filter(reason="clock_drift")
    assert too_early.exists() and all(
        (r.project_id, timezone.localtime(r.occurred_at - datetime.timedelta(hours=2)).date().isoformat()) in drifted
        for r in too_early)
    unlabelled = IngestionRejection.objects.exclude(reason__in=["clock_drift", "not_registered"])
    assert not unlabelled.exists()


def _label_keys(labels) -> list[tuple]:
    """The late-data labels, by project code or, for a sender, its silence's first day (ids differ between provinces)."""
    from wageguard.registry.models import Project

    codes = dict(Project.objects.values_list("pk", "code"))
    return [(label["subject"]["type"], codes[label["subject"]["id"]] if label["subject"]["type"] == "project" else "", label["period"])
            for label in labels if label["kind"] == "late_data"]


def test_a_later_run_catches_up_exactly_as_one_long_run():
    def punches():
        from wageguard.accounts.models import AccountTransaction, DailyBalance

        return (sorted(AttendanceRecord.objects.values_list("worker__id_number_index", "device_id", "occurred_at", "method", "is_late")),
                sorted(AccountTransaction.objects.values_list("bank_txn_id", "amount", "balance_after", "booked_at")),
                DailyBalance.objects.count())

    from django.db import transaction

    class Done(Exception):
        pass

    params = Params(seed=4, **SMALL)
    end = _local("2026-11-20", 20) + datetime.timedelta(minutes=30)
    try:
        with transaction.atomic():
            whole_labels = _label_keys(simulate(params, now=end).labels)
            whole = punches()
            raise Done
    except Done:
        pass
    first = simulate(params, now=_local("2026-11-19", 8))
    assert first.attendance.records
    again = simulate(params, now=end)
    assert again.skipped and again.attendance.records
    assert punches() == whole
    assert sorted(_label_keys(first.labels) + _label_keys(again.labels)) == sorted(whole_labels)
    assert {"project", "sender"} <= {key[0] for key in whole_labels}
    assert simulate(params, now=end).attendance is None  # nothing new to deliver


def test_demo_gates_keep_delivering_while_the_console_runs():
    from wageguard.core import clock
    from wageguard.simulate.tasks import demo_gates_deliver

    simulate(Params(seed=8, **SMALL), now=_local("2026-11-20", 9))
    before = AttendanceRecord.objects.filter(day=TODAY).count()
    with clock.travel(_local("2026-11-20", 21)):
        delivered = demo_gates_deliver.call_local()
    assert delivered > 0 and AttendanceRecord.objects.filter(day=TODAY).count() > before


BANK_KINDS = {"account_not_opened", "labour_cost_missing", "labour_cost_late", "labour_cost_low", "account_misuse", "balance_break"}


def test_banks_push_accounts_transactions_and_balances_and_each_label_is_real():
    from wageguard.accounts.feed import account_opened_late
    from wageguard.accounts.models import AccountTransaction, BankDataIssue, DailyBalance, ProgressPayment, WageAccount
    from wageguard.accounts.requirements import expected_allocation

    out = io.StringIO()
    summary = simulate(Params(seed=1, **dict(SMALL, projects=16, workers=160, months=3)), labels_out=out)
    labels = [json.loads(line) for line in out.getvalue().splitlines() if json.loads(line)["kind"] in BANK_KINDS]
    assert summary.banks.rejected == [] and summary.banks.records == summary.banks.verdicts["accepted"] > 0
    assert BANK_KINDS == {l["kind"] for l in labels}
    never = {l["subject"]["id"] for l in labels if l["kind"] == "account_not_opened" and l["subject"].get("never_opened")}
    with_workers = set(Employment.objects.values_list("project_id", flat=True))
    assert set(WageAccount.objects.values_list("project_id", flat=True)) == with_workers - never
    assert DailyBalance.objects.exists() and ProgressPayment.objects.exists()
    for label in labels:
        subject, period = label["subject"], label["period"]
        account = WageAccount.objects.filter(project_id=subject.get("project", subject.get("id"))).first()
        allocations = AccountTransaction.objects.filter(account=account, purpose="labour_cost_in", booked_at__date__startswith=period)
        if label["kind"] == "account_not_opened":
            assert account is None if subject.get("never_opened") else account_opened_late(account)
        elif label["kind"] == "labour_cost_missing":
            assert not allocations.exists()
        elif label["kind"] == "labour_cost_late":
            assert allocations.get().booked_at.astimezone().day > 10
        elif label["kind"] == "labour_cost_low":
            project = account.project
            payment = ProgressPayment.objects.get(project=project, month=period)
            expected = expected_allocation(progress_payment=payment.amount, labour_cost_ratio=project.labour_cost_ratio,
                                           industry=project.industry, contract_amount=project.contract_amount, region=project.region)
            assert allocations.get().amount < expected
        elif label["kind"] == "account_misuse":
            txn = AccountTransaction.objects.get(bank_txn_id=subject["bank_txn_id"])
            assert txn.amount < 0 and txn.purpose == "transfer_out"
        elif label["kind"] == "balance_break":
            assert BankDataIssue.objects.filter(account__number=subject["number"], kind="balance_break",
                                                at_sequence=subject["sequence"], resolved_at__isnull=True).exists()
    unlabelled = BankDataIssue.objects.exclude(at_sequence__in=[l["subject"]["sequence"] for l in labels if l["kind"] == "balance_break"])
    assert not unlabelled.filter(resolved_at__isnull=True).exists()

    from wageguard.accounts.deposits import deposit_state
    from wageguard.accounts.models import WageDeposit

    missing = [json.loads(line) for line in out.getvalue().splitlines() if json.loads(line)["kind"] == "deposit_missing"]
    assert missing and WageDeposit.objects.count() == len(with_workers)
    for label in missing:
        state = deposit_state(WageDeposit.objects.get(project_id=label["subject"]["id"]), TODAY)
        if label["subject"].get("ineligible_exemption"):
            assert "exemption_ineligible" in state.flags
        else:
            assert state.status == "overdue" and state.held == 0
    missing_ids = {l["subject"]["id"] for l in missing}
    for deposit in WageDeposit.objects.exclude(project_id__in=missing_ids):
        assert deposit_state(deposit, TODAY).status in ("exempt", "satisfied")


PAYROLL_KINDS = {"pay_without_attendance", "days_over_claimed", "ghost_worker", "large_payment", "exit_without_settlement",
                 "bank_line_failed", "arrears"}


@pytest.fixture
def more_absences(monkeypatch):
    """More workers absent for a whole month than the demo has, so that every payroll anomaly shows in a small province."""
    from wageguard.simulate import attendance

    attendance.absent_month.cache_clear()
    monkeypatch.setattr(attendance, "ABSENT_SHARE", 0.03)
    yield
    attendance.absent_month.cache_clear()


def test_monthly_payrolls_are_paid_through_the_bank_api_and_each_label_is_real(more_absences):
    from wageguard.accounts.models import AccountTransaction
    from wageguard.core.models import AuditEntry
    from wageguard.payroll import selectors
    from wageguard.payroll.models import DisbursementResult, Payroll, PayrollLine

    out = io.StringIO()
    summary = simulate(Params(seed=2, **dict(SMALL, projects=16, workers=200, months=4)), labels_out=out)
    labels = [json.loads(line) for line in out.getvalue().splitlines()]
    payroll_labels = [l for l in labels if l["kind"] in PAYROLL_KINDS or l["subject"]["type"] == "payroll_card"]
    assert summary.payroll.rejected == [] and summary.payroll.results > 0
    assert PAYROLL_KINDS <= {l["kind"] for l in payroll_labels}, {l["kind"] for l in payroll_labels}

    # every employer with workers has its ledger for each month paid so far, and the bank answered its lines
    for month in ("2026-09", "2026-10"):
        first, last = months.bounds(month)
        pairs = set(Employment.objects.filter(entered_on__lte=last).exclude(exited_on__lt=first).values_list("project", "enterprise"))
        assert set(Payroll.objects.filter(month=month).values_list("project", "enterprise")) == pairs
    answered = Payroll.objects.filter(month="2026-09", lines__result__isnull=False).distinct().count()
    assert answered >= Payroll.objects.filter(month="2026-09").count() - sum(1 for l in labels if l["kind"] == "arrears")
    # the wage debits in the accounts are the bank's paid results, one for one
    paid = dict(DisbursementResult.objects.filter(status="paid").values_list("bank_txn_id", "amount"))
    debits = {t: -a for t, a in AccountTransaction.objects.filter(purpose="wage_out").values_list("bank_txn_id", "amount")}
    assert paid and debits == paid

    def adjusted(line_id, key):
        return [e.after[key] for e in AuditEntry.objects.filter(action="payroll.line_adjust", object_id=str(line_id))]

    for label in payroll_labels:
        subject = label["subject"]
        line = PayrollLine.objects.filter(pk=subject.get("id")).first() if subject["type"] == "payroll_line" else None
        if label["kind"] == "pay_without_attendance":
            assert line.days_attended == 0 and max(adjusted(line.pk, "days_claimed")) > 0
        elif label["kind"] == "days_over_claimed":
            assert max(adjusted(line.pk, "days_claimed")) > line.days_attended
        elif label["kind"] == "ghost_worker":
            assert line.net > 0 and line.days_attended == 0 and line.wage_basis == "monthly"
            assert not AttendanceRecord.objects.filter(worker=line.worker, project=line.payroll.project, day__startswith=label["period"]).exists()
        elif label["kind"] == "large_payment":
            assert line.net > rules.RULES["alert.large_payment_month"].default and line.checks["large_payment"]["level"] == "warning"
        elif label["kind"] == "exit_without_settlement":
            assert line.net == 0 and line.days_attended > 0 and line.checks["exit_without_settlement"]["level"] == "warning"
        elif label["kind"] == "bank_line_failed":
            assert line.result.status == "failed" and line.result.reason_code == subject["reason_code"]
        elif label["kind"] == "arrears":
            payroll = Payroll.objects.get(pk=subject["id"])
            _first, last = months.bounds(label["period"])
            deadline = last + datetime.timedelta(days=31)
            owed = payroll.lines.current().filter(net__gt=0)
            assert owed.exclude(result__status="paid").exists() or owed.filter(result__paid_at__date__gt=deadline).exists() \
                or payroll.lines.filter(result__status="failed", result__paid_at__isnull=True).exists()
        else:  # several workers' wages to one card: the bank names its one holder
            lines = PayrollLine.objects.current().filter(payroll_id=subject["payroll"], worker_id__in=subject["workers"])
            assert len({line.card_index for line in lines}) == 1 and len(lines) == len(subject["workers"]) > 1
            holders = {line.result.holder_name for line in lines if hasattr(line, "result")}
            assert len(holders) <= 1
            assert any(line.checks["card_holder"]["level"] == "error" for line in lines if hasattr(line, "result"))

    # the reconciliation page shows the failed lines that were never paid again
    unpaid = [l for l in labels if l["kind"] == "bank_line_failed"
              and not PayrollLine.objects.filter(reissue_of_id=l["subject"]["id"]).exists()]
    admin = User.objects.get(username="simulator")
    for label in unpaid:
        line = PayrollLine.objects.select_related("payroll").get(pk=label["subject"]["id"])
        report = selectors.reconciliation(user=admin, project_pk=line.payroll.project_id, month=label["period"])
        assert any(d.kind == "failed" and d.line.pk == line.pk for d in report.differences)


# ---------------------------------------------------------------- any moment


@pytest.fixture
def process_clock():
    from wageguard.core import clock

    yield clock
    clock.set_moment(None)  # back to the real clock for the tests that follow


@pytest.mark.parametrize("today", ["2026-12-01", "2028-02-29", "2027-01-01"])
def test_the_demo_province_is_useful_at_calendar_edges(today, process_clock):
    """`wageguard simulate --today D`: on the 1st, a leap day and New Year's Day the province has history (its
    employments did not all start today), the month that ended has its ledgers, and the audit chain holds."""
    from wageguard.payroll.models import Payroll

    call_command("simulate", seed=5, projects=3, workers=40, months=2, today=today, stdout=io.StringIO())
    day = datetime.date.fromisoformat(today)
    assert process_clock.localdate() == day
    entries = set(Employment.objects.values_list("entered_on", flat=True))
    assert len(entries) > 3 and min(entries) < day - datetime.timedelta(days=20)
    ended = months.before(day)
    assert Payroll.objects.filter(month=ended).exists(), f"no ledger for {ended}"
    assert AttendanceDay.objects.filter(day__lt=day).exists() and verify_chain().ok


def test_a_moment_is_refused_naming_its_form(process_clock):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("simulate", seed=5, projects=1, workers=5, months=1, today="29/02/2028", stdout=io.StringIO())


def test_over_the_spring_festival_sites_stop_as_declared_and_no_attendance_keeps_quiet(process_clock):
    """In the middle of the 2027 Spring Festival (beyond the official calendar: the provisional one) most sites
    have stopped, each stop declared by its general contractor before it began, and no silence is alerted on a
    declared or public holiday day."""
    from wageguard.alerts.models import Alert
    from wageguard.core import workdays
    from wageguard.registry.models import ProjectShutdown

    call_command("simulate", seed=5, projects=4, workers=60, months=2, today="2027-02-13", stdout=io.StringIO())
    stops = list(ProjectShutdown.objects.select_related("declared_by"))
    assert stops and all(s.reason == "spring_festival" and s.declared_at.date() < s.starts_on for s in stops)
    assert all(s.declared_by.enterprise_id == s.project.general_contractor_id for s in stops)
    off = {(s.project_id, s.starts_on + datetime.timedelta(days=n)) for s in stops for n in range((s.ends_on - s.starts_on).days + 1)}
    for alert in Alert.objects.filter(rule="no_attendance").exclude(subject_id__endswith="update-rate"):
        first = datetime.date.fromisoformat(alert.facts["from"])
        assert (alert.project_id, first) not in off and not workdays.public_holiday(first), alert.facts


def test_a_silent_run_is_labelled_once_though_days_off_follow_it():
    """A run of silent days reaches the rule's length, then days off leave it as it was (neither grown nor ended):
    it is labelled on the day it reached that length only."""
    from types import SimpleNamespace

    from wageguard.simulate.attendance import Gates, Site

    labels = []
    gates = SimpleNamespace(sites=[Site(7, "P7", [], ["G"], 0)], label=lambda kind, subject, period: labels.append(period))
    run = [datetime.date(2027, 1, 30), datetime.date(2027, 1, 31), datetime.date(2027, 2, 1)]
    for day in [run[-1], datetime.date(2027, 2, 2), datetime.date(2027, 2, 3)]:  # the 2nd and 3rd: days off
        Gates._label_silence(gates, day, {"P7": run}, since=None)
    assert labels == ["2027-01-30/2027-02-01"]
