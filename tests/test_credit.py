"""Credit (issue 15): the records' workflow, the rating and its explanation, the deposit rate following the rating,
the public lists, proposals from alerts, and who may do what."""
import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wageguard.accounts import services as account_services
from wageguard.alerts import engine
from wageguard.alerts.models import Alert, AlertAction
from wageguard.core import clock
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.credit import rating, selectors, services
from wageguard.credit.models import CreditRating, CreditRecord, RecordKind, RecordStatus
from tests.factories import official

pytestmark = pytest.mark.django_db
D = datetime.date
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def at(day: datetime.date, hour: int = 10):
    return clock.travel(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


def propose(world, kind=RecordKind.BLACKLIST, *, by="hrss_jinan", enterprise=None, **kw):
    kw.setdefault("facts", "拖欠农民工工资经查属实。")
    kw.setdefault("legal_basis", "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条")
    if kind == RecordKind.ARREARS_FOUND:
        kw.setdefault("amount", Decimal("85000"))
    return services.record_propose(actor=world.users[by], kind=kind, enterprise=enterprise or world.gc_a, **kw)


def decided(world, kind=RecordKind.BLACKLIST, *, notify_on=D(2026, 6, 1), **kw):
    """A record proposed, notified and decided after its window (the window ends 5 working days after notice)."""
    hrss = world.users["hrss_jinan"]
    with at(notify_on):
        record = services.record_notify(actor=hrss, record=propose(world, kind, **kw))
    with at(record.objection_due_on + datetime.timedelta(days=1)):
        return services.record_decide(actor=hrss, record=record, decision_document="济人社失信决〔2026〕1号")


def pdf():
    return SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")


# ---------------------------------------------------------------- the workflow


def test_objection_window_of_working_days_and_a_decision_after_it(world):
    hrss, party = world.users["hrss_jinan"], world.users["gc_a_admin"]
    with at(D(2026, 9, 29)):
        record = propose(world)
    assert not selectors.record_list(user=party).exists()  # a proposal is not shown to the party before notice
    with at(D(2026, 9, 30)):  # National Day: 1-7 October 2026 off, Saturday 10 October worked
        record = services.record_notify(actor=hrss, record=record)
    assert record.objection_due_on == D(2026, 10, 13)
    assert selectors.record_list(user=party).filter(pk=record.pk).exists()
    with at(D(2026, 10, 13)):
        with pytest.raises(ServiceError) as refused:
            services.record_decide(actor=hrss, record=record, decision_document="济人社失信决〔2026〕7号")
        assert refused.value.code == "objection_window_open"
        services.record_object(actor=party, record=record, note="已于9月支付完毕，附银行回单。", attachment=pdf())
    with at(D(2026, 10, 14)):
        with pytest.raises(ServiceError) as late:
            services.record_object(actor=party, record=record, note="补充意见")
        assert late.value.code == "objection_closed"
        with pytest.raises(ServiceError) as unanswered:
            services.record_decide(actor=hrss, record=record, decision_document="济人社失信决〔2026〕7号")
        assert unanswered.value.field == "note"
        record = services.record_decide(actor=hrss, record=record, decision_document="济人社失信决〔2026〕7号",
                                        note="回单所示款项非本项目工资，异议不成立。")
    assert (record.status, record.decided_on) == (RecordStatus.DECIDED, D(2026, 10, 14))
    steps = list(record.actions.values_list("step", flat=True))
    assert steps == ["proposed", "notified", "objected", "decided"]
    assert record.actions.get(step="objected").attachment
    assert AuditEntry.objects.filter(object_type="credit.creditrecord", object_id=str(record.pk)).count() == 4


def test_the_objection_window_runs_over_the_spring_festival(world):
    with at(D(2027, 2, 4)):  # the Spring Festival holiday of 2027 (provisional: 6-12 February) is not counted
        record = services.record_notify(actor=world.users["hrss_jinan"], record=propose(world))
    assert record.objection_due_on > D(2027, 2, 12)


def test_publication_and_removal_on_its_date(world):
    record = decided(world)
    with at(D(2026, 6, 30)):
        record = services.record_publish(actor=world.users["hrss_jinan"], record=record, period_months=12)
    assert (record.published_on, record.removal_on) == (D(2026, 6, 30), D(2027, 6, 30))
    with at(D(2027, 6, 29)):
        assert list(selectors.public_records()) == [record]
        assert services.remove_expired() == 0
    with at(D(2027, 6, 30)):
        assert not selectors.public_records().exists()  # gone on the day, before the nightly removal has run
        assert services.remove_expired() == 1
    record.refresh_from_db()
    assert (record.status, record.removed_on) == (RecordStatus.REMOVED, D(2027, 6, 30))


def test_a_period_from_29_february_ends_on_28_february(world):
    record = decided(world, notify_on=D(2028, 2, 14))
    with at(D(2028, 2, 29)):
        record = services.record_publish(actor=world.users["hrss_jinan"], record=record, period_months=12)
    assert record.removal_on == D(2029, 2, 28)


def test_only_public_kinds_are_published(world):
    record = decided(world, RecordKind.ARREARS_FOUND)
    with pytest.raises(ServiceError) as refused:
        services.record_publish(actor=world.users["hrss_jinan"], record=record)
    assert refused.value.code == "not_public"


def test_credit_repair_takes_the_record_off_the_lists_and_out_of_the_rating(world):
    hrss, party = world.users["hrss_jinan"], world.users["gc_a_admin"]
    record = decided(world)
    with at(D(2026, 7, 1)):
        record = services.record_publish(actor=hrss, record=record)
        assert CreditRating.objects.get(enterprise=world.gc_a).band == "D"
        with pytest.raises(ServiceError):
            services.record_repair(actor=hrss, record=record, grant=True, note="无申请")
        services.record_repair_apply(actor=party, record=record, note="已全额清偿并整改。", attachment=pdf())
        with pytest.raises(ServiceError):
            services.record_repair_apply(actor=party, record=record, note="再次申请")
        record = services.record_repair(actor=hrss, record=record, grant=True, note="已整改，准予修复。")
        assert record.status == RecordStatus.REPAIRED
        assert not selectors.public_records().exists()
        assert CreditRating.objects.get(enterprise=world.gc_a).band == "A"


def test_removal_on_appeal_needs_its_reason(world):
    record = decided(world)
    with pytest.raises(ServiceError):
        services.record_remove(actor=world.users["hrss_jinan"], record=record, note="")
    record = services.record_remove(actor=world.users["hrss_jinan"], record=record, note="行政复议撤销（鲁人社复〔2026〕3号）")
    assert record.status == RecordStatus.REMOVED


def test_the_platform_removes_only_after_the_period(world):
    record = decided(world)
    with at(D(2026, 7, 1)):
        record = services.record_publish(actor=world.users["hrss_jinan"], record=record)
        with pytest.raises(ServiceError):
            services.record_remove(actor=None, record=record)


# ---------------------------------------------------------------- who may do what


@pytest.mark.parametrize("role,kind", [("housing_jinan", RecordKind.BLACKLIST), ("hrss_jinan", RecordKind.MARKET_BAN),
                                       ("pboc_province", RecordKind.COMMENDATION), ("gc_b_admin", RecordKind.BLACKLIST),
                                       ("worker", RecordKind.BLACKLIST), ("bank_operator", RecordKind.BLACKLIST),
                                       ("police", RecordKind.BLACKLIST)])
def test_only_the_deciding_agency_proposes(world, role, kind):
    with pytest.raises(PermissionDenied):
        propose(world, kind, by=role)
    assert not CreditRecord.objects.exists()


def test_the_industry_department_bars_from_the_market(world):
    record = propose(world, RecordKind.MARKET_BAN, by="housing_jinan")
    assert record.department.agency == "housing"


def test_another_city_may_neither_see_nor_decide(world):
    record = propose(world)
    qingdao = official("u-hrss-qd", "370200", "hrss")
    assert not selectors.record_list(user=qingdao).exists()
    with pytest.raises(PermissionDenied):
        services.record_notify(actor=qingdao, record=record)
    assert selectors.record_list(user=world.users["hrss_province"]).filter(pk=record.pk).exists()


def test_an_enterprise_or_worker_outside_the_officials_region_answers_as_unknown(world):
    qingdao_only = official("u-hrss-shinan", "370202", "hrss")
    with pytest.raises(ServiceError) as enterprise:
        services.record_propose(actor=qingdao_only, kind=RecordKind.BLACKLIST, enterprise=world.sub_a, facts="x", legal_basis="y")
    with pytest.raises(ServiceError) as unknown:
        services.record_propose(actor=qingdao_only, kind=RecordKind.BLACKLIST, enterprise=None, facts="x", legal_basis="y")
    assert (enterprise.value.code, str(enterprise.value.message)) == (unknown.value.code, str(unknown.value.message))
    with pytest.raises(ServiceError) as worker:
        services.record_propose(actor=qingdao_only, kind=RecordKind.MALICIOUS_CLAIM, worker=world.users["worker"].worker, facts="x",
                                legal_basis="y")
    assert worker.value.code == "not_found"
    assert not CreditRecord.objects.exists()


def test_a_project_named_must_involve_the_party(world):
    with pytest.raises(ServiceError) as refused:
        propose(world, enterprise=world.gc_a, project=world.qingdao_building)
    assert refused.value.field == "project_code"


def test_a_decision_is_undone_only_by_removal_with_its_reason(world):
    record = decided(world, RecordKind.ARREARS_FOUND)
    with pytest.raises(ServiceError) as refused:
        services.record_withdraw(actor=world.users["hrss_jinan"], record=record, note="撤回")
    assert refused.value.code == "illegal_transition"


def test_arrears_annulled_on_appeal_no_longer_count_but_served_ones_do(world):
    record = decided(world, RecordKind.ARREARS_FOUND)
    assert rating.standing(world.gc_a).recent_arrears
    services.record_remove(actor=world.users["hrss_jinan"], record=record, note="行政复议撤销")
    assert not rating.standing(world.gc_a).recent_arrears
    blacklisted = decided(world, RecordKind.BLACKLIST)
    with at(D(2026, 7, 1)):
        services.record_publish(actor=world.users["hrss_jinan"], record=blacklisted, period_months=1)
    with at(D(2026, 8, 1)):
        assert services.remove_expired() == 1
        assert rating.standing(world.gc_a).recent_arrears  # its period served: the arrears happened


def test_good_conduct_is_capped_and_a_record_from_an_alert_counts_once(world):
    for _n in range(4):
        decided(world, RecordKind.COMMENDATION)
    services.ratings_refresh()
    line = CreditRating.objects.get(enterprise=world.gc_a).lines[0]
    assert (line["key"], line["count"], line["points"]) == ("commendation", 2, 10)
    alert = _red_alert(world)
    _escalate(alert)
    services.proposals_from_alerts()
    record = CreditRecord.objects.get(alert=alert)
    hrss = world.users["hrss_jinan"]
    with at(D(2026, 9, 1)):
        record = services.record_notify(actor=hrss, record=record)
    with at(record.objection_due_on + datetime.timedelta(days=1)):
        services.record_decide(actor=hrss, record=record, decision_document="济人社〔2026〕5号")
        services.ratings_refresh()
    keys = [line["key"] for line in CreditRating.objects.get(enterprise=world.gc_a).lines]
    assert "major_violation" in keys and "alert_red" not in keys and "alert_overdue" not in keys


def test_pboc_sees_no_persons_record_and_attachments_are_for_the_decider_and_the_party(world, client):
    record = _published_person_record(world)
    assert not selectors.record_list(user=world.users["pboc_province"]).filter(pk=record.pk).exists()
    enterprise_record = propose(world)
    with at(D(2026, 9, 1)):
        services.record_notify(actor=world.users["hrss_jinan"], record=enterprise_record)
        objection = services.record_object(actor=world.users["gc_a_admin"], record=enterprise_record, note="异议", attachment=pdf())
    url = f"/credit/attachments/{objection.pk}"
    for role, expected in (("hrss_jinan", 200), ("gc_a_admin", 200), ("housing_jinan", 404), ("pboc_province", 404), ("gc_b_admin", 404)):
        client.force_login(world.users[role])
        assert client.get(url).status_code == expected, role


def test_a_platform_administrator_does_not_object_for_the_party(world):
    from wageguard.core import access

    with at(D(2026, 9, 1)):
        record = services.record_notify(actor=world.users["hrss_jinan"], record=propose(world))
        with pytest.raises(PermissionDenied):
            services.record_object(actor=world.users["platform_admin"], record=record, note="代为异议")
    assert access.can(world.users["platform_admin"], "credit.decide", record)


def test_a_deposit_lodged_in_full_gets_a_fresh_period_for_the_top_up(world):
    from wageguard.accounts.deposits import DepositStatus, deposit_state

    hrss = world.users["hrss_jinan"]
    with at(D(2026, 9, 21)):
        deposit = account_services.deposit_assess(actor=world.users["gc_a_admin"], project=world.jinan_building,
                                                  contract_signed_on=D(2026, 9, 21))
        account_services.deposit_movement_record(actor=hrss, deposit=deposit, kind="lodge", amount=Decimal("240000.00"), on=D(2026, 9, 21))
    decided(world, RecordKind.ARREARS_FOUND, notify_on=D(2026, 11, 2))
    deposit.refresh_from_db()
    assert deposit.required_amount == Decimal("600000.00") and deposit.due_on > D(2026, 11, 9)
    assert deposit_state(deposit, D(2026, 11, 10)).status == DepositStatus.PENDING  # not overdue the day it was raised


def test_the_party_objects_and_no_one_else(world):
    hrss = world.users["hrss_jinan"]
    with at(D(2026, 6, 1)):
        record = services.record_notify(actor=hrss, record=propose(world))
        for role in ("gc_b_admin", "sub_a_admin", "wage_officer_jb", "worker", "housing_jinan"):
            with pytest.raises(PermissionDenied):
                services.record_object(actor=world.users[role], record=record, note="异议")
        assert not selectors.record_list(user=world.users["gc_b_admin"]).exists()


def test_a_malicious_claim_is_about_a_person_and_the_worker_sees_it(world):
    worker_user = world.users["worker"]
    hrss = world.users["hrss_jinan"]
    with at(D(2026, 6, 1)):
        record = services.record_propose(actor=hrss, kind=RecordKind.MALICIOUS_CLAIM, worker=worker_user.worker,
                                         facts="以虚构欠薪为由聚众堵路。", legal_basis="《保障农民工工资支付条例》第五十二条")
        services.record_notify(actor=hrss, record=record)
    assert selectors.record_list(user=worker_user).filter(pk=record.pk).exists()
    assert record.person_id_number == worker_user.worker.id_number
    with pytest.raises(ServiceError):
        services.record_propose(actor=hrss, kind=RecordKind.MALICIOUS_CLAIM, enterprise=world.gc_a, facts="x", legal_basis="y")


def test_console_pages_by_role(world, client):
    record = decided(world)
    pages = ["/credit/", f"/credit/records/{record.pk}/", f"/credit/ratings/{world.gc_a.pk}/", "/credit/ratings/"]
    anonymous = Client()
    for url in pages:
        assert anonymous.get(url).status_code == 302  # to the sign-in page
    for role, expected in (("hrss_jinan", 200), ("gc_a_admin", 200), ("gc_b_admin", 404), ("police", 404), ("bank_operator", 404)):
        client.force_login(world.users[role])
        got = [client.get(url).status_code for url in pages[1:3]]
        assert got == [expected, expected], role


# ---------------------------------------------------------------- the rating


def _red_alert(world, day=D(2026, 7, 3)):
    """A red alert on GC A's project, through the engine: a ledger line paying 20 days to a worker never seen at the gate."""
    from wageguard.payroll import services as payroll_services

    with at(day):
        payroll = payroll_services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.gc_a, month="2026-06")
        payroll_services.line_adjust(actor=None, line=payroll.lines.first(), days_claimed=20, reason="班组长报送")
        engine.evaluate(["pay_without_attendance"], engine.Scope.everything(), day)
    return Alert.objects.get(rule="pay_without_attendance", project=world.jinan_building)


