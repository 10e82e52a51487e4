"""Console pages: sign-in, project list filters, project and worker pages (masked), reveal, language."""
import pytest
from django.test import Client

from wageguard.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_login_page_is_chinese_by_default_and_signs_in(world, client):
    page = client.get("/login/").content.decode()
    assert "登录" in page and 'lang="zh-hans"' in page
    response = client.post("/login/", {"username": "u-hrss-prov", "password": "pw"})
    assert response.status_code == 302
    assert "辖区内项目" in client.get("/").content.decode()


def test_english_through_i18n(world):
    client = _client(world.users["hrss_province"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Projects in my scope" in client.get("/").content.decode()


def test_project_list_filters_and_pages(world):
    client = _client(world.users["hrss_province"])
    page = client.get("/projects/?industry=transport").content.decode()
    assert world.jinan_transport.name in page and world.jinan_building.name not in page
    page = client.get("/projects/?region=370200").content.decode()
    assert world.qingdao_building.name in page and world.jinan_building.name not in page
    page = client.get(f"/projects/?q={world.jinan_building.code}").content.decode()
    assert world.jinan_building.name in page and world.qingdao_building.name not in page


def test_project_page_shows_participants_teams_roster_with_contract_status(world):
    client = _client(world.users["housing_jinan"])
    page = client.get(f"/projects/{world.jinan_building.pk}/").content.decode()
    assert world.gc_a.name in page and world.sub_a.name in page
    assert world.gc_a_worker_emp.worker.name in page
    assert world.gc_a_worker_emp.worker.id_number not in page
    assert world.gc_a_worker_emp.worker.id_number_masked in page
    assert "已签" in page


def test_worker_page_is_masked_and_reveal_is_audited(world):
    worker = world.gc_a_worker_emp.worker
    client = _client(world.users["gc_a_admin"])
    page = client.get(f"/workers/{worker.pk}/").content.decode()
    assert worker.id_number not in page and worker.id_number_masked in page and "查看明文" in page
    response = client.post(f"/workers/{worker.pk}/reveal/id_number/")
    assert response.content.decode().strip() == worker.id_number
    assert AuditEntry.objects.filter(action="registry.worker_reveal", actor=world.users["gc_a_admin"]).exists()
    other = _client(world.users["housing_jinan"])  # in scope, but without the permission
    assert "查看明文" not in other.get(f"/workers/{worker.pk}/").content.decode()
    assert other.post(f"/workers/{worker.pk}/reveal/id_number/").status_code == 403


def test_worker_sees_only_themselves_on_a_phone_page(world):
    client = _client(world.users["worker"])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == f"/workers/{world.sub_worker_emp.worker_id}/"
    page = client.get(response["Location"]).content.decode()
    assert 'name="viewport"' in page and world.sub_worker_emp.worker.name in page


def test_onboarding_through_the_console(world):
    from tests.factories import project

    p = project(county="370102", industry="building", gc=world.gc_a, onboard=False)
    client = _client(world.users["housing_lixia"])
    assert p.name in client.get("/projects/todo/").content.decode()
    for participation in p.participations.all():
        client.post(f"/participations/{participation.pk}/review/", {"decision": "approve"})
    response = client.post(f"/projects/{p.pk}/onboard/", follow=True)
    assert "项目已纳入平台监管" in response.content.decode()
    p.refresh_from_db()
    assert p.onboarded_at is not None


def test_returning_without_a_reason_shows_a_chinese_error(world):
    from tests.factories import project

    p = project(county="370102", industry="building", gc=world.gc_a, onboard=False)
    client = _client(world.users["housing_lixia"])
    participation = p.participations.first()
    response = client.post(f"/participations/{participation.pk}/review/", {"decision": "return", "reason": ""}, follow=True)
    assert "退回须填写理由" in response.content.decode()


def test_platform_admin_reaches_django_admin(world):
    client = _client(world.users["platform_admin"])
    assert client.get("/admin/").status_code == 200
    assert _client(world.users["hrss_province"]).get("/admin/").status_code == 302


def test_console_stays_chinese_on_an_english_browser_but_the_api_follows_the_request(world):
    client = _client(world.users["hrss_province"])
    assert "辖区内项目" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    from tests.factories import reader_payload

    gc = _client(world.users["gc_a_admin"])
    body = {"payload": reader_payload(valid_until="20200101"), "project_code": world.jinan_building.code}
    english = gc.post("/api/v1/workers/id-card-readings", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    chinese = gc.post("/api/v1/workers/id-card-readings", body, content_type="application/json")
    assert "expired" in english.json()["detail"] and "过期" in chinese.json()["detail"]


def test_an_official_files_a_project_registering_new_enterprises(world):
    import random

    from wageguard.core.models import Region
    from wageguard.registry.models import Enterprise, Project
    from wageguard.simulate.generator import make_uscc

    client = _client(world.users["housing_lixia"])
    owner, contractor = make_uscc(random.Random(5), "370102"), make_uscc(random.Random(6), "370102")
    form = {"name": "历下区新建学校", "region": Region.objects.get(code="370102").pk, "industry": "building",
            "owner_uscc": owner, "owner_name": "济南某置业有限公司", "contractor_uscc": contractor, "contractor_name": "",
            "contract_amount": "25000000", "labour_cost_ratio": "0.25", "status": "under_construction", "is_qualifying": "on"}
    page = client.post("/projects/new/", form).content.decode()
    assert "该企业尚未登记，请填写企业名称以便登记。" in page  # contractor unknown and no name: shown on its field
    assert not Project.objects.filter(name="历下区新建学校").exists()
    assert not Enterprise.objects.filter(uscc=owner).exists()  # nothing half-written
    form["contractor_name"] = "济南某建设集团有限公司"
    response = client.post("/projects/new/", form)
    project = Project.objects.get(name="历下区新建学校")
    assert response.status_code == 302 and project.filing_status == "filed" and project.general_contractor.uscc == contractor


def test_a_general_contractor_proposes_and_a_subcontractor_is_added_and_a_worker_exits(world):
    from wageguard.core.models import Region
    from wageguard.registry.models import Employment, Project

    client = _client(world.users["gc_a_admin"])
    form = {"name": "总包申报项目", "region": Region.objects.get(code="370102").pk, "industry": "building",
            "owner_uscc": world.gc_b.uscc, "owner_name": "", "contractor_uscc": world.gc_a.uscc, "contractor_name": "",
            "contract_amount": "9000000", "labour_cost_ratio": "0.2", "status": "under_construction"}
    client.post("/projects/new/", form)
    assert Project.objects.get(name="总包申报项目").filing_status == "proposed"
    client.post(f"/projects/{world.jinan_building.pk}/participations/",
                {"uscc": world.gc_b.uscc, "name": "", "role": "subcontractor"})
    assert world.jinan_building.participations.filter(enterprise=world.gc_b, role="subcontractor").exists()
    client.post(f"/employments/{world.gc_a_worker_emp.pk}/exit/", {"exited_on": "2026-10-31"})
    assert str(Employment.objects.get(pk=world.gc_a_worker_emp.pk).exited_on) == "2026-10-31"
    # a subcontractor cannot record exits of the contractor's workers
    sub = _client(world.users["sub_a_admin"])
    assert sub.post(f"/employments/{world.gc_a_worker_emp.pk}/exit/", {"exited_on": "2026-11-01"}).status_code == 404
