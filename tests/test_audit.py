"""The audit log: every service call recorded with before/after, hash-chained, tampering detected."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wageguard.core.audit import verify_chain
from wageguard.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_service_calls_are_recorded_with_before_and_after(world):
    from wageguard.registry import services

    employment = world.gc_a_worker_emp
    import datetime
    services.employment_exit(actor=world.users["gc_a_admin"], employment=employment, exited_on=datetime.date(2026, 6, 30))
    entry = AuditEntry.objects.filter(action="registry.employment_exit").last()
    assert entry.actor == world.users["gc_a_admin"]
    assert entry.before["exited_on"] is None and entry.after["exited_on"] == "2026-06-30"
    assert entry.object_type == "registry.employment" and entry.object_id == str(employment.pk)


def test_chain_is_intact_after_normal_work(world):
    result = verify_chain()
    assert result.ok and result.checked == AuditEntry.objects.count() > 10
    call_command("audit_verify")


def test_a_tampered_row_is_detected_at_that_row(world):
    victim = AuditEntry.objects.order_by("id")[5]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["someone-else", victim.pk])
    result = verify_chain()
    assert not result.ok and result.broken_at == victim.pk
    with pytest.raises(CommandError, match=f"entry #{victim.pk}"):
        call_command("audit_verify")


def test_a_deleted_row_is_detected(world):
    victim = AuditEntry.objects.order_by("id")[3]
    following = AuditEntry.objects.filter(id__gt=victim.pk).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [victim.pk])
    result = verify_chain()
    assert result.broken_at == following.pk


def test_removing_the_last_rows_is_detected(world):
    last = AuditEntry.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [last.pk])
    assert not verify_chain().ok
