"""Days the attendance rules do not judge: public holidays (the official calendar, provisional beyond it) and a
project's declared shutdown — who may declare one, and when; a silence, a week's update rate, a ghost worker
and a sender's silence across them."""
import datetime

import pytest
from django.utils import timezone

from tests.factories import Machine, api_client, punch
from tests.test_alerts import attend, run
from wageguard.alerts.models import Alert
from wageguard.core import clock, workdays
from wageguard.core.errors import PermissionDenied, ServiceError
from wageguard.registry import services as registry_services
from wageguard.registry.models import ProjectShutdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(world):
    return Machine(*api_client(project_codes=[world.jinan_building.code, world.jinan_transport.code, world.qingdao_building.code]))


def _at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


def declare(world, first: str, last: str, *, by="gc_a_admin", on="2026-06-01T09:00:00", project=None):
    with clock.travel(_at(on)):
        return registry_services.shutdown_declare(actor=world.users[by], project=project or world.jinan_building, starts_on=first,
                                                  ends_on=last, reason="spring_festival", note="春节停工")


def crew_attends(world, gate, days):
    attend(gate, world.gc_a_worker_emp, days)
    attend(gate, world.sub_worker_emp, days)


def june_silences(world):
    return list(Alert.objects.filter(rule="no_attendance", project=world.jinan_building, period__startswith="2026-06")
                .exclude(subject_id__endswith="update-rate").values_list("period", flat=True))


# ---------------------------------------------------------------- the calendar


def test_public_holidays_from_the_official_calendar_and_provisionally_beyond_it():
    assert workdays.public_holiday(datetime.date(2026, 10, 1)) == "National Day"
    assert workdays.public_holiday(datetime.date(2026, 6, 19)) == "Dragon Boat Festival"
    assert workdays.public_holiday(datetime.date(2026, 2, 28)) == ""  # a working Saturday (调休)
    assert workdays.public_holiday(datetime.date(2026, 3, 7)) == ""   # an ordinary weekend is no holiday
    assert workdays.spring_festival(2026) == datetime.date(2026, 2, 15)
    # beyond the official calendar: the lunar new year of any year, its eve the first day off
    assert workdays.spring_festival(2027) == datetime.date(2027, 2, 5)
    assert workdays.spring_festival(2028) == datetime.date(2028, 1, 25)
    assert workdays.public_holiday(datetime.date(2027, 2, 7)) == "Spring Festival"
    assert workdays.is_working_day(datetime.date(2027, 2, 8)) == (False, False)  # a Monday off, provisional


# ---------------------------------------------------------------- declaring a shutdown


def test_the_general_contractor_declares_ahead_and_nobody_else_of_the_enterprises(world):
    shutdown = declare(world, "2026-06-10", "2026-06-14")
    assert (shutdown.project, shutdown.declared_by) == (world.jinan_building, world.users["gc_a_admin"])
    for rival in ("gc_b_admin", "sub_a_admin", "bank_operator", "worker", "housing_qingdao", "pboc_province"):
        with pytest.raises(PermissionDenied):
            declare(world, "2026-07-10", "2026-07-14", by=rival)
    assert ProjectShutdown.objects.count() == 1


def test_a_silence_cannot_be_declared_away_afterwards_but_the_department_may_record_past_days(world):
    with pytest.raises(ServiceError) as refused:
        declare(world, "2026-06-10", "2026-06-14", on="2026-06-12T09:00:00")
    assert refused.value.field == "starts_on"
    with pytest.raises(ServiceError):
        declare(world, "2026-06-01", "2026-06-03", on="2026-06-01T09:00:00")  # the first day is today: too late too
    declare(world, "2026-06-10", "2026-06-14", by="housing_lixia", on="2026-06-12T09:00:00")
    assert ProjectShutdown.objects.get().declared_by == world.users["housing_lixia"]


@pytest.mark.parametrize("first,last,field", [("2026-06-14", "2026-06-10", "ends_on"), ("2026-06-10", "2026-09-30", "ends_on"),
                                              ("2026-06-12", "2026-06-20", "starts_on"), ("2026-13-01", "2026-06-20", "starts_on")])
def test_a_bad_declaration_names_its_field_and_keeps_what_is_stored(world, first, last, field):
    declare(world, "2026-06-10", "2026-06-14")
    with pytest.raises(ServiceError) as refused:
        declare(world, first, last)
    assert refused.value.field == field
    assert list(ProjectShutdown.objects.values_list("starts_on", "ends_on")) == [(datetime.date(2026, 6, 10), datetime.date(2026, 6, 14))]


# ---------------------------------------------------------------- the rules across days off


def test_a_holiday_without_punches_is_no_silence(world, gate):
    crew_attends(world, gate, [d for d in range(1, 27) if d not in (19, 20, 21)])  # the Dragon Boat Festival: 19-21 June
    run("no_attendance", today=datetime.date(2026, 6, 28))
    assert june_silences(world) == []