def test_the_explanation_sums_to_the_rating(world):
    alert = _red_alert(world)
    decided(world, RecordKind.ARREARS_FOUND, amount=Decimal("85000.50"))
    with at(D(2026, 9, 1)):  # the alert is past its deadline by now, and still open
        services.ratings_refresh()
    current = CreditRating.objects.get(enterprise=world.gc_a)
    assert current.score == 100 + sum(line["points"] for line in current.lines)
    by_key = {line["key"]: line for line in current.lines}
    assert by_key["arrears_found"]["points"] == -15
    assert by_key["arrears_amount"]["points"] == -9  # 9 started tens of thousands
    assert by_key["alert_red"] == {**by_key["alert_red"], "count": 1, "points": -3, "sources": [{"type": "alert", "id": alert.pk}]}
    assert by_key["alert_overdue"]["count"] == 1
    assert (current.score, current.band) == (100 - 15 - 9 - 3 - 2, "C")
    assert CreditRating.objects.get(enterprise=world.gc_b).lines == []


def test_weights_are_regional_settings(world):
    from wageguard.core.services import regional_setting_set
    from wageguard.core.models import Region

    world.gc_a.region = Region.objects.get(code="370102")
    world.gc_a.save()
    decided(world, RecordKind.COMMENDATION)
    regional_setting_set(actor=None, key="credit.weight.commendation", region=Region.objects.get(code="370100"), value="8",
                         regulation="济南市建筑市场信用评价细则")
    services.ratings_refresh()
    line = CreditRating.objects.get(enterprise=world.gc_a).lines[0]
    assert (line["key"], line["weight"], line["points"]) == ("commendation", "8.0000", 8)


