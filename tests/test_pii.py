"""Personal data: encrypted at rest, blind-indexed, masked, revealed only with permission and audited."""
import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from wageguard.core import pii
from wageguard.core.models import AuditEntry
from wageguard.core.errors import PermissionDenied
from wageguard.registry import selectors, services
from wageguard.registry.models import Worker
from tests.factories import employ, reader_payload, system_admin


@given(st.text(max_size=200))
def test_encrypt_decrypt_round_trip_and_randomised(text):
    token = pii.encrypt(text)
    assert pii.decrypt(token) == text
    assert token.startswith("1:")
    if text:
        assert pii.encrypt(text) != token  # a fresh nonce each time: equal values do not look equal


def test_mask_shapes():
    assert pii.mask("37010219850615123X") == "370102********123X"
    assert pii.mask_phone("13800138000") == "138****8000"
    assert pii.mask("6222020200112233445") == "622202*********3445"
    assert pii.mask("") == ""


@pytest.mark.django_db
def test_no_personal_data_in_plaintext_in_the_database():
    from stdnum import luhn

    payload = reader_payload()
    card = "622202020011223344" + luhn.calc_check_digit("622202020011223344")
    worker, _ = services.worker_register_from_reading(actor=system_admin(), payload=payload)
    services.worker_set_contact(actor=system_admin(), worker=worker, phone="13912345678", bank_card=card)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_worker")
        worker_rows = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM registry_idcardreading")
        reading_rows = repr(cursor.fetchall())
        cursor.execute("SELECT before, after FROM core_auditentry")
        audit_rows = repr(cursor.fetchall())
    for secret in (payload["id_number"], "13912345678", card, payload["address"]):
        assert secret not in worker_rows
        assert secret not in reading_rows
        assert secret not in audit_rows
    assert selectors.worker_by_id_number(payload["id_number"].lower()) == worker  # blind index lookup


@pytest.mark.django_db
def test_reveal_needs_permission_and_is_audited(world):
    worker = world.gc_a_worker_emp.worker
    with pytest.raises(PermissionDenied):
        services.worker_reveal(actor=world.users["housing_jinan"], worker=worker, field_name="id_number")
    before = AuditEntry.objects.filter(action="registry.worker_reveal").count()
    value = services.worker_reveal(actor=world.users["gc_a_admin"], worker=worker, field_name="id_number")
    assert value == worker.id_number and "*" not in value
    entry = AuditEntry.objects.filter(action="registry.worker_reveal").last()
    assert AuditEntry.objects.filter(action="registry.worker_reveal").count() == before + 1
    assert entry.actor == world.users["gc_a_admin"] and entry.object_id == str(worker.pk) and entry.reason == "id_number"


@pytest.mark.django_db
def test_reveal_outside_scope_is_not_found(world):
    from wageguard.core.errors import NotFound

    with pytest.raises(NotFound):
        services.worker_reveal(actor=world.users["gc_a_admin"], worker=world.qingdao_emp.worker, field_name="id_number")


@pytest.mark.django_db
def test_key_rotation_re_encrypts_and_keeps_lookups(world, monkeypatch, settings):
    from wageguard.core.rekey import rekey_all

    worker = world.gc_a_worker_emp.worker
    number = worker.id_number
    old_key = settings.FIELD_KEY
    settings.FIELD_KEY = "ffeeddccbbaa99887766554433221100"
    settings.FIELD_KEYS_OLD = f"1:{old_key}"
    monkeypatch.setenv("WAGEGUARD_FIELD_KEY_VERSION", "2")
    pii.check_keys()
    try:
        assert Worker.objects.get(pk=worker.pk).id_number == number  # old rows still readable
        dict(rekey_all())
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM registry_worker WHERE id = %s", [worker.pk])
            assert cursor.fetchone()[0].startswith("2:")
        assert selectors.worker_by_id_number(number).pk == worker.pk
        from wageguard.registry.models import IdCardReading

        assert IdCardReading.objects.filter(id_number_index=pii.blind_index(number)).count() == 1
    finally:
        monkeypatch.delenv("WAGEGUARD_FIELD_KEY_VERSION")
        settings.FIELD_KEY, settings.FIELD_KEYS_OLD = old_key, ""
        pii.check_keys()


def test_missing_field_key_outside_dev_is_a_clear_startup_error(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAGEGUARD_", "DATABASE_URL"))}
    env.update(WAGEGUARD_ENV="production", WAGEGUARD_SECRET_KEY="s" * 50, DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
               WAGEGUARD_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "wageguard.cli", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "WAGEGUARD_FIELD_KEY is not set" in result.stderr


def test_every_blind_index_is_indexed_for_equality_only():
    """A blind index is looked up by equality: its B-tree is declared in Meta (an index or a unique constraint),
    never as db_index/unique on the field, which on PostgreSQL adds a varchar_pattern_ops twin that no LIKE ever
    uses (1.4 GB at the province's size, built after every bulk load and kept on every insert)."""
    from django.apps import apps

    blind = [(model, field) for model in apps.get_models() for field in model._meta.fields
             if isinstance(field, pii.BlindIndexField) or field.name.endswith("_index")]  # (a sign-in code's phone)
    assert blind
    for model, field in blind:
        assert not field.db_index and not field.unique, f"{model.__name__}.{field.name}: declare its index in Meta"
        declared = [list(index.fields) for index in model._meta.indexes]
        declared += [list(constraint.fields) for constraint in model._meta.constraints if getattr(constraint, "fields", None)]
        assert [field.name] in declared, f"{model.__name__}.{field.name}: no index of its own"