def test_a_declared_shutdown_is_no_silence_but_the_same_days_undeclared_are(world, gate):
    crew_attends(world, gate, [1, 2, 3, 4, 5, 6, 7, 8, 9])
    run("no_attendance", today=datetime.date(2026, 6, 14))
    assert june_silences(world) == ["2026-06-10"]
    assert Alert.objects.get(rule="no_attendance", period="2026-06-10").status == "open"
    declare(world, "2026-06-10", "2026-06-16", by="housing_lixia", on="2026-06-14T09:00:00")  # recorded by the department
    assert run("no_attendance", today=datetime.date(2026, 6, 14)).resolved == 1
    assert Alert.objects.get(rule="no_attendance", period="2026-06-10").status == "resolved"


def test_a_day_off_neither_extends_a_silent_run_nor_ends_it(world, gate):
    declare(world, "2026-06-09", "2026-06-12")
    crew_attends(world, gate, [1, 2, 3, 4, 5, 6, 7, 13, 16, 17])  # silent: the 8th, (shutdown), the 14th, 15th
    run("no_attendance", today=datetime.date(2026, 6, 20))
    assert june_silences(world) == []  # one day, then two: no run of three


def test_a_run_across_a_shutdown_counts_the_days_on_either_side(world, gate):
    declare(world, "2026-06-09", "2026-06-12")
    crew_attends(world, gate, [1, 2, 3, 4, 5, 6, 7, 15, 16, 17])  # silent: the 8th, (shutdown), the 13th, 14th
    run("no_attendance", today=datetime.date(2026, 6, 20))
    alert = Alert.objects.get(rule="no_attendance", project=world.jinan_building, period="2026-06-08")
    assert (alert.facts["from"], alert.facts["to"], alert.facts["days"]) == ("2026-06-08", "2026-06-14", 3)


def test_a_week_all_shut_down_is_not_judged_for_its_update_rate(world, gate):
    from tests.factories import employ

    crew = [world.gc_a_worker_emp, world.sub_worker_emp] + [
        employ(world.jinan_building, world.gc_a, birth=datetime.date(1975 + n, 4, 4)) for n in range(3)]
    for employment in crew:
        attend(gate, employment, [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 18, 19, 20, 21])
    declare(world, "2026-06-08", "2026-06-14")
    run("no_attendance", today=datetime.date(2026, 6, 24))
    assert not Alert.objects.filter(rule="no_attendance", subject_id=f"{world.jinan_building.pk}:update-rate").exclude(
        period__lt="2026-06").exists()


def test_a_ghost_worker_counts_only_the_days_the_site_worked(world, gate):
    from tests.test_alerts import ledger
    from tests.factories import employ

    def monthly(entered_on):
        employment = employ(world.jinan_building, world.gc_a, entered_on=entered_on, contract=False, birth=datetime.date(1985, 1, entered_on.day))
        registry_services.contract_attach(actor=world.users["platform_admin"], employment=employment, signed_on=entered_on,
                                          wage_basis="monthly", wage_rate="6000", pay_day=15)
        return employment

    new_hire = monthly(datetime.date(2026, 6, 25))  # on the roster 25-30 June, never seen
    ledger(world)
    assert run("ghost_worker").raised == 1
    declare(world, "2026-06-26", "2026-06-29")  # then only the 25th and the 30th were working days
    assert run("ghost_worker").resolved == 1
    assert Alert.objects.get(rule="ghost_worker").worker == new_hire.worker


def test_a_gate_system_whose_sites_are_all_shut_down_owes_nothing_until_they_reopen(world):
    lixia_gate = Machine(*api_client(project_codes=[world.jinan_building.code]))
    with clock.travel(_at("2026-06-01T20:00:00")):
        lixia_gate.signer.clock = clock.now().timestamp
        response = lixia_gate.post("/api/v1/attendance/batches", {"batch_id": "evening", "records": [
            punch(world.gc_a_worker_emp, at="2026-06-01T19:00:00+08:00", record_id="evening")]})
        assert response.status_code == 200
    declare(world, "2026-06-02", "2026-06-10", on="2026-05-20T09:00:00")
    with clock.travel(_at("2026-06-09T09:00:00")):
        assert run("late_data", today=clock.localdate()).raised == 0
    with clock.travel(_at("2026-06-13T09:00:00")):
        assert run("late_data", today=clock.localdate()).raised == 1
    assert Alert.objects.get(rule="late_data").period == "2026-06-11"  # the first day whose data it owed


def test_the_project_page_shows_the_shutdowns_and_lets_the_general_contractor_declare_one(world, client):
    from django.urls import reverse

    client.force_login(world.users["gc_a_admin"])
    with clock.travel(_at("2026-06-01T09:00:00")):
        response = client.post(reverse("shutdown_declare", args=[world.jinan_building.pk]),
                               {"starts_on": "2026-06-10", "ends_on": "2026-06-14", "reason": "weather", "note": "暴雨"})
        assert response.status_code == 302
        page = client.get(reverse("project_detail", args=[world.jinan_building.pk])).content.decode()
        assert "2026-06-10" in page and "暴雨" in page
        late = client.post(reverse("shutdown_declare", args=[world.jinan_building.pk]),
                           {"starts_on": "2026-05-20", "ends_on": "2026-05-25", "reason": "weather"}, follow=True)
    assert ProjectShutdown.objects.count() == 1 and "提前" in late.content.decode()