def test_a_band_change_is_audited_and_a_rating_page_explains_it(world, client):
    services.ratings_refresh()  # every enterprise rated A first
    decided(world)
    assert AuditEntry.objects.filter(action="credit.rating_changed", object_id=str(world.gc_a.pk)).exists()
    client.force_login(world.users["hrss_jinan"])
    page = client.get(f"/credit/ratings/{world.gc_a.pk}/").content.decode()
    assert str(rating.label("blacklist")) in page and "-50" in page


# ---------------------------------------------------------------- the deposit follows the rating


def test_the_deposit_rate_follows_the_credit_facts(world):
    gc = world.users["gc_a_admin"]
    project = world.jinan_building  # contract 12,000,000 yuan, the enterprise's first project started 1 January 2026
    with at(D(2026, 9, 21)):
        assert account_services.deposit_assess(actor=gc, project=project, contract_signed_on=D(2026, 9, 21)).basis == "standard"
    with at(D(2028, 3, 1)):  # two clean years on the platform
        assert account_services.deposit_assess(actor=gc, project=project, contract_signed_on=D(2028, 3, 1)).basis == "reduced_clean_two_years"
    with at(D(2029, 2, 1)):
        assert account_services.deposit_assess(actor=gc, project=project, contract_signed_on=D(2029, 2, 1)).basis == "exempt_clean_three_years"


