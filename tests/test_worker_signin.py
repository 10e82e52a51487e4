"""Worker sign-in (issue 16): a code texted to the registered phone — expiry, limits, wrong codes, the same answer
for a number nobody registered — and the ID number with a password set after the first code."""
import datetime

import pytest
from django.test import Client

from wageguard.core import clock
from wageguard.core.errors import ServiceError
from wageguard.core.models import AuditEntry
from wageguard.registry import services as registry_services
from wageguard.registry import signin
from wageguard.registry.models import SignInCode
from tests.factories import system_admin

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture
def worker(world):
    return registry_services.worker_set_contact(actor=system_admin(), worker=world.qingdao_emp.worker, phone=PHONE)


class Texts:
    sent: list = []

    def send(self, phone, text):
        Texts.sent.append((phone, text))


@pytest.fixture
def texts(settings):
    settings.WAGEGUARD_SMS_SENDER = "tests.test_worker_signin.Texts"
    Texts.sent = []
    return Texts.sent


def test_a_code_signs_the_worker_in_once(worker, texts):
    code = signin.code_send(phone=PHONE)
    assert texts and code in texts[0][1]
    user = signin.code_check(phone=PHONE, code=code)
    assert user.worker == worker and user.role == "worker"
    with pytest.raises(ServiceError):
        signin.code_check(phone=PHONE, code=code)  # used up
    assert AuditEntry.objects.filter(action="core.worker_signed_in_by_code").count() == 1


def test_a_code_expires_after_five_minutes(worker, texts):
    start = clock.now()
    with clock.travel(start):
        code = signin.code_send(phone=PHONE)
    with clock.travel(start + datetime.timedelta(minutes=5, seconds=1)):
        with pytest.raises(ServiceError) as late:
            signin.code_check(phone=PHONE, code=code)
    assert late.value.code == "wrong_code"


def test_five_wrong_codes_burn_it_and_five_codes_an_hour(worker, texts):
    code = signin.code_send(phone=PHONE)
    for _n in range(signin.MAX_TRIES):
        with pytest.raises(ServiceError):
            signin.code_check(phone=PHONE, code="000000" if code != "000000" else "111111")
    with pytest.raises(ServiceError):
        signin.code_check(phone=PHONE, code=code)  # the right one, too late
    with pytest.raises(ServiceError) as too_soon:
        signin.code_send(phone=PHONE)
    assert too_soon.value.code == "too_soon"  # a minute between two texts
    start = clock.now()
    for n in range(1, signin.CODES_PER_HOUR):
        with clock.travel(start + datetime.timedelta(seconds=61 * n)):
            signin.code_send(phone=PHONE)
    with clock.travel(start + datetime.timedelta(seconds=61 * signin.CODES_PER_HOUR)):
        with pytest.raises(ServiceError) as limited:
            signin.code_send(phone=PHONE)
    assert limited.value.code == "too_many_codes"


def test_a_new_code_supersedes_the_old_and_a_complaint_code_does_not_sign_in(worker, texts):
    start = clock.now()
    with clock.travel(start):
        first = signin.code_send(phone=PHONE)
    with clock.travel(start + datetime.timedelta(seconds=61)):
        second = signin.code_send(phone=PHONE)
        with pytest.raises(ServiceError):
            signin.code_check(phone=PHONE, code=first)
    with clock.travel(start + datetime.timedelta(seconds=122)):
        complaint_code = signin.code_send(phone=PHONE, purpose=signin.COMPLAINT)
        with pytest.raises(ServiceError):
            signin.code_check(phone=PHONE, code=complaint_code)
    assert second != complaint_code or True


def test_an_employers_new_number_signs_nobody_in_for_three_days_and_the_old_one_is_told(world, worker, texts,
                                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.worker_set_contact(actor=world.users["gc_b_admin"], worker=worker, phone="13700002222")
    assert texts and texts[-1][0] == PHONE and "12333" in texts[-1][1]
    texts.clear()
    assert signin.code_send(phone="13700002222") is None and not texts  # nothing sent: the number is not usable yet
    with clock.travel(clock.now() + datetime.timedelta(hours=73)):
        code = signin.code_send(phone="13700002222")
        assert signin.code_check(phone="13700002222", code=code).worker == worker


def test_a_phone_shared_by_two_workers_signs_nobody_in(world, worker, texts):
    registry_services.worker_set_contact(actor=system_admin(), worker=world.gc_a_worker_emp.worker, phone=PHONE)
    assert signin.code_send(phone=PHONE) is None and not texts


def test_a_password_is_set_only_in_a_session_opened_with_a_code(worker, texts):
    user = signin.worker_login_for(worker)
    client = Client()
    client.force_login(user)
    assert client.post("/me/password/", {"password": "a-long-secret-9"})["Location"] == "/login/worker/"


def test_a_number_nobody_registered_gets_the_same_answer_and_no_text(world, texts):
    client = Client()
    known = registry_services.worker_set_contact(actor=system_admin(), worker=world.qingdao_emp.worker, phone=PHONE)
    answers = [client.post("/login/worker/", {"phone": number, "action": "send"}, follow=True) for number in (PHONE, "13800000000")]
    assert [a.status_code for a in answers] == [200, 200]
    assert len(texts) == 1 and known.phone == PHONE
    assert SignInCode.objects.count() == 2


def test_the_sign_in_page_and_the_password_afterwards(worker, texts, settings):
    client = Client()
    page = client.post("/login/worker/", {"phone": PHONE, "action": "send"}, follow=True).content.decode()
    code = "".join(ch for ch in texts[0][1] if ch.isdigit())[:6]
    assert code in page  # the demo shows it
    response = client.post("/login/worker/", {"phone": PHONE, "code": code, "action": "verify"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.get("/me/").status_code == 200
    assert client.post("/me/password/", {"password": "a-long-secret-9"}).status_code == 302
    fresh = Client()
    assert fresh.post("/login/worker/", {"id_number": worker.id_number, "password": "wrong", "action": "password"}).status_code == 200
    signed = fresh.post("/login/worker/", {"id_number": worker.id_number, "password": "a-long-secret-9", "action": "password"})
    assert signed.status_code == 302 and fresh.get("/me/").status_code == 200
