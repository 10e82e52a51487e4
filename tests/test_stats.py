"""Statistics: each indicator against a small province computed by hand, the rollups kept by the events equal to
a rebuild after any sequence of events, the list behind a number adding up to it, the scope of every role, the
monthly reports, the forecast and its yellow alert, the read replica."""
import contextlib
import datetime
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from wageguard.attendance.models import REJECTION_REASONS
from wageguard.core import clock
from wageguard.core.errors import ServiceError
from wageguard.core.models import Agency
from wageguard.core.dbrouter import ReplicaRouter, replica_reads
from wageguard.credit import services as credit_services
from wageguard.credit.models import RecordKind
from wageguard.payroll import services as payroll_services
from wageguard.payroll.models import PayrollLine
from wageguard.registry import services as registry_services
from wageguard.stats import forecast, reports, rollup, selectors
from wageguard.stats.indicators import MEASURE_LABELS, MEASURES, coverage_target
from wageguard.stats.models import Cell, MonthlyReport, ProjectMonth, RiskScore
from tests.conftest import run_pending_events
from tests.factories import employ, project, system_admin
from tests.test_payroll import JUNE, _confirmed, verify

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def gate(world):
    from tests.factories import Machine, api_client

    return Machine(*api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code]))


def snapshot() -> tuple[list, list, list]:
    from wageguard.stats.models import SenderMonth

    fields = ("project_id", "month", "county", "industry", *MEASURES)
    return (sorted(ProjectMonth.objects.values_list(*fields)),
            sorted(Cell.objects.values_list("county", "industry", "month", *MEASURES)),
            sorted(SenderMonth.objects.values_list("project_id", "month", "sender", "received", "late", "rejected")))


def province_totals(month: str) -> dict:
    from wageguard.core.models import Industry, Region

    return selectors.totals(selectors.Area(Region.objects.get(code="370000"), tuple(Industry.values)), month)


