"""The data-scope matrix: for every role, what the lists show and what a guessed id answers."""
import pytest
from django.test import Client

from wageguard.registry.models import Employment, Project, Worker

pytestmark = pytest.mark.django_db

# role -> names of the projects it must see (jb = 济南 building, jt = 济南 transport, qb = 青岛 building)
PROJECTS = {
    "platform_admin": {"jb", "jt", "qb"},
    "hrss_province": {"jb", "jt", "qb"},
    "hrss_jinan": {"jb", "jt"},
    "housing_jinan": {"jb"},
    "housing_lixia": {"jb"},
    "transport_jinan": {"jt"},
    "housing_qingdao": {"qb"},
    "pboc_province": {"jb", "jt", "qb"},
    "police": set(),
    "gc_a_admin": {"jb"},
    "sub_a_admin": {"jb"},
    "gc_b_admin": {"jt", "qb"},
    "wage_officer_jb": {"jb"},
    "bank_operator": set(),
    "worker": {"jb"},
}

# role -> employments whose worker's personal data it may see
WORKERS = {
    "platform_admin": {"gc_a", "sub", "qingdao"},
    "hrss_province": {"gc_a", "sub", "qingdao"},
    "hrss_jinan": {"gc_a", "sub"},
    "housing_jinan": {"gc_a", "sub"},
    "housing_qingdao": {"qingdao"},
    "transport_jinan": set(),
    "pboc_province": set(),
    "police": set(),
    "gc_a_admin": {"gc_a", "sub"},  # general contractor answers for the whole project's roster
    "sub_a_admin": {"sub"},          # a subcontractor only for its own workers
    "gc_b_admin": {"qingdao"},
    "wage_officer_jb": {"gc_a", "sub"},
    "bank_operator": set(),
    "worker": {"sub"},
}


def _projects(world):
    return {"jb": world.jinan_building, "jt": world.jinan_transport, "qb": world.qingdao_building}


def _employments(world):
    return {"gc_a": world.gc_a_worker_emp, "sub": world.sub_worker_emp, "qingdao": world.qingdao_emp}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", sorted(PROJECTS))
def test_project_list_and_guessed_detail(world, role):
    user = world.users[role]
    projects = _projects(world)
    visible = set(Project.objects.visible_to(user).values_list("pk", flat=True))
    assert visible == {projects[name].pk for name in PROJECTS[role]}
    client = _client(user)
    listing = client.get("/projects/").content.decode()
    for name, project in projects.items():
        detail = client.get(f"/projects/{project.pk}/")
        api = client.get(f"/api/v1/projects/{project.code}/roster")
        if name in PROJECTS[role]:
            assert detail.status_code == 200 and project.name in listing
            assert api.status_code == 200
        else:
            assert detail.status_code == 404, f"{role} reached {name}"
            assert api.status_code == 404 and api.json()["error"] == "not_found"
            assert project.name not in listing


@pytest.mark.parametrize("role", sorted(WORKERS))
def test_worker_personal_data_and_guessed_detail(world, role):
    user = world.users[role]
    employments = _employments(world)
    client = _client(user)
    visible_workers = set(Worker.objects.visible_to(user).values_list("pk", flat=True))
    assert {employments[n].worker_id for n in WORKERS[role]} <= visible_workers
    for name, employment in employments.items():
        response = client.get(f"/workers/{employment.worker_id}/")
        if name in WORKERS[role]:
            assert response.status_code == 200
            assert employment.worker.name in response.content.decode()
        else:
            assert response.status_code == 404, f"{role} reached worker of {name}"
            assert employment.worker_id not in visible_workers


@pytest.mark.parametrize("role", sorted(WORKERS))
def test_roster_shows_only_scoped_employments(world, role):
    user = world.users[role]
    employments = _employments(world)
    visible = set(Employment.objects.visible_to(user).values_list("pk", flat=True))
    for name, employment in employments.items():
        assert (employment.pk in visible) == (name in WORKERS[role]), f"{role} / {name}"


def test_anonymous_sees_nothing(world):
    client = Client()
    assert client.get(f"/projects/{world.jinan_building.pk}/").status_code == 302
    response = client.get(f"/api/v1/projects/{world.jinan_building.code}/roster")
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"


def test_level_of_official_follows_department_region(world):
    assert world.users["hrss_province"].level == "province"
    assert world.users["housing_jinan"].level == "city"
    assert world.users["housing_lixia"].level == "county"
