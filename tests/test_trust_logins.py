"""Trust, logins and the audit log: lockout, second factor, session limits, rate limits, body limits, the keyed
audit chain and its anchors, production settings (issue 13's findings, each reproduced as the attacker tried it)."""
import datetime
import json

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from wageguard.core import audit, clock
from wageguard.core.auth import LOGIN_AT
from wageguard.core.models import AuditEntry
from wageguard.core.services import user_create
from tests.factories import Machine, api_client

pytestmark = pytest.mark.django_db
PASSWORD = "wageguard-demo"


@pytest.fixture
def official(db):
    return user_create(username="u-login", password=PASSWORD, role="official")


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_thirty_wrong_passwords_then_the_right_one_is_locked_out_with_a_chinese_message(official, settings):
    settings.RATELIMIT_ENABLE = False  # the lockout on its own (the address's rate limit is tested below)
    client = Client()
    statuses = [_sign_in(client, "u-login", f"guess-{n}").status_code for n in range(30)]
    assert statuses[:9] == [200] * 9 and set(statuses[10:]) == {429}  # the 10th failure locks
    answer = _sign_in(client, "u-login", PASSWORD)
    assert answer.status_code == 429 and "锁定" in answer.content.decode() and answer["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="core.login_failed").count() >= 10
    assert AuditEntry.objects.filter(action="core.lockout").exists()


def test_an_address_is_locked_after_ten_failures_on_any_accounts(official):
    user_create(username="u-other", password=PASSWORD, role="official")
    client = Client()
    for n in range(10):
        _sign_in(client, f"nobody-{n}", "x")
    assert _sign_in(client, "u-other", PASSWORD).status_code == 429  # a right password from the locked address
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert _sign_in(elsewhere, "u-other", PASSWORD).status_code == 302


def test_failures_older_than_fifteen_minutes_no_longer_count(official):
    from axes.models import AccessAttempt, AccessAttemptExpiration

    client = Client()
    for n in range(9):
        _sign_in(client, "u-login", f"guess-{n}")
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=past)
    AccessAttemptExpiration.objects.update(expires_at=past)
    _sign_in(client, "u-login", "guess-again")
    assert _sign_in(client, "u-login", PASSWORD).status_code == 302


