"""Replay issue 13's attack list against a demo province, as an attacker would: from the demo logins, a rival
enterprise and a signed client, through the same HTTP entry points (Django's in-process client). Prints what
each attack gets now. Everything runs in one transaction that is rolled back: the demo is left as it was.

    make run DEMO_ARGS=--no-serve        # a demo province in var/wageguard.sqlite3
    .venv/bin/python scripts/attack_replay.py
"""
from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
import zipfile

os.environ.setdefault("WAGEGUARD_ENV", "dev")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wageguard.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from wageguard.alerts.models import Alert  # noqa: E402
from wageguard.core import audit  # noqa: E402
from wageguard.core.models import AuditEntry, User  # noqa: E402
from wageguard.core.services import user_create  # noqa: E402
from wageguard.exchange.client import Client as Signer  # noqa: E402
from wageguard.exchange.services import apiclient_create  # noqa: E402
from wageguard.registry import excel  # noqa: E402
from wageguard.registry.models import Employment, Project, Worker  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
RESULTS: list[tuple[str, str]] = []


def report(finding: str, answer: str) -> None:
    RESULTS.append((finding, answer))
    print(f"- {finding}\n    → {answer}", flush=True)


def browser(username: str | None = None, address: str = "10.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def payload_for(worker: Worker, **changes) -> dict:
    number = worker.id_number
    return {"name": worker.name, "sex": "男" if int(number[16]) % 2 else "女", "birth_date": number[6:14], "id_number": number,
            "address": "冒名者住址", "valid_until": "长期", "photo": "QUJD"} | changes


def replay() -> None:
    demo_gc = User.objects.get(username="enterprise_admin").enterprise
    victim_employment = Employment.objects.filter(enterprise=demo_gc).exclude(proof="").select_related("worker", "project").first()
    victim = victim_employment.worker
    rival_project = Project.objects.exclude(participations__enterprise=demo_gc).filter(filing_status="onboarded").first()
    rival = user_create(username="attack-rival", password="x", role="enterprise_admin", enterprise=rival_project.general_contractor,
                        unmask_pii=True)
    before = (victim.name, victim.address, victim.photo, victim.bank_card)

    # 1. identities
    statuses = {}
    for login in ("worker", "bank_operator", "police", "pboc_province"):
        response = browser(login).post("/api/v1/workers/id-card-readings", json.dumps({"payload": payload_for(victim, name="冒名者"),
                                       "project_code": victim_employment.project.code}), content_type="application/json")
        statuses[login] = response.status_code
    victim.refresh_from_db()
    report("any signed-in user rewrites any worker's identity (worker, bank, police, PBOC logins)",
           f"{statuses}; identity unchanged: {(victim.name, victim.address, victim.photo, victim.bank_card) == before}")
    answer = browser("attack-rival").post("/api/v1/workers/id-card-readings", json.dumps(
        {"payload": payload_for(victim, name="冒名者"), "project_code": rival_project.code}), content_type="application/json")
    victim.refresh_from_db()
    review = victim.identity_reviews.order_by("-id").first()
    report("the `created` flag tells anyone whether an ID number is registered (a rival enterprise reads a registered number)",
           f"{answer.status_code} {answer.json()}; identity unchanged: {victim.name == before[0]}; "
           f"review pending at {review.region.full_name if review else None}")
    kept = victim.readings.count()
    big = browser("worker").post("/api/v1/workers/id-card-readings", json.dumps(
        {"payload": payload_for(victim, photo="A" * 15_000_000)}), content_type="application/json")
    report("refused readings of any size are kept (15 MB by a worker login)",
           f"{big.status_code} {big.json().get('error')}; readings kept: {victim.readings.count() - kept}")

    # 2. wage cards
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append([header for _k, header, _r in excel.COLUMNS])
    row = {"name": victim.name, "id_number": victim.id_number, "sex": "男" if int(victim.id_number[16]) % 2 else "女",
           "bank_card": "6217001234567890122", "phone": "13900000009", "enterprise_uscc": rival_project.general_contractor.uscc,
           "trade": "木工", "entered_on": "2026-06-01"}
    workbook.active.append([row.get(key, "") for key, _h, _r in excel.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = excel.import_roster(actor=rival, project=rival_project, data=buffer.getvalue())
    victim.refresh_from_db()
    seen = browser("attack-rival").get(f"/workers/{victim.pk}/").status_code
    report("a rival's roster import redirects the worker's card and gains their personal data",
           f"imported with notes {[n['detail'][:40] for n in result.notes]}; card unchanged: {victim.bank_card == before[3]}; "
           f"rival opens the worker's page: {seen}")
    from wageguard.payroll.models import PayrollLine

    failed = PayrollLine.objects.filter(result__status="failed", reissue__isnull=True).select_related("payroll__enterprise").first()
    if failed is not None:
        from wageguard.payroll import services as payroll_services

        officer = user_create(username="attack-officer", password="x", role="enterprise_admin", enterprise=failed.payroll.enterprise)
        other = Worker.objects.exclude(pk=failed.worker_id).filter(bank_card_index__isnull=False).first()
        try:
            payroll_services.line_reissue(actor=officer, line=failed, reason="换卡", card=other.bank_card)
            outcome = "accepted"
        except Exception as error:  # noqa: BLE001
            outcome = f"{type(error).__name__}: {getattr(error, 'code', error)}"
        report("re-issue of a failed line accepts any valid card, including another worker's", outcome)
    pending = PayrollLine.objects.filter(result__isnull=True, net__gt=0).count()
    report("`card_holder` pending does not block payment",
           f"a `paid` result for a line not verified `match` is refused `card_not_verified` (tests/test_payroll.py); "
           f"{pending} unpaid lines here wait for their bank's verification")

    # 3. counterparties
    with connection.cursor() as cursor:
        cursor.execute("SELECT counterparty_name, counterparty_account FROM accounts_accounttransaction WHERE purpose='wage_out' LIMIT 1")
        stored = cursor.fetchone()
    from wageguard.accounts.models import AccountTransaction

    txn = AccountTransaction.objects.filter(purpose="wage_out").select_related("account").first()
    if txn:
        page = browser("pboc_province").get(f"/accounts/{txn.account_id}/").content.decode()
        export = browser("pboc_province").get(f"/accounts/{txn.account_id}/transactions.xlsx?unmasked=1")
        cells = {c.value for r in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in r}
        report("workers' full card numbers and names leak through account pages and exports (PBOC)",
               f"stored: {str(stored)[:60]}…; PBOC page shows the name: {txn.counterparty_name in page}, the card: "
               f"{txn.counterparty_account in page}; PBOC 'unmasked' export holds them: "
               f"{txn.counterparty_name in cells or txn.counterparty_account in cells}")

    # 4. files
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wageguard.alerts import services as alert_services

    alert = Alert.objects.filter(enterprise=demo_gc).first() or Alert.objects.filter(project__general_contractor=demo_gc).first()
    if alert:
        evil = SimpleUploadedFile("evidence.html", b"%PDF-1.4\n<html><script>alert(1)</script></html>", content_type="text/html")
        try:
            alert_services.alert_answer(actor=User.objects.get(username="enterprise_admin"), alert=alert, note="x", attachment=evil)
            outcome = "stored"
        except Exception as error:  # noqa: BLE001
            outcome = f"refused: {getattr(error, 'code', error)}"
        report("an alert answer `evidence.html` starting with %PDF- holding a script is served as text/html, anonymously too",
               f"{outcome}; GET /media/contracts/… anonymously: {browser().get('/media/contracts/1/1/x.pdf').status_code}")

    # 5. logins
    user_create(username="attack-target", password="right-password", role="official")
    statuses = [browser(address="10.9.9.9").post("/login/", {"username": "attack-target", "password": f"guess{n}"}).status_code
                for n in range(30)]
    final = browser(address="10.9.9.9").post("/login/", {"username": "attack-target", "password": "right-password"})
    report("no lockout: 30 wrong passwords, then the right one logs in",
           f"wrong ones: {statuses.count(200)}×200 then {statuses.count(429)}×429; the right one: {final.status_code} "
           f"({'locked' if final.status_code == 429 else 'signed in'}); failures audited: "
           f"{AuditEntry.objects.filter(action='core.login_failed').count()}")
    with override_settings(WAGEGUARD_2FA="required"):
        client = browser(address="10.9.9.10")
        client.post("/login/", {"username": "hrss_province", "password": "wageguard-demo"})
        home = client.get("/")
    report("no second factor (a password alone opens the console)",
           f"with WAGEGUARD_2FA=required (the production default): GET / → {home.status_code} {home.get('Location', '')}")
    report("14-day sessions, no idle timeout", f"SESSION_COOKIE_AGE={settings.SESSION_COOKIE_AGE}, renewed per request: "
           f"{settings.SESSION_SAVE_EVERY_REQUEST}; 12 h absolute (core.auth.SessionLimitMiddleware)")

    # 6. the audit chain
    entries = list(AuditEntry.objects.order_by("-id")[:3])[::-1]
    from wageguard.core.pii import sm3_hex

    previous = AuditEntry.objects.filter(pk__lt=entries[0].pk).order_by("-id").values_list("hash", flat=True).first() or audit.GENESIS
    for entry in entries:
        entry.after, entry.prev_hash = ({"rewritten": True} if entry is entries[0] else entry.after), previous
        entry.hash = previous = sm3_hex(audit._canonical(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(after=entry.after, prev_hash=entry.prev_hash, hash=entry.hash)
    from wageguard.core.models import AuditChainHead

    AuditChainHead.objects.update(last_hash=previous)
    result = audit.verify_chain()
    report("rewriting an entry and recomputing the following SM3 hashes passes audit_verify",
           f"audit_verify: {'intact' if result.ok else f'broken at #{result.broken_at}: {result.problem}'}")
    def full_cards(entries) -> int:
        return sum(1 for b, a in entries if any(len(str(v)) >= 16 and str(v).isdigit() for d in (b or {}, a or {}) for v in d.values()))

    keyed = AuditEntry.objects.filter(action="payroll.line_reissue").exclude(key_id="").values_list("before", "after")
    legacy = AuditEntry.objects.filter(action="payroll.line_reissue", key_id="").values_list("before", "after")
    report("line_reissue writes full card numbers into the audit",
           f"{len(keyed)} re-issue entries written by this version, with a full card: {full_cards(keyed)} "
           f"(older entries, sealed before: {full_cards(legacy)} of {len(legacy)}; they cannot be redacted without breaking the chain)")

    # 7. exports
    Worker.objects.filter(pk=victim.pk).update(name="=HYPERLINK(\"http://evil\",\"x\")")
    export = browser("enterprise_admin").get(f"/projects/{victim_employment.project_id}/roster.xlsx")
    cells = [c for r in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in r
             if isinstance(c.value, str) and c.value.startswith("=")]
    report("a name beginning with `=` is written as a formula into roster.xlsx",
           f"{len(cells)} such cells, stored as: {sorted({c.data_type for c in cells})} (s = text, f = formula)")

    # 8. roster import memory
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, source.read(item.filename))
        with bomb.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
                       b'<c r="A1" t="inlineStr"><is><t>')
            for _ in range(500):
                part.write(b"A" * 2**20)
            part.write(b"</t></is></c></row></sheetData></worksheet>")
    data = out.getvalue()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        excel.import_roster(actor=User.objects.get(username="enterprise_admin"), project=victim_employment.project, data=data)
        outcome = "imported"
    except Exception as error:  # noqa: BLE001
        outcome = f"refused: {error}"
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    report(f"a {len(data) // 1024} KB xlsx expanding to a 500 MB cell (1.1 GB and 3.8 s before)",
           f"{outcome[:90]}; {elapsed:.2f} s; peak memory grew {grown:.0f} MB")

    # 9. rate and size limits
    client, _secret = apiclient_create(actor=None, kind="gate_system", project_codes=[victim_employment.project.code])
    forger = Signer("http://testserver", client.key_id, "not-the-secret")
    http = Client(REMOTE_ADDR="10.8.8.8")
    statuses = []
    for n in range(300):
        body = json.dumps({"batch_id": f"x{n}", "records": []}).encode()
        statuses.append(http.post("/api/v1/attendance/batches", body, content_type="application/json",
                                  headers=forger.headers("POST", "/api/v1/attendance/batches", "", body)).status_code)
    report("no rate limit: 300 bad signatures", f"{statuses.count(401)}×401 then {statuses.count(429)}×429")
    if alert:
        answering = browser("enterprise_admin", address="10.8.8.9")
        statuses = [answering.post(f"/alerts/{alert.pk}/answer/", {"note": f"答复{n}"}).status_code for n in range(300)]
        report("no rate limit: 300 answers", f"{statuses.count(302)}×302 (recorded) then {statuses.count(429)}×429")
    huge = browser("wage_officer", address="10.8.8.10").post("/api/v1/workers/id-card-readings", b"{" + b" " * (21 * 2**20) + b"}",
                                                                  content_type="application/json")
    report("a body over 20 MB answers 500", f"{huge.status_code} {huge.json()}")
    import subprocess

    safe = subprocess.run(["grep", "-rn", "|safe", str(settings.PACKAGE_DIR / "templates")], capture_output=True, text=True).stdout
    report("`alerts/map.html` and `accounts/detail.html` render JSON with |safe", f"templates with |safe: {safe.count(chr(10))}")


if __name__ == "__main__":
    with transaction.atomic():
        replay()
        transaction.set_rollback(True)  # the demo stays as it was
    print("\n(all of it rolled back)")
    sys.exit(0)
