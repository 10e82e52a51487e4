"""The signed machine API: every refusal reason, scope, and the documented worked example."""
import time

import pytest

from wageguard.core import clock
from wageguard.exchange import signing
from wageguard.exchange.services import apiclient_rotate, apiclient_set_active
from tests.factories import Machine, api_client, punch

pytestmark = pytest.mark.django_db

PATH = "/api/v1/attendance/batches"


@pytest.fixture
def gate(world):
    client, secret = api_client(project_codes=[world.jinan_building.code])
    return Machine(client, secret)


def _batch(world, n=1):
    return {"batch_id": f"b-{time.time_ns()}", "records": [punch(world.gc_a_worker_emp) for _ in range(n)]}


def test_a_correctly_signed_request_is_accepted(world, gate):
    response = gate.post(PATH, _batch(world))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "applied"


@pytest.mark.parametrize("change,code", [
    ({signing.HEADER_KEY: "wg_unknown"}, "unknown_key"),
    ({signing.HEADER_SIGNATURE: "0" * 64}, "bad_signature"),
])
def test_wrong_key_or_signature(world, gate, change, code):
    response = gate.post(PATH, _batch(world), headers=change)
    assert response.status_code == 401 and response.json()["error"] == code


def test_wrong_secret(world, gate):
    gate.signer.secret = "not-the-secret"
    response = gate.post(PATH, _batch(world))
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_tampered_body(world, gate):
    payload = _batch(world)
    body = __import__("json").dumps(payload).encode()
    headers = gate.signer.headers("POST", PATH, "", body)
    tampered = body.replace(b"GATE-1", b"GATE-2")
    response = gate.http.post(PATH, tampered, content_type="application/json", headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"


def test_clock_skew(world, gate):
    gate.signer.clock = lambda: clock.now().timestamp() - 301
    response = gate.post(PATH, _batch(world))
    assert response.status_code == 401 and response.json() == {
        "error": "clock_skew", "detail": response.json()["detail"], "field": "X-WG-Timestamp"}
    gate.signer.clock = lambda: clock.now().timestamp() - 290
    assert gate.post(PATH, _batch(world)).status_code == 200


def test_reused_nonce(world, gate):
    payload = _batch(world)
    body = __import__("json").dumps(payload).encode()
    headers = gate.signer.headers("POST", PATH, "", body, nonce="n" * 20)
    first = gate.http.post(PATH, body, content_type="application/json", headers=headers)
    second = gate.http.post(PATH, body, content_type="application/json", headers=headers)
    assert first.status_code == 200
    assert second.status_code == 401 and second.json()["error"] == "nonce_reused"


def test_disabled_client_and_rotation(world, gate):
    from tests.factories import system_admin

    apiclient_set_active(actor=system_admin(), client=gate.client, active=False)
    response = gate.post(PATH, _batch(world))
    assert response.status_code == 401 and response.json()["error"] == "client_disabled"
    apiclient_set_active(actor=system_admin(), client=gate.client, active=True)
    new_secret = apiclient_rotate(actor=system_admin(), client=gate.client)
    assert gate.post(PATH, _batch(world)).json()["error"] == "bad_signature"  # old secret no longer works
    gate.signer.secret = new_secret
    assert gate.post(PATH, _batch(world)).status_code == 200


def test_out_of_scope_project_is_403(world, gate):
    payload = {"batch_id": "x1", "records": [punch(world.qingdao_emp)]}
    response = gate.post(PATH, payload)
    assert response.status_code == 403 and response.json()["error"] == "out_of_scope"
    assert response.json()["field"] == "records[0].project_code"


def test_missing_headers_name_the_header(world, gate):
    response = gate.http.post(PATH, b"{}", content_type="application/json")
    assert response.status_code == 401 and response.json() == {
        "error": "missing_header", "detail": "header X-WG-Key is required", "field": "X-WG-Key"}


def test_query_string_is_signed_sorted_as_sent():
    assert signing.sorted_query("b=2&a=%E4%B8%AD&c=") == "a=%E4%B8%AD&b=2&c="
    assert signing.sorted_query("") == ""


def test_documented_worked_example():
    """The example in docs/api.md: if this changes, vendors' implementations break."""
    canonical = signing.canonical("POST", "/api/v1/attendance/batches", "", "1764000000", "0123456789abcdef0123",
                                  b'{"batch_id":"demo-1","records":[]}')
    assert canonical.split("\n")[:5] == ["POST", "/api/v1/attendance/batches", "", "1764000000", "0123456789abcdef0123"]
    signature = signing.sign("demo-secret", "POST", "/api/v1/attendance/batches", "", "1764000000",
                             "0123456789abcdef0123", b'{"batch_id":"demo-1","records":[]}')
    assert signature == EXAMPLE_SIGNATURE
    assert canonical.split("\n")[5] == EXAMPLE_BODY_SM3


EXAMPLE_BODY_SM3 = "6994ccd0b6533327d58dc7a4c0a99fefa0a633ed449ef31ea55225ce1b93d79c"
EXAMPLE_SIGNATURE = "6665b3fd70ea861b8d89f3bea5078c5bfb5506ff40536a209271c4f7ed4960a3"


def test_apiclient_create_command_prints_one_json_object(world, capsys):
    import json

    from django.core.management import call_command

    call_command("apiclient_create", "--kind", "gate_system", "--project", world.jinan_building.code)
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"key_id", "secret"} and printed["key_id"].startswith("wg_")
    from wageguard.exchange.models import ApiClient

    stored = ApiClient.objects.get(key_id=printed["key_id"])
    assert stored.secret == printed["secret"] and list(stored.projects.all()) == [world.jinan_building]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM exchange_apiclient WHERE key_id = %s", [printed["key_id"]])
        assert printed["secret"] not in cursor.fetchone()[0]