def _paid_june(world, gate):
    """The sub-contractor's June ledger paid by the bank (600 yuan, 1 line); GC A's own June ledger submitted,
    confirmed and never paid (3 days × 300 = 900 yuan owed to one worker)."""
    from tests.factories import Machine, api_client

    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (fetched,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"]
    (line,) = fetched["lines"]
    verify(icbc, line, payroll.lines.get().worker.name)
    paid = {"client_record_id": "r1", "line_id": line["line_id"], "status": "paid", "amount": line["amount"], "card": line["card"],
            "bank_txn_id": "W1", "paid_at": "2026-07-05T10:00:00+08:00"}
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res", "records": [paid]}).json()["status"] == "applied"
    own = payroll_services.payroll_build(actor=world.users["gc_a_admin"], project=world.jinan_building, enterprise=world.gc_a, month=JUNE)
    assert own.lines.get().net == Decimal("900.00")


def test_each_indicator_against_a_small_province_by_hand(world, gate):
    """World: three projects started 1 Jan 2026 and onboarded today (Dec 2026); four workers entered 1 Mar 2026 with
    a contract, their cards read today; one account (济南 building) opened 5 Mar, late (due 31 Jan). Then: June's
    progress payment with no labour cost allocated, the arrears rule run, a worker's complaint, a credit record."""
    from wageguard.accounts.services import progress_payment_record
    from wageguard.alerts import engine
    from wageguard.complaints import services as complaint_services

    _paid_june(world, gate)
    progress_payment_record(actor=world.users["platform_admin"], project=world.jinan_building, month=JUNE, amount=Decimal("1000000"))
    engine.evaluate(["arrears"], engine.Scope.everything())
    complaint_services.complaint_file(actor=world.users["worker"], project=world.jinan_building, kinds=["unpaid"], months_claimed=[JUNE])
    credit_services.record_propose(actor=world.users["hrss_jinan"], kind=RecordKind.ARREARS_FOUND, enterprise=world.gc_a, amount=Decimal("900"),
                                   project=world.jinan_building, facts="拖欠6月工资", legal_basis="《保障农民工工资支付条例》")
    rollup.rebuild()
    june = province_totals(JUNE)
    assert {m: june[m] for m in ("projects", "qualifying", "onboarded", "accounts_opened", "accounts_in_time", "employments",
                                 "contracts", "real_name", "attended", "ledger_lines", "lines_paid", "unpaid_workers",
                                 "projects_unpaid", "records_received", "labour_cost_short")} == {
        "projects": 3, "qualifying": 3, "onboarded": 0, "accounts_opened": 1, "accounts_in_time": 0, "employments": 4,
        "contracts": 4, "real_name": 0, "attended": 2, "ledger_lines": 2, "lines_paid": 1, "unpaid_workers": 1,
        "projects_unpaid": 1, "records_received": 0, "labour_cost_short": 1}  # the punches arrived today, not in June
    assert (june["net_due"], june["net_paid"], june["unpaid_net"]) == (Decimal("1500.00"), Decimal("600.00"), Decimal("900.00"))
    values = selectors.indicator_values(june, JUNE)
    assert values["coverage"] == 0 and values["accounts"] == Decimal("0.3333") and values["contracts"] == 1
    assert values["attendance"] == Decimal("0.5000") and values["bank_disbursement"] == Decimal("0.5000")
    assert values["arrears"] == Decimal("900.00") and values["arrears_workers"] == 1  # June's wages fell due on 31 July
    today = clock.localdate()
    now = province_totals(f"{today:%Y-%m}")
    assert (now["onboarded"], now["real_name"], now["ledger_lines"]) == (3, 4, 0)
    assert (now["records_received"], now["records_late"], now["records_rejected"]) == (10, 10, 0)  # June's punches, sent today
    (gate_line,) = selectors.senders(selectors.area_for(world.users["hrss_province"]), f"{today:%Y-%m}")
    assert (gate_line.kind, gate_line.received, gate_line.late, gate_line.late_share) == ("gate", 10, 10, 1.0)
    assert (now["alerts_raised"], now["alerts_in_time"], now["complaints"], now["credit_records"]) == (1, 0, 1, 1)
    assert selectors.indicator_values(june, JUNE)["labour_cost_short"] == 1  # the one project with an account
    assert selectors.indicator_values(now, f"{today:%Y-%m}")["arrears"] is None  # this month's wages are not due yet
    assert coverage_target("2019-09") == (Decimal("0.70"), D(2019, 10, 31))
    assert coverage_target("2019-12") == (Decimal("1.00"), D(2020, 1, 31)) == coverage_target("2026-06")


OPERATIONS = ("employ", "employ_without_contract", "exit", "contract", "onboard", "file", "credit", "attend", "book", "bank_result",
              "complain", "progress_payment", "alerts")


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 7)), min_size=1, max_size=8))
def test_the_rollups_kept_by_the_events_equal_a_rebuild(world, gate, django_capture_on_commit_callbacks, steps):
    from tests.factories import Machine, api_client
    from tests.test_bank_feed import opened, push, txn
    from tests.test_payroll import attend
    from wageguard.accounts.services import progress_payment_record
    from wageguard.alerts import engine
    from wageguard.complaints import services as complaint_services

    savepoint = transaction.savepoint()
    try:
        run_pending_events()
        rollup.rebuild()
        admin, projects = system_admin(), [world.jinan_building, world.jinan_transport, world.qingdao_building]
        employers = {world.jinan_building.pk: world.gc_a, world.jinan_transport.pk: world.gc_b, world.qingdao_building.pk: world.gc_b}
        icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
        account = {"sequence": 0, "balance": Decimal("0")}  # the bank's account on 济南 transport, opened at the first booking
        for operation, n in steps:
            target = projects[n % len(projects)]
            with django_capture_on_commit_callbacks(execute=True):
                if operation == "attend":  # June punches of a Jinan worker, sent today (late)
                    attend(gate, [world.gc_a_worker_emp, world.sub_worker_emp][n % 2], [10 + n, 11 + n])
                elif operation == "book":  # the bank books money in or out of the account, a day later each time
                    if not account["sequence"]:
                        push(icbc, "accounts", [opened(world.jinan_transport)])
                    amount = Decimal(5000 * (n + 1)) if n % 2 == 0 or account["balance"] < 1000 else Decimal(-1000)
                    account["sequence"] += 1
                    account["balance"] += amount
                    moment = datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8))) + datetime.timedelta(days=9 * account["sequence"])
                    push(icbc, "transactions", [txn(account["sequence"], f"{amount:.2f}", f"{account['balance']:.2f}",
                                                    "labour_cost_in" if amount > 0 else "wage_out", booked_at=moment.isoformat())])
                elif operation == "bank_result":  # a ledger of June built, confirmed and answered by the bank (paid or failed)
                    _a_june_ledger_answered(world, gate, paid=n % 2 == 0)
                elif operation == "complain":  # the worker's one-tap complaint about 济南 building (one open per month)
                    with contextlib.suppress(ServiceError):
                        complaint_services.complaint_file(actor=world.users["worker"], project=world.jinan_building, kinds=["unpaid"],
                                                          months_claimed=[f"2026-{1 + n % 6:02d}"])
                elif operation == "progress_payment":  # the owner's progress payment of a month (labour cost now due)
                    progress_payment_record(actor=admin, project=world.jinan_building, month=f"2026-{1 + n % 6:02d}", amount=Decimal("1000000"))
                elif operation == "alerts":  # the nightly rules over everything (arrears, labour cost short, …)
                    engine.evaluate(["arrears", "labour_cost_missing", "no_attendance", "account_not_opened"], engine.Scope.everything())
                elif operation.startswith("employ"):
                    employ(target, employers[target.pk], entered_on=D(2026, 1 + n, 3), contract=operation == "employ")
                elif operation == "exit":
                    open_ = target.employments.filter(exited_on__isnull=True).first()
                    if open_:
                        registry_services.employment_exit(actor=admin, employment=open_, exited_on=D(2026, 8, 1 + n))
                elif operation == "contract":
                    bare = target.employments.filter(contracts__isnull=True).first()
                    if bare:
                        registry_services.contract_attach(actor=admin, employment=bare, signed_on=D(2026, 2 + n, 1), wage_basis="daily",
                                                          wage_rate="280", pay_day=10)
                elif operation == "onboard":
                    fresh = project(county="370203", industry="water", gc=world.gc_b, onboard=False)
                    projects.append(fresh)
                    employers[fresh.pk] = world.gc_b
                    for participation in fresh.participations.all():
                        registry_services.participation_review(actor=admin, participation=participation, approve=True)
                    registry_services.project_onboard(actor=admin, project=fresh)
                elif operation == "file":
                    fresh = project(county="370102", industry="municipal", gc=world.gc_a, onboard=False)
                    projects.append(fresh)
                    employers[fresh.pk] = world.gc_a
                else:
                    credit_services.record_propose(actor=world.users["hrss_jinan"], kind=RecordKind.ARREARS_FOUND, enterprise=world.gc_a, amount=Decimal("5000"),
                                                   project=world.jinan_building, facts="拖欠工资", legal_basis="《保障农民工工资支付条例》")
        kept = snapshot()
        rollup.rebuild()
        rebuilt = snapshot()
        assert kept == rebuilt, (steps, _differences(kept[0], rebuilt[0]), set(kept[1]) ^ set(rebuilt[1]), set(kept[2]) ^ set(rebuilt[2]))
    finally:
        transaction.savepoint_rollback(savepoint)