def test_arrears_found_raise_the_deposit_at_once(world):
    with at(D(2026, 9, 21)):
        deposit = account_services.deposit_assess(actor=world.users["gc_a_admin"], project=world.jinan_building,
                                                  contract_signed_on=D(2026, 9, 21))
    assert deposit.required_amount == Decimal("240000.00")
    decided(world, RecordKind.ARREARS_FOUND, notify_on=D(2026, 10, 9))
    deposit.refresh_from_db()
    assert (deposit.basis, deposit.required_amount, deposit.recent_arrears) == ("raised_after_arrears", Decimal("600000.00"), True)
    with at(D(2029, 1, 1)):  # more than two years later the arrears no longer raise it
        assert not rating.standing(world.gc_a).recent_arrears


# ---------------------------------------------------------------- public pages


def _published_person_record(world):
    hrss = world.users["hrss_jinan"]
    with at(D(2026, 6, 1)):
        record = services.record_propose(actor=hrss, kind=RecordKind.MALICIOUS_CLAIM, worker=world.users["worker"].worker,
                                         facts="以虚构欠薪为由聚众堵路，联系电话13812345678。", legal_basis="《保障农民工工资支付条例》第五十二条")
        record = services.record_notify(actor=hrss, record=record)
    with at(D(2026, 6, 10)):
        record = services.record_decide(actor=hrss, record=record, decision_document="济人社决〔2026〕9号")
        return services.record_publish(actor=hrss, record=record, period_months=12)