# ---------------------------------------------------------------- what a contractor cannot do with a declaration


def test_a_gate_gone_silent_cannot_be_declared_away_nor_the_years_to_come(world):
    with pytest.raises(ServiceError) as near:
        declare(world, "2026-06-03", "2026-06-20", on="2026-06-01T09:00:00")  # fewer days ahead than a silence takes
    with pytest.raises(ServiceError) as far:
        declare(world, "2026-08-15", "2026-08-20", on="2026-06-01T09:00:00")  # more than 60 days ahead
    assert (near.value.field, near.value.code, far.value.code) == ("starts_on", "too_late", "too_early")
    declare(world, "2026-06-04", "2026-06-10", on="2026-06-01T09:00:00")  # three days ahead: in time


def test_the_contractor_declares_at_most_92_days_a_year_and_the_department_records_the_rest(world):
    declare(world, "2026-06-10", "2026-08-31", on="2026-06-01T09:00:00")  # 83 days
    with pytest.raises(ServiceError) as refused:
        declare(world, "2026-09-01", "2026-09-10", on="2026-07-15T09:00:00")  # 10 more: 93
    assert refused.value.code == "too_long"
    declare(world, "2026-09-01", "2026-09-09", on="2026-07-15T09:00:00")  # 92
    declare(world, "2026-09-20", "2026-09-30", by="housing_lixia", on="2026-09-25T09:00:00")
    with pytest.raises(ServiceError):
        declare(world, "2026-08-01", "2026-08-05", by="housing_lixia", on="2026-09-25T09:00:00")  # overlaps, and too far back


def test_the_department_records_past_days_within_a_month_only(world):
    with pytest.raises(ServiceError) as refused:
        declare(world, "2026-05-01", "2026-05-05", by="housing_lixia", on="2026-06-10T09:00:00")
    assert refused.value.code == "too_late"
    declare(world, "2026-05-20", "2026-05-25", by="housing_lixia", on="2026-06-10T09:00:00")


def test_a_completed_project_declares_nothing(world):
    from wageguard.registry.models import Project

    Project.objects.filter(pk=world.jinan_building.pk).update(status="completed")
    world.jinan_building.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        declare(world, "2026-06-10", "2026-06-14")
    assert refused.value.field == "project"


def test_a_shutdown_declared_while_the_site_works_hides_no_ghost(world, gate):
    from tests.factories import employ
    from tests.test_alerts import ledger

    employment = employ(world.jinan_building, world.gc_a, entered_on=datetime.date(2026, 6, 25), contract=False, birth=datetime.date(1984, 2, 2))
    registry_services.contract_attach(actor=world.users["platform_admin"], employment=employment, signed_on=datetime.date(2026, 6, 25),
                                      wage_basis="monthly", wage_rate="6000", pay_day=15)
    declare(world, "2026-06-26", "2026-06-29")
    attend(gate, world.gc_a_worker_emp, [25, 26, 27, 28, 29, 30])  # the site works on: only the new hire is never seen
    ledger(world)
    assert run("ghost_worker").raised == 1
    assert Alert.objects.get(rule="ghost_worker").worker == employment.worker


def test_after_days_off_a_gate_system_that_delivers_in_time_is_not_silent(world):
    lixia_gate = Machine(*api_client(project_codes=[world.jinan_building.code]))

    def deliver(at: str, punched: str, batch_id: str):
        with clock.travel(_at(at)):
            lixia_gate.signer.clock = clock.now().timestamp
            assert lixia_gate.post("/api/v1/attendance/batches", {"batch_id": batch_id, "records": [
                punch(world.gc_a_worker_emp, at=f"{punched}+08:00", record_id=batch_id)]}).status_code == 200

    declare(world, "2026-06-02", "2026-06-10", on="2026-05-20T09:00:00")
    deliver("2026-06-01T20:00:00", "2026-06-01T19:00:00", "before")
    deliver("2026-06-12T20:00:00", "2026-06-11T07:30:00", "after")  # the 11th's punches, on the 12th: in time
    with clock.travel(_at("2026-06-13T09:00:00")):
        assert run("late_data", today=clock.localdate()).raised == 0


def test_an_event_that_touched_no_project_is_dropped(world, django_capture_on_commit_callbacks):
    from wageguard.core import events

    calls = []
    events.subscribe(recorder := lambda event, projects, periods, now=False: calls.append((event, projects)))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.emit(events.ATTENDANCE_INGESTED, project_ids=set(), periods={"2026-06"})
            events.emit(events.ATTENDANCE_INGESTED, project_ids={world.jinan_building.pk})
    finally:
        events._subscribers.remove(recorder)
    assert calls == [(events.ATTENDANCE_INGESTED, [world.jinan_building.pk])]
