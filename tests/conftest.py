import os

os.environ.setdefault("WAGEGUARD_ENV", "dev")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Regions and departments are reference data: loaded once per test database."""
    from django.db.models.signals import post_migrate

    from wageguard.core.services import regions_load

    with django_db_blocker.unblock():
        regions_load()
    # A transactional test (transaction=True) ends with a flush, which sends post_migrate: load them again.
    post_migrate.connect(_reload_regions_after_flush, dispatch_uid="tests-reload-regions")


def _reload_regions_after_flush(sender, **kwargs):
    if sender.label == "core":
        from wageguard.core.services import regions_load

        regions_load()


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"  # audit anchors and other local state
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       # LocMem shares its store by LOCATION: one per test, so that counters never leak between tests
                       "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}}
    # Fast hashing: the tests create many users; production hashing is tested by Django itself.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _huey_immediate():
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture
def world(db):
    from tests.factories import World

    built = World.build()
    run_pending_events()
    return built


def run_pending_events() -> None:
    """A test's own transaction never commits: run the domain events its set-up emitted (as each request's commit
    would), so that what the test does next forms its own batch."""
    from django.db import connection

    for _round in range(20):  # (a callback may emit again: an alert raised by the rules it ran)
        if not connection.run_on_commit:
            return
        pending, connection.run_on_commit[:] = list(connection.run_on_commit), []
        for _savepoints, callback, _robust in pending:
            callback()
    raise AssertionError("the domain events keep emitting events after 20 rounds")