def _differences(kept: list, rebuilt: list) -> dict:
    """(project, month) -> {measure: (kept, rebuilt)} where the two project-month snapshots disagree."""
    names = ("project_id", "month", "county", "industry", *MEASURES)
    a, b = {r[:2]: r for r in kept}, {r[:2]: r for r in rebuilt}
    return {key: {n: (x, y) for n, x, y in zip(names, a.get(key, ()), b.get(key, ())) if x != y} or (a.get(key), b.get(key))
            for key in a.keys() | b.keys() if a.get(key) != b.get(key)}


def _a_june_ledger_answered(world, gate, *, paid: bool) -> None:
    """The sub-contractor's June ledger on 济南 building (once), its one line answered by the bank."""
    from tests.factories import Machine, api_client
    from wageguard.payroll.models import Payroll

    if Payroll.objects.filter(project=world.jinan_building, enterprise=world.sub_a, month=JUNE).exists():
        return
    _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    answer = {"client_record_id": "r1", "line_id": line["line_id"], "amount": line["amount"], "card": line["card"]}
    answer |= ({"status": "paid", "bank_txn_id": "W1", "paid_at": "2026-07-05T10:00:00+08:00"} if paid
               else {"status": "failed", "reason_code": "CARD_CLOSED"})
    if paid:
        verify(icbc, line, world.sub_worker_emp.worker.name)
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "res", "records": [answer]}).json()["status"] == "applied"