def test_sessions_end_after_thirty_idle_minutes_and_twelve_hours_in_all(official, settings):
    assert settings.SESSION_COOKIE_AGE <= 1800 and settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    assert _sign_in(client, "u-login", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    session = client.session
    session[LOGIN_AT] = int(clock.now().timestamp()) - 12 * 3600 - 1
    session.save()
    expired = client.get("/")
    assert expired.status_code == 302 and expired["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_with_the_second_factor_required_a_password_alone_opens_no_page(official, settings):
    settings.WAGEGUARD_2FA = "required"
    client = Client()
    assert _sign_in(client, "u-login", PASSWORD).status_code == 302
    for path in ("/", "/projects/", "/alerts/", "/payroll/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/account/security/"), path
    assert client.get("/api/v1/projects/x/roster").status_code == 401
    page = client.get("/account/security/")
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=official, confirmed=False)
    assert client.post("/account/security/", {"token": "000000"}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes django-otp wait a second before the next try
    client.post("/account/security/", {"token": f"{totp(device.bin_key):06d}"})
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="core.otp_enrolled", actor=official).exists()
    # the next sign-in asks for the code, and a wrong one opens nothing
    again = Client()
    _sign_in(again, "u-login", PASSWORD)
    assert again.get("/").headers["Location"].startswith("/login/otp/")
    again.post("/login/otp/", {"token": "123456"})
    assert again.get("/").status_code == 302 and AuditEntry.objects.filter(action="core.otp_failed").exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp, device.last_t = 0, None, -1
    device.save()
    again.post("/login/otp/", {"token": f"{totp(device.bin_key):06d}"})
    assert again.get("/").status_code == 200


def test_the_demo_leaves_the_second_factor_off_but_offers_enrolment(official, settings):
    assert settings.WAGEGUARD_2FA == "optional"
    client = Client()
    _sign_in(client, "u-login", PASSWORD)
    assert client.get("/").status_code == 200
    assert "/account/security/" in client.get("/").content.decode()


def test_changes_to_users_in_django_admin_are_audited(db):
    admin = user_create(username="u-root", password=PASSWORD, role="platform_admin")
    target = user_create(username="u-target", password=PASSWORD, role="official")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/core/user/{target.pk}/change/")
    form = page.context["adminform"].form
    data = {name: (value.pk if hasattr(value, "pk") else value) for name, value in form.initial.items() if value is not None}
    data.update({"username": "u-target", "role": "platform_admin", "is_active": "on", "date_joined_0": "2026-11-30",
                 "date_joined_1": "10:00:00", "last_login_0": "", "last_login_1": ""})
    data = {k: v for k, v in data.items() if not isinstance(v, (list, datetime.datetime))}
    response = client.post(f"/admin/core/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.filter(action="admin.change", object_id=str(target.pk)).get()
    assert (entry.before["role"], entry.after["role"], entry.actor) == ("official", "platform_admin", admin)
    assert "password" not in entry.after


# ---------------------------------------------------------------- rate and size limits


def test_the_signed_api_refuses_a_flood_of_bad_signatures_with_429(world, settings):
    settings.WAGEGUARD_RATE_LIMITS = settings.WAGEGUARD_RATE_LIMITS | {"signed_failures": "5/m"}
    client, _secret = api_client(project_codes=[world.jinan_building.code])
    forger = Machine(client, "not-the-secret")
    statuses = [forger.post("/api/v1/attendance/batches", {"batch_id": f"x{n}", "records": []}).status_code for n in range(8)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
    limited = forger.post("/api/v1/attendance/batches", {"batch_id": "y", "records": []})
    assert limited.json()["error"] == "rate_limited" and int(limited["Retry-After"]) >= 1


def test_writes_per_person_are_rate_limited(world, settings):
    settings.WAGEGUARD_RATE_LIMITS = settings.WAGEGUARD_RATE_LIMITS | {"person_writes": "3/m"}
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    statuses = [client.post("/api/v1/projects/x/employments", b"{}", content_type="application/json").status_code for _ in range(5)]
    assert statuses[3:] == [429, 429]


def test_pages_without_sign_in_are_rate_limited_per_address(db, settings):
    settings.WAGEGUARD_RATE_LIMITS = settings.WAGEGUARD_RATE_LIMITS | {"anonymous": "4/m"}
    client = Client()
    statuses = [client.get("/login/").status_code for _ in range(6)]
    assert statuses == [200] * 4 + [429] * 2
    assert Client(REMOTE_ADDR="10.1.1.1").get("/login/").status_code == 200


def test_a_body_over_the_limit_answers_413_not_500(world, settings):
    settings.WAGEGUARD_MAX_BODY_BYTES = 1024
    client = Client()
    client.force_login(world.users["gc_a_admin"])
    response = client.post("/api/v1/workers/id-card-readings", b"{" + b" " * 2048 + b"}", content_type="application/json")
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    settings.WAGEGUARD_MAX_BODY_BYTES = 25 * 2**20
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/api/v1/workers/id-card-readings", b"{" + b" " * 2048 + b"}", content_type="application/json")
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"


# ---------------------------------------------------------------- the audit chain


def _entries(n=3):
    for i in range(n):
        audit.record(actor=None, action="test.entry", object_type="test", object_id=str(i), after={"i": i})


def test_rewriting_an_entry_and_recomputing_the_chain_is_found_without_the_key(db, settings):
    from wageguard.core.models import AuditChainHead
    from wageguard.core.pii import sm3_hex

    _entries(5)
    assert audit.verify_chain().ok
    # the attacker can write the database and knows the algorithm, not the key: recompute every later seal
    entries = list(AuditEntry.objects.order_by("id"))
    victim = entries[2]
    victim.after = {"i": 999}
    previous = entries[1].hash
    for entry in entries[2:]:
        entry.prev_hash = previous
        entry.hash = sm3_hex(audit._canonical(entry))  # what passed `audit_verify` before
        previous = entry.hash
        AuditEntry.objects.filter(pk=entry.pk).update(after=entry.after, prev_hash=entry.prev_hash, hash=entry.hash)
    AuditChainHead.objects.update(last_hash=previous)
    result = audit.verify_chain()
    assert not result.ok and result.broken_at == victim.pk
    # with a guessed key the seals still do not hold
    settings.AUDIT_KEY = "guessed"
    assert not audit.verify_chain().ok


def test_downgrading_entries_to_unkeyed_is_found(db):
    from wageguard.core.pii import sm3_hex

    _entries(3)
    last = AuditEntry.objects.order_by("id").last()
    last.key_id = ""
    AuditEntry.objects.filter(pk=last.pk).update(key_id="", hash=sm3_hex(audit._canonical(last)))
    assert "unkeyed" in audit.verify_chain().problem


def test_anchors_outside_the_database_find_entries_cut_off_the_end(db):
    from django.core.management import call_command

    _entries(4)
    anchor = audit.write_anchor()
    _entries(1)
    assert audit.verify_chain().ok and audit.verify_chain().last_anchor == anchor
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert f"entry #{anchor['entry']}" in out.getvalue()
    # cut the anchored entry and everything after it, and set the head back: the anchor still remembers it
    from wageguard.core.models import AuditChainHead

    AuditEntry.objects.filter(pk__gte=anchor["entry"]).delete()
    AuditChainHead.objects.update(last_hash=AuditEntry.objects.order_by("id").last().hash)
    result = audit.verify_chain()
    assert not result.ok and "missing" in result.problem


def test_a_rotated_key_still_verifies_old_entries(db, settings):
    _entries(2)
    old = settings.AUDIT_KEY
    settings.AUDIT_KEY, settings.AUDIT_KEYS_OLD = "the-new-key", [old]
    _entries(2)
    assert audit.verify_chain().ok
    settings.AUDIT_KEYS_OLD = []
    assert "key this server does not have" in audit.verify_chain().problem
    # a retired (perhaps leaked) key cannot seal an entry after the newer key's
    settings.AUDIT_KEYS_OLD = [old]
    settings.AUDIT_KEY, settings.AUDIT_KEYS_OLD = old, ["the-new-key"]
    _entries(1)
    settings.AUDIT_KEY, settings.AUDIT_KEYS_OLD = "the-new-key", [old]
    assert "retired key after a newer one" in audit.verify_chain().problem


def test_a_whole_chain_downgraded_to_unkeyed_is_found(db, settings):
    from wageguard.core.models import AuditChainHead
    from wageguard.core.pii import sm3_hex

    _entries(3)
    anchor = audit.write_anchor()
    assert anchor["keyed_from"] == AuditEntry.objects.order_by("id").first().pk
    previous = audit.GENESIS
    for entry in AuditEntry.objects.order_by("id"):  # the database administrator re-seals everything without the key
        entry.key_id, entry.prev_hash = "", previous
        entry.hash = previous = sm3_hex(audit._canonical(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(key_id="", prev_hash=entry.prev_hash, hash=entry.hash)
    AuditChainHead.objects.update(last_hash=previous)
    assert "unkeyed" in audit.verify_chain().problem  # the anchors say where the chain was keyed
    (settings.VAR_DIR / "audit-anchors.jsonl").unlink()
    assert audit.verify_chain().ok  # a demo that kept legacy entries and lost its anchors cannot tell…
    settings.AUDIT_LEGACY_ALLOWED = False
    assert "unkeyed" in audit.verify_chain().problem  # …a production deployment, where every entry is sealed, can


def test_the_anchor_file_is_checked_and_a_broken_chain_is_not_anchored(db):
    from wageguard.core.models import AuditChainHead

    _entries(3)
    audit.write_anchor()
    _entries(2)
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("id").last().pk).update(after={"i": "forged"})
    with pytest.raises(audit.AnchorRefused):
        audit.write_anchor()
    AuditEntry.objects.filter(pk__gt=AuditEntry.objects.order_by("id")[2].pk).delete()
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("id")[2].pk).delete()
    AuditChainHead.objects.update(last_hash=AuditEntry.objects.order_by("id").last().hash)
    with pytest.raises(audit.AnchorRefused):  # shorter than the last anchor
        audit.write_anchor()
    with open(audit.anchor_path(), "a") as handle:
        handle.write("not json\n")
    assert "line 2" in audit.verify_chain().problem


def test_no_full_card_or_id_number_in_any_audit_entry(world):
    from wageguard.registry.models import WageCardChange, Worker
    from tests.test_trust_identity import test_an_employer_changes_a_card_only_when_the_worker_confirms_it as card_story

    card_story(world)
    secrets = {w.id_number for w in Worker.objects.all()} | {c.card for c in WageCardChange.objects.all()}
    assert len(secrets) > 5
    for before, after in AuditEntry.objects.values_list("before", "after"):
        text = json.dumps(before or {}) + json.dumps(after or {})
        assert not any(secret in text for secret in secrets)


# ---------------------------------------------------------------- production settings


def test_production_settings_pass_check_deploy(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, WAGEGUARD_ENV="production", WAGEGUARD_SECRET_KEY="x" * 10 + "K9#mQ2$vL7@pR4!zT8&wN1^bY6*cF3" * 2,
               WAGEGUARD_FIELD_KEY="00112233445566778899aabbccddeeff", WAGEGUARD_AUDIT_KEY="prod-audit-key-from-the-vault-0123456789abcdef",
               WAGEGUARD_EVIDENCE_KEY="prod-evidence-key-from-the-vault-0123456789",
               WAGEGUARD_SMS_SENDER="wageguard.core.sms.HttpSender", WAGEGUARD_SMS_URL="https://sms.example.gov.cn/send",
               WAGEGUARD_REDIS_URL="redis://127.0.0.1:6379/15", WAGEGUARD_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3", WAGEGUARD_ALLOWED_HOSTS="wageguard.example.gov.cn")
    result = subprocess.run([sys.executable, "-m", "wageguard.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    headers = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
                              "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_REFERRER_POLICY, "
                              "bool(s.CONTENT_SECURITY_POLICY), s.WAGEGUARD_2FA)"],
                             env=env | {"DJANGO_SETTINGS_MODULE": "wageguard.settings"}, capture_output=True, text=True)
    assert headers.stdout.split() == ["31536000", "True", "same-origin", "True", "required"], headers.stderr


def test_every_page_carries_a_content_security_policy_with_a_script_nonce(world):
    client = Client()
    client.force_login(world.users["hrss_province"])
    page = client.get("/alerts/map/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin" and page["X-Content-Type-Options"] == "nosniff"
