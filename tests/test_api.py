"""The enterprise API: register from a reader, entry/exit, contracts, roster; one error shape."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wageguard.registry.models import Worker
from tests.factories import reader_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def gc_client(world):
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    return client


def test_openapi_document_lists_the_endpoints(client, gc_client):
    assert client.get("/api/openapi.json").status_code == 302  # for signed-in people only
    response = gc_client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/workers/id-card-readings", "/api/v1/projects/{code}/employments",
                 "/api/v1/employments/{employment_id}/exit", "/api/v1/employments/{employment_id}/contracts",
                 "/api/v1/projects/{code}/roster"):
        assert path in paths


def test_register_enter_contract_exit_and_roster(world, gc_client):
    payload = reader_payload()
    response = gc_client.post("/api/v1/workers/id-card-readings", {"payload": payload, "device_id": "R-1", "project_code": world.jinan_building.code},
                              content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["id_number_masked"] == payload["id_number"][:6] + "********" + payload["id_number"][-4:]
    project = world.jinan_building
    response = gc_client.post(f"/api/v1/projects/{project.code}/employments",
                              {"id_number": payload["id_number"], "enterprise_uscc": world.gc_a.uscc, "trade": "电工",
                               "entered_on": "2026-05-01", "team": "水电班"}, content_type="application/json")
    assert response.status_code == 201, response.content
    employment_id = response.json()["employment_id"]
    pdf = SimpleUploadedFile("contract.pdf", b"%PDF-1.7 test", content_type="application/pdf")
    response = gc_client.post(f"/api/v1/employments/{employment_id}/contracts",
                              {"signed_on": "2026-05-01", "wage_basis": "daily", "wage_rate": "320", "pay_day": "15", "file": pdf})
    assert response.status_code == 201, response.content
    assert response.json()["file_type"] == "application/pdf"
    response = gc_client.post(f"/api/v1/employments/{employment_id}/exit", {"exited_on": "2026-08-31"},
                              content_type="application/json")
    assert response.status_code == 200
    roster = gc_client.get(f"/api/v1/projects/{project.code}/roster").json()
    line = next(r for r in roster if r["employment_id"] == employment_id)
    assert line["team"] == "水电班" and line["has_contract"] and line["exited_on"] == "2026-08-31"
    assert "*" in line["id_number_masked"]


def test_errors_answer_one_shape_naming_the_field(world, gc_client):
    response = gc_client.post("/api/v1/workers/id-card-readings", {"payload": reader_payload(valid_until="20200101"),
                                                                    "project_code": world.jinan_building.code},
                              content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "id_card_expired", "detail": response.json()["detail"], "field": "valid_until"}
    response = gc_client.post(f"/api/v1/projects/{world.jinan_building.code}/employments",
                              {"id_number": "370102198001011234", "enterprise_uscc": world.gc_a.uscc, "trade": "电工",
                               "entered_on": "2026-05-01"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "not_registered"
    assert response.json()["field"] == "id_number"
    response = gc_client.post(f"/api/v1/projects/{world.jinan_building.code}/employments",
                              {"id_number": "x", "trade": "电工", "entered_on": "not a date"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request" and response.json()["field"]


def test_guessed_project_of_another_enterprise_is_not_found(world, gc_client):
    response = gc_client.get(f"/api/v1/projects/{world.qingdao_building.code}/roster")
    assert response.status_code == 404 and response.json() == {"error": "not_found", "detail": "not found"}
    response = gc_client.post(f"/api/v1/employments/{world.qingdao_emp.pk}/exit", {"exited_on": "2026-08-31"},
                              content_type="application/json")
    assert response.status_code == 404
    assert Worker.objects.get(pk=world.qingdao_emp.worker_id)  # untouched
