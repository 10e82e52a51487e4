"""Schemathesis over the attendance endpoints: whatever a sender puts in a signed request, never a 500,
and every refusal in the one error shape."""
import json
from urllib.parse import urlencode

import pytest
import schemathesis
from schemathesis.core import NOT_SET
from hypothesis import HealthCheck, settings

from wageguard.api import api
from tests.factories import Machine, api_client

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
attendance = schema.include(tag="attendance")


def _send_signed(machine, case):
    """The case's request, signed by the machine's client over the exact bytes sent."""
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, (bytes, bytearray)):
        body = bytes(case.body)
    else:
        body = json.dumps(case.body, ensure_ascii=False, default=str).encode()
    query = urlencode(case.query or {}, doseq=True)
    path = case.formatted_path
    response = machine.http.generic(case.method, path + (f"?{query}" if query else ""), body,
                                    content_type=case.media_type or "application/json",
                                    headers=machine.signer.headers(case.method, path, query, body))
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        error = response.json()
        assert {"error", "detail"} <= set(error) and set(error) <= {"error", "detail", "field"}
    return response


@pytest.fixture
def gate(world):
    client, secret = api_client(project_codes=[world.jinan_building.code])
    return Machine(client, secret)


@pytest.fixture
def bank(world):
    return Machine(*api_client(kind="bank", bank_code="ICBC"))


bank_feed = schema.include(tag="bank feed")


@pytest.mark.django_db
@attendance.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_attendance_endpoints_never_answer_500(case, gate):
    _send_signed(gate, case)


@pytest.mark.django_db
@bank_feed.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_bank_feed_endpoints_never_answer_500(case, bank):
    _send_signed(bank, case)