def test_sm3_matches_the_standards_test_vector():
    # GB/T 32905-2016, example 1: SM3("abc").
    assert signing.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


# ---------------------------------------------------------------- console pages for API clients

def _login(world, role):
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(world.users[role])
    return browser


def test_console_creates_a_client_and_shows_the_secret_once(world):
    from wageguard.exchange.models import ApiClient

    admin = _login(world, "platform_admin")
    response = admin.post("/api-clients/", {"kind": "gate_system", "name": "闸机厂商",
                                             "project": f"{world.jinan_building.code}, {world.jinan_transport.code}"})
    assert response.status_code == 200
    client = ApiClient.objects.get(name="闸机厂商")
    secret = response.context["secret"]
    assert secret in response.content.decode() and response["Cache-Control"].startswith("max-age=0")
    assert client.secret == secret and client.projects.count() == 2
    listing = admin.get("/api-clients/").content.decode()
    assert client.key_id in listing and secret not in listing
    # The new client can sign at once.
    assert Machine(client, secret).post(PATH, _batch(world)).status_code == 200


def test_console_names_the_field_of_a_refusal(world):
    response = _login(world, "platform_admin").post("/api-clients/", {"kind": "gate_system", "project": "NOPE-1"})
    assert response.status_code == 200
    assert "NOPE-1" in " ".join(response.context["form"].errors["project"])


def test_console_rotates_and_disables(world, gate):
    admin = _login(world, "platform_admin")
    response = admin.post(f"/api-clients/{gate.client.pk}/rotate/")
    new_secret = response.context["secret"]
    assert gate.post(PATH, _batch(world)).json()["error"] == "bad_signature"
    gate.signer.secret = new_secret
    assert gate.post(PATH, _batch(world)).status_code == 200
    admin.post(f"/api-clients/{gate.client.pk}/active/", {"active": "0"})
    assert gate.post(PATH, _batch(world)).json()["error"] == "client_disabled"
    admin.post(f"/api-clients/{gate.client.pk}/active/", {"active": "1"})
    assert gate.post(PATH, _batch(world)).status_code == 200


@pytest.mark.parametrize("role", ["hrss_province", "gc_a_admin", "bank_operator", "worker"])
def test_only_platform_admins_see_api_clients(world, gate, role):
    browser = _login(world, role)
    assert browser.get("/api-clients/").status_code == 404
    assert browser.post(f"/api-clients/{gate.client.pk}/rotate/").status_code == 404
    assert browser.post(f"/api-clients/{gate.client.pk}/active/", {"active": "0"}).status_code == 404
    gate.client.refresh_from_db()
    assert gate.client.active