def test_public_pages_show_the_decision_and_no_personal_data(world):
    person = _published_person_record(world)
    unpublished = decided(world)  # decided, not published
    propose(world, enterprise=world.gc_b)  # only proposed
    anonymous = Client()
    with at(D(2026, 7, 1)):
        pages = {url: anonymous.get(url) for url in ("/public/", f"/public/records/{person.pk}/", "/public/feed.json", "/public/feed.csv",
                                                       "/public/export.xlsx")}
        assert all(r.status_code == 200 for r in pages.values())
        assert anonymous.get(f"/public/records/{unpublished.pk}/").status_code == 404
        feed = json.loads(pages["/public/feed.json"].content)
    assert [r["id"] for r in feed["records"]] == [person.pk]
    entry = feed["records"][0]
    assert entry["party"] == person.person_name and entry["department"] and entry["legal_basis"] and entry["removal_on"] == "2027-06-10"
    id_no = person.person_id_number
    for url, response in pages.items():
        body = response.content.decode("utf-8", "replace") if not url.endswith(".xlsx") else ""
        assert id_no not in body and id_no[-6:] not in body and "13812345678" not in body, url
        assert world.gc_a.name not in body and world.gc_b.name not in body, url
    from openpyxl import load_workbook
    import io

    sheet = load_workbook(io.BytesIO(pages["/public/export.xlsx"].content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert person.person_name in cells and id_no not in cells and "13812345678" not in cells


def test_public_search_by_name_uscc_region_and_kind(world):
    hrss = world.users["hrss_jinan"]
    record = decided(world)
    with at(D(2026, 7, 1)):
        services.record_publish(actor=hrss, record=record)
        client = Client()
        for query, found in (({"q": world.gc_a.name[:6]}, True), ({"q": world.gc_a.uscc}, True), ({"q": "不存在的公司"}, False),
                             ({"region": "370100"}, True), ({"region": "370200"}, False), ({"kind": "market_ban"}, False),
                             ({"kind": "blacklist"}, True)):
            records = json.loads(client.get("/public/feed.json", query).content)["records"]
            assert bool(records) is found, query


def test_public_pages_are_rate_limited(world, settings):
    settings.WAGEGUARD_RATE_LIMITS = {**settings.WAGEGUARD_RATE_LIMITS, "anonymous": "3/m"}
    client = Client()
    codes = [client.get("/public/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


# ---------------------------------------------------------------- alerts propose, never publish


def _escalate(alert):
    with clock.travel(alert.due_at + datetime.timedelta(hours=1)):
        engine.escalate_overdue()


def test_a_red_alert_past_its_deadline_proposes_a_record(world):
    alert = _red_alert(world)
    assert services.proposals_from_alerts() == 0
    _escalate(alert)
    assert services.proposals_from_alerts() == 1
    assert services.proposals_from_alerts() == 0  # once per alert
    record = CreditRecord.objects.get(alert=alert)
    assert (record.kind, record.status, record.enterprise, record.department.agency) == ("major_violation", "proposed", world.gc_a, "hrss")
    assert record.proposed_by is None and not selectors.public_records().exists()
    assert not selectors.record_list(user=world.users["gc_a_admin"]).exists()  # the party sees it only once notified


def test_confirmed_arrears_propose_arrears_found_with_the_amount(world):
    from wageguard.alerts import services as alert_services
    from wageguard.payroll import services as payroll_services

    with at(D(2026, 7, 3)):  # June's ledger built and never paid: arrears once July has ended
        payroll = payroll_services.payroll_build(actor=None, project=world.jinan_building, enterprise=world.gc_a, month="2026-06")
        payroll_services.line_adjust(actor=None, line=payroll.lines.first(), days_claimed=20, reason="班组长报送")
    with at(D(2026, 8, 3)):
        engine.evaluate(["arrears"], engine.Scope.everything(), D(2026, 8, 3))
        arrears = Alert.objects.get(rule="arrears", project=world.jinan_building)
        assert services.proposals_from_alerts() == 0  # raised, not yet confirmed nor overdue
        alert_services.alert_resolve(actor=world.users["housing_lixia"], alert=arrears, note="经核实欠薪，已责令支付。")
        assert services.proposals_from_alerts() == 1
    record = CreditRecord.objects.get(alert=arrears)
    assert (record.kind, record.amount) == ("arrears_found", Decimal(arrears.facts["unpaid_net"]))
    assert record.amount > 0


def test_the_events_of_an_alert_refresh_the_rating(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _red_alert(world)
    assert CreditRating.objects.get(enterprise=world.gc_a).lines[0]["key"] == "alert_red"
    assert AlertAction.objects.exists()


def test_the_public_lists_are_in_chinese_whatever_the_visitor_chose(settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/public/").content.decode()
    assert "失信信息公示" in page and "Published credit lists" not in page