def test_the_projects_behind_a_number_add_up_to_it(world, gate, client):
    _paid_june(world, gate)
    rollup.rebuild()
    client.force_login(world.users["hrss_province"])
    page = client.get("/stats/", {"month": JUNE})
    assert page.status_code == 200
    for measure in ("employments", "attended", "ledger_lines", "unpaid_net", "accounts_opened", "contracts"):
        shown = province_totals(JUNE)[measure]
        official = world.users["hrss_province"]
        listed = selectors.projects_behind(user=official, area=selectors.area_for(official), month=JUNE, measure=measure)
        assert sum(b.value for b in listed) == shown and shown
        response = client.get("/stats/projects/", {"month": JUNE, "measure": measure})
        assert response.status_code == 200 and all(b.project.code in response.content.decode() for b in listed)
        assert (response.context["count"], response.context["total"]) == (len(listed), shown)
    ranking = client.get("/stats/", {"month": JUNE, "indicator": "contracts"}).content.decode()  # each city's counts, clickable
    links = re.findall(r'href="(/stats/projects/\?region=\d+&month=[\d-]+&measure=(?:contracts|employments))">(\d+)</a>', ranking)
    assert links and any(int(n) for _url, n in links)
    for url, number in links:
        assert client.get(url).context["total"] == int(number), url
    workbook = client.get("/stats/projects/", {"month": JUNE, "measure": "employments", "format": "xlsx"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/stats/", {"month": JUNE, "format": "xlsx"}).status_code == 200


def test_the_province_ranks_its_cities_or_every_county_and_a_city_its_counties(world, gate, client):
    from openpyxl import load_workbook
    import io
    from wageguard.core.models import Region

    _paid_june(world, gate)
    rollup.rebuild()
    client.force_login(world.users["hrss_province"])
    page = client.get("/stats/", {"month": JUNE, "indicator": "contracts", "rank": "county"})
    ranked, cities = page.context["ranked"], page.context["rows"]
    counties = Region.objects.filter(level="county", code__startswith="37")
    assert sorted(r["region"].code for r in ranked) == sorted(counties.values_list("code", flat=True))
    assert len(cities) == Region.objects.filter(level="city").count()  # the map stays by city
    assert sum(r["counts"]["contracts"] for r in ranked) == province_totals(JUNE)["contracts"] > 0
    valued = [r for r in ranked if r["value"] is not None]
    assert [r["value"] for r in valued] == sorted((r["value"] for r in valued), reverse=True) and valued[0]["rank"] == 1
    assert {r["name"] for r in ranked if r["region"].code == world.jinan_building.region.code} == {"济南市历下区"}
    links = re.findall(r'href="(/stats/projects/\?region=(\d{6})&month=[\d-]+&measure=contracts)">(\d+)</a>', page.content.decode())
    assert {code for _u, code, _n in links} >= {r["region"].code for r in ranked if r["counts"]["contracts"]}
    for url, _code, number in links:
        if int(number):
            assert client.get(url).context["total"] == int(number), url
    book = load_workbook(io.BytesIO(client.get("/stats/", {"month": JUNE, "indicator": "contracts", "rank": "county",
                                                           "format": "xlsx"}).content))
    assert book.worksheets[1].max_row == 1 + counties.count()
    by_city = client.get("/stats/", {"month": JUNE, "indicator": "contracts"}).context
    assert by_city["ranked"] is by_city["rows"] and by_city["rank"] == ""
    client.force_login(world.users["hrss_jinan"])  # a city ranks its own counties, whatever it asks
    jinan = client.get("/stats/", {"month": JUNE, "rank": "county"}).context["ranked"]
    assert {r["region"].code[:4] for r in jinan} == {"3701"} and all(r["name"] == r["region"].name for r in jinan)
    client.force_login(world.users["housing_lixia"])  # a county has nothing below it
    assert client.get("/stats/", {"month": JUNE, "rank": "county"}).context["ranked"] == []


@pytest.mark.parametrize("role, region, industry, status", [
    ("hrss_province", "", "", 200), ("hrss_province", "370200", "", 200), ("pboc_province", "370102", "", 200),
    ("hrss_jinan", "", "", 200), ("hrss_jinan", "370102", "", 200), ("hrss_jinan", "370200", "", 404), ("hrss_jinan", "370000", "", 404),
    ("housing_jinan", "", "building", 200), ("housing_jinan", "", "transport", 404), ("transport_jinan", "", "building", 404),
    ("housing_lixia", "370102", "", 200), ("housing_lixia", "370100", "", 404), ("housing_qingdao", "370102", "", 404),
    ("platform_admin", "", "", 200), ("gc_a_admin", "", "", 404), ("wage_officer_jb", "", "", 404), ("bank_operator", "", "", 404),
    ("worker", "", "", 404), ("police", "", "", 404),
])
def test_statistics_are_scoped_to_the_officials_area(world, client, role, region, industry, status):
    rollup.rebuild()
    client.force_login(world.users[role])
    params = {k: v for k, v in {"region": region, "industry": industry}.items() if v}
    for url in ("/stats/", "/stats/screen/", "/stats/risk/"):
        assert client.get(url, params).status_code == status, url
    assert client.get("/stats/projects/", params | {"measure": "employments"}).status_code == status


def test_an_industry_department_counts_only_its_industries(world):
    rollup.rebuild()
    month = f"{clock.localdate():%Y-%m}"
    housing = selectors.totals(selectors.area_for(world.users["housing_jinan"]), month)
    transport = selectors.totals(selectors.area_for(world.users["transport_jinan"]), month)
    hrss = selectors.totals(selectors.area_for(world.users["hrss_jinan"]), month)
    assert (housing["projects"], transport["projects"], hrss["projects"]) == (1, 1, 2)
    official = world.users["housing_jinan"]
    listed = selectors.projects_behind(user=official, area=selectors.area_for(official), month=month, measure="projects")
    assert [b.project for b in listed] == [world.jinan_building]


def test_a_project_moved_out_of_an_area_leaves_its_list_before_the_rollup_catches_up(world, client):
    rollup.rebuild()
    month = f"{clock.localdate():%Y-%m}"
    official = world.users["housing_jinan"]
    area = selectors.area_for(official)
    assert [b.project for b in selectors.projects_behind(user=official, area=area, month=month, measure="projects")] == [world.jinan_building]
    from wageguard.core.models import Region
    from wageguard.registry.models import Project

    Project.objects.filter(pk=world.jinan_building.pk).update(region=Region.objects.get(code="370202"))  # the rollup not yet told
    assert selectors.projects_behind(user=official, area=area, month=month, measure="projects") == []
    client.force_login(official)
    page = client.get("/stats/projects/", {"measure": "projects", "month": month})
    assert world.jinan_building.code not in page.content.decode() and page.context["count"] == 0


def test_pboc_reads_no_hidden_measure_in_the_excel_nor_in_the_reports(world, gate, client):
    from openpyxl import load_workbook
    import io

    _paid_june(world, gate)
    rollup.rebuild()
    reports.generate(JUNE)
    client.force_login(world.users["pboc_province"])
    book = load_workbook(io.BytesIO(client.get("/stats/", {"month": JUNE, "format": "xlsx"}).content))
    ranking = {str(c.value) for c in book.worksheets[1][1]}  # the cities ranked, one column per measure
    with translation.override("zh-hans"):
        assert str(MEASURE_LABELS["employments"]) in ranking
        assert not ranking & {str(MEASURE_LABELS[m]) for m in selectors.HIDDEN_FROM[Agency.PBOC]}
    assert not selectors.reports(user=world.users["pboc_province"]).exists()
    some = MonthlyReport.objects.get(region__code="370000", month=JUNE)
    assert client.get(f"/stats/reports/{some.pk}.pdf").status_code == 404


def test_the_monthly_reports_rank_the_cities_and_open_as_pdf_and_excel(world, gate, client):
    _paid_june(world, gate)
    rollup.rebuild()
    made = reports.generate(JUNE)
    assert len(made) == 17  # the province and its 16 cities
    jinan = MonthlyReport.objects.get(region__code="370100", month=JUNE)
    assert jinan.figures["shown"]["arrears"] == "900.00" and jinan.figures["ranks"]["bank_disbursement"] == [1, 1]
    assert jinan.figures["ranks"]["coverage"] == [1, 2]  # of the two cities with projects, tied at 0 % in June
    assert bytes(jinan.pdf).startswith(b"%PDF") and b"FontFile2" in bytes(jinan.pdf)  # the CJK font embedded
    client.force_login(world.users["hrss_jinan"])
    assert client.get(f"/stats/reports/{jinan.pk}.pdf")["Content-Type"] == "application/pdf"
    qingdao = MonthlyReport.objects.get(region__code="370200", month=JUNE)
    assert client.get(f"/stats/reports/{qingdao.pk}.pdf").status_code == 404
    province = MonthlyReport.objects.get(region__code="370000", month=JUNE)
    assert client.get(f"/stats/reports/{province.pk}.xlsx").status_code == 200
    assert client.post("/stats/reports/", {"month": JUNE}).status_code == 403  # only the province's HRSS generates again
    client.force_login(world.users["hrss_province"])
    signed = bytes(jinan.pdf)
    assert client.post("/stats/reports/", {"month": JUNE}).status_code == 302
    first, second = MonthlyReport.objects.filter(region__code="370100", month=JUNE).order_by("version")
    assert (first.pk, first.version, second.version, bytes(first.pdf)) == (jinan.pk, 1, 2, signed)  # the signed one kept
    assert "第2版" in unquote(client.get(f"/stats/reports/{second.pk}.pdf")["Content-Disposition"])


@pytest.mark.parametrize("moment, month", [("2027-01-01T06:00", "2026-12"), ("2028-03-01T06:00", "2028-02"),
                                            ("2027-02-01T06:00", "2027-01")])  # a new year; after 29 February; Spring Festival's eve month
def test_the_1st_of_a_month_makes_the_reports_of_the_month_before(world, moment, month):
    from wageguard.stats import tasks

    at = clock.parse_moment(moment).replace(tzinfo=None)
    assert tasks.monthly_reports.task_class().validate_datetime(at)  # its crontab: the 1st at 06:00, no other day
    assert not tasks.monthly_reports.task_class().validate_datetime(at + datetime.timedelta(days=1))
    with clock.travel(clock.parse_moment(moment)):
        tasks.monthly_reports.call_local()
        tasks.monthly_reports.call_local()  # run twice (a retry): nothing new
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {month}
    assert MonthlyReport.objects.filter(region__code="370000").count() == 1


def test_the_forecast_explains_its_score_and_raises_a_yellow_alert(world, gate):
    from wageguard.alerts import engine
    from wageguard.alerts.models import Alert

    _paid_june(world, gate)
    rollup.rebuild()
    with clock.travel(clock.parse_moment("2026-08-03T09:00")):
        forecast.refresh("2026-07")
    score = RiskScore.objects.get(project_id=world.jinan_building.pk, month="2026-07")
    assert score.parts["arrears_before"] == {"value": 0.6, "points": 1.8}  # June: 900 of 1,500 yuan unpaid
    assert score.parts["no_account"]["value"] == 0
    other = RiskScore.objects.get(project_id=world.jinan_transport.pk, month="2026-07")
    assert (other.parts["no_account"]["value"], other.parts["ledger_missing"]["value"]) == (1, 1)  # workers in June, no ledger
    assert score.score == Decimal("0.2315") and other.score == Decimal("0.3775")  # 1 / (1 + e^-(-3 + Σ points))
    from wageguard.core.models import Region
    from wageguard.core.services import regional_setting_set

    regional_setting_set(actor=system_admin(), key="forecast.alert_score", region=Region.objects.get(code="370000"), value="0.3",
                         regulation="测试")
    with clock.travel(clock.parse_moment("2026-08-03T09:00")):
        engine.evaluate(["arrears_risk"], engine.Scope(None, None))
    alerts = Alert.objects.filter(rule="arrears_risk")
    assert {a.project_id for a in alerts} == {world.jinan_transport.pk, world.qingdao_building.pk}  # 0.3775 ≥ 0.3 > 0.2315
    alert = alerts.get(project=world.jinan_transport)
    assert (alert.severity, alert.period) == ("yellow", "2026-08")
    assert set(alert.facts["signals"]) == {"ledger_missing", "no_account"}


def test_bank_failures_and_the_account_balance_feed_the_rollup_and_the_forecast(world, gate):
    """The bank fails June's one line and books the account down from 10,000 to 8,000 yuan in June, to 2,000 in July
    and to 1,000 in August: June counts a failed line and ends at 8,000; July at 2,000; August at 1,000.
    July's forecast reads the month before's failures (1 of 1 line) and the balance's fall (1 − 2,000 / 8,000)."""
    from tests.factories import Machine, api_client
    from tests.test_bank_feed import push, txn

    payroll = _confirmed(world, gate)
    icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
    (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
    failed = {"client_record_id": "f1", "line_id": line["line_id"], "status": "failed", "amount": line["amount"], "card": line["card"],
              "reason_code": "CARD_CLOSED"}
    assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "fail", "records": [failed]}).json()["status"] == "applied"
    booked = [txn(1, "10000.00", "10000.00", booked_at="2026-06-10T10:00:00+08:00"),
              txn(2, "-2000.00", "8000.00", "wage_out", booked_at="2026-06-30T23:30:00+08:00"),
              txn(3, "-6000.00", "2000.00", "transfer_out", booked_at="2026-07-01T00:10:00+08:00")]
    assert [r["status"] for r in push(icbc, "transactions", [t | {"account_number": "9001"} for t in booked])["results"]] == ["accepted"] * 3
    # two payouts of one second in August, the later one (sequence 5) delivered first: the bank's order decides
    for seq, balance in ((5, "1000.00"), (4, "1500.00")):
        push(icbc, "transactions", [txn(seq, "-500.00", balance, "wage_out", booked_at="2026-08-20T10:00:00+08:00") | {"account_number": "9001"}])
    rollup.rebuild()
    rows = {r.month: r for r in ProjectMonth.objects.filter(project_id=world.jinan_building.pk, month__in=[JUNE, "2026-07", "2026-08"])}
    assert (rows[JUNE].ledger_lines, rows[JUNE].lines_failed, rows[JUNE].lines_paid) == (1, 1, 0)
    assert [rows[m].balance for m in (JUNE, "2026-07", "2026-08")] == [Decimal("8000.00"), Decimal("2000.00"), Decimal("1000.00")]
    assert province_totals(JUNE)["balance"] == Decimal("8000.00")  # the only account of the province
    assert "lines_failed" in MEASURES and "balance" in MEASURES
    values = forecast.signals("2026-07", [world.jinan_building.pk])[world.jinan_building.pk]
    assert (values["bank_failures"], values["balance_falling"]) == (1.0, 0.75)
    assert forecast.signals("2026-08", [world.jinan_building.pk])[world.jinan_building.pk]["balance_falling"] == 0.5
    with clock.travel(clock.parse_moment("2026-08-03T09:00")):
        forecast.refresh("2026-07")
    parts = RiskScore.objects.get(project_id=world.jinan_building.pk, month="2026-07").parts
    assert parts["bank_failures"] == {"value": 1.0, "points": 1.5} and parts["balance_falling"] == {"value": 0.75, "points": 0.75}
    # the line re-issued to a new card later: June still had its failure (what the forecast knew at July's end)
    original = PayrollLine.objects.get(pk=line["line_id"])
    registry_services.card_change_request(actor=world.users["hrss_province"], worker=original.worker, card="6222021234567890011")
    payroll_services.line_reissue(actor=world.users["gc_a_admin"], line=original, reason="原卡已注销，改发新卡", card="6222021234567890011")
    rollup.rebuild()
    june = ProjectMonth.objects.get(project_id=world.jinan_building.pk, month=JUNE)
    assert (june.ledger_lines, june.lines_failed) == (1, 1)


def test_the_backtest_grades_against_the_arrears_that_followed_not_the_score():
    """A toy history: the forecast's top 5 % against the projects that owed wages the month after."""
    history = [("2026-05", pk, {s: (1.0 if s == "arrears_before" and pk < 3 else 0.0) for s in forecast.SIGNALS}, pk in (1, 2, 50))
               for pk in range(1, 101)]
    result = forecast.backtest(data=history)
    assert (result.samples, result.positives, result.top, result.hits) == (100, 3, 5, 2)
    assert result.base_rate == 0.03 and result.precision == 0.4
    fitted = forecast.fit(history)
    assert fitted["arrears_before"] > 0 > fitted["intercept"]


def test_statistics_and_reports_read_from_the_replica_writes_never(monkeypatch):
    from wageguard.core import dbrouter

    router = ReplicaRouter()
    assert router.db_for_read(ProjectMonth) is None  # no replica configured: the primary, inside or out
    with replica_reads():
        assert router.db_for_read(ProjectMonth) is None
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)  # WAGEGUARD_READ_DATABASE_URL set
    assert router.db_for_read(ProjectMonth) is None
    with replica_reads():
        assert router.db_for_read(ProjectMonth) == "replica"
        assert router.db_for_write(ProjectMonth) == "default"
    assert not router.allow_migrate("replica", "stats")


def test_an_enterprise_sees_its_own_data_quality_and_not_a_rivals(world, client):
    rollup.rebuild()
    client.force_login(world.users["gc_a_admin"])
    page = client.get("/stats/quality/").content.decode()
    assert world.jinan_building.code in page and world.qingdao_building.code not in page
    assert world.jinan_building.code in client.get("/stats/quality/", {"uscc": world.gc_b.uscc}).content.decode()  # its own, always
    client.force_login(world.users["hrss_jinan"])
    page = client.get("/stats/quality/", {"uscc": world.gc_b.uscc}).content.decode()
    assert world.jinan_transport.code in page and world.qingdao_building.code not in page  # Qingdao is outside Jinan
    client.force_login(world.users["bank_operator"])
    assert client.get("/stats/quality/").status_code == 404


def test_the_data_quality_report_counts_late_refused_and_failed_data_of_every_kind(world, gate, client):
    """In July 2026: June's punches sent on 20 July (late), one punch from before the worker entered (refused), the
    bank's failed line of June and its booking of 15 July sent on the 20th (late) — each in its column, in Chinese."""
    from tests.factories import Machine, api_client, punch
    from tests.test_bank_feed import push, txn

    with clock.travel(clock.parse_moment("2026-07-20T10:00")):
        _confirmed(world, gate)
        early = punch(world.gc_a_worker_emp, at="2026-02-27T08:00:00+08:00", record_id="before-entry")
        assert gate.post("/api/v1/attendance/batches", {"batch_id": "early", "mode": "partial", "records": [early]}).status_code == 200
        icbc = Machine(*api_client(kind="bank", bank_code="ICBC"))
        (line,) = icbc.get("/api/v1/bank/payrolls").json()["payrolls"][0]["lines"]
        failed = {"client_record_id": "f1", "line_id": line["line_id"], "status": "failed", "amount": line["amount"], "card": line["card"],
                  "reason_code": "CARD_CLOSED"}
        assert icbc.post("/api/v1/bank/payroll-results", {"batch_id": "fail", "records": [failed]}).json()["status"] == "applied"
        push(icbc, "transactions", [txn(1, "100.00", "100.00", booked_at="2026-07-15T10:00:00+08:00") | {"account_number": "9001"}])
        rollup.rebuild()
        client.force_login(world.users["gc_a_admin"])
        page = client.get("/stats/quality/")
        workbook = client.get("/stats/quality/", {"format": "xlsx"})
    (row,) = [r for r in page.context["rows"] if r["project"] == world.jinan_building]
    assert (row["records"], row["late"], row["rejected"]) == (11, 10, 1)  # 10 June punches late, 1 refused
    assert (row["failed_lines"], row["bank_late"]) == (1, 1)
    text = page.content.decode()
    assert "not_registered" not in text and str(REJECTION_REASONS["not_registered"]) in row["rejections"]
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_subcontractor_sees_no_other_firms_data_and_an_official_no_enterprise_outside_scope(world, client):
    rollup.rebuild()
    client.force_login(world.users["sub_a_admin"])  # on 济南's building project, whose data the general contractor answers for
    assert world.jinan_building.code not in client.get("/stats/quality/").content.decode()
    client.force_login(world.users["housing_qingdao"])
    assert client.get("/stats/quality/", {"uscc": world.gc_a.uscc}).status_code == 404  # GC A works only in 济南


def test_a_proposal_is_not_on_the_platform_and_pboc_sees_no_complaints(world, client):
    data = registry_services.ProjectData(
        name="拟建项目", region=world.jinan_building.region, industry="building", owner=world.gc_b, general_contractor=world.gc_a,
        contract_amount=Decimal("5000000"), labour_cost_ratio=Decimal("0.2"), started_on=D(2026, 1, 1), planned_end=D(2027, 1, 1))
    proposal = registry_services.project_propose(actor=world.users["gc_a_admin"], data=data)
    rollup.rebuild()
    assert not ProjectMonth.objects.filter(project_id=proposal.pk).exists()
    registry_services.project_accept(actor=world.users["housing_lixia"], project=proposal)
    rollup.refresh([proposal.pk])
    assert ProjectMonth.objects.filter(project_id=proposal.pk).exists()
    client.force_login(world.users["pboc_province"])
    assert client.get("/stats/projects/", {"measure": "complaints"}).status_code == 404
    page = client.get("/stats/", {"indicator": "complaints"}).content.decode()
    assert 'value="complaints"' not in page and "measure=complaints" not in page
    client.force_login(world.users["housing_jinan"])
    assert client.get("/stats/reports/").status_code == 200 and not selectors.reports(user=world.users["housing_jinan"]).exists()
