"""Police evidence packages: the police ask for the records about an enterprise, a project or a person (with a case
number and a reason); the HRSS department over the police department's region approves or rejects; on approval the
package is built at once: a zip of the records in scope with a signed manifest, stored SM4-GCM encrypted, handed only
to the requesting police department. Every request, decision, build and download is in the audit chain.

The scope is the subject's data within the requesting police department's region, and nothing else:
- a project's: that whole project;
- an enterprise's: in full only the projects it is the general contractor of (it answers for every wage there); on the
  projects it takes part in otherwise (a subcontractor, an owner), only its own rows: the ledger lines and bank results
  of its payrolls, the attendance days of its employments, the alerts naming it; the account's transactions only on
  the projects it contracts generally;
- a person's: the projects they were employed on there, but only their own rows.
Credit records are only the subject's own (the enterprise's, or the person's; a project's: those on the project), and
never a proposed or withdrawn one (not a finding yet, or no longer one). Personal data is unmasked inside the package
(the approval authorises it); the manifest, also kept in the database, holds none.

The manifest ("manifest.json", format "wageguard-evidence/1"):

    {"format": "wageguard-evidence/1", "request": 7, "case_number": "…", "reason": "…",
     "department": {"name", "region"}, "requested_at", "approved_by", "approved_at",
     "subject": {"type": "enterprise"|"project"|"person", …identifiers, a person's masked},
     "region": {"code", "name"}, "generated_at": ISO 8601,
     "audit_chain_head": {"entry_id", "hash"}, "sections": ["ledgers", …], "csv": {…},
     "files": [{"name", "sm3", "bytes", "rows"}],
     "signature": {"algorithm": "HMAC-SM3", "key_id", "value"}}

The signature covers the canonical JSON of the manifest without "signature" (sorted keys, UTF-8, compact). The
verifier dispatches on "algorithm" (`SIGNATURE_VERIFIERS`), so an "SM2" signature (the public key named by key_id)
can be added later without changing the format: old packages keep verifying with HMAC-SM3.
"""
from __future__ import annotations

import csv
import hmac
import io
import json
import re
import struct
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.accounts.models import AccountTransaction
from wageguard.alerts.models import Alert, AlertAction
from wageguard.attendance.models import AttendanceDay
from wageguard.core import access, audit, clock
from wageguard.core.errors import NotFound, PermissionDenied, ServiceError
from wageguard.core.models import AuditEntry
from wageguard.core.pii import blind_index, decrypt_bytes, encrypt_bytes, hmac_sm3, mask, sm3_hex
from wageguard.core.transactions import service
from wageguard.core.xlsx import FORMULA_STARTS
from wageguard.payroll.models import DisbursementResult, PayrollLine
from wageguard.registry.models import Employment, Enterprise, Participation, Project, Worker
from wageguard.registry.selectors import worker_by_id_number

from .models import CreditAction, CreditRecord, EvidenceRequest, EvidenceStatus, EvidenceSubject, RecordStatus

FORMAT = "wageguard-evidence/1"
MANIFEST = "manifest.json"
SUBJECT = "subject.json"
MAX_CASE_NUMBER = EvidenceRequest._meta.get_field("case_number").max_length


# ---------------------------------------------------------------- signing keys


def _key_id(key: bytes) -> str:
    return sm3_hex(b"wageguard-evidence-key:" + key)[:8]


def evidence_keys() -> tuple[str, dict[str, bytes]]:
    """The current signing key's id and every key a package may name, by id."""
    keys = [settings.EVIDENCE_KEY.encode()] + [k.strip().encode() for k in settings.EVIDENCE_KEYS_OLD]
    return _key_id(keys[0]), {_key_id(k): k for k in keys}  # retired keys still verify the packages they signed


def canonical(manifest: dict) -> bytes:
    """What the signature covers: the manifest without its signature, as canonical JSON."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(manifest: dict) -> dict:
    key_id, keys = evidence_keys()
    return {"algorithm": "HMAC-SM3", "key_id": key_id, "value": hmac_sm3(keys[key_id], canonical(manifest)).hex()}


def _verify_hmac_sm3(manifest: dict, signature: dict) -> str:
    key = evidence_keys()[1].get(str(signature.get("key_id")))
    if key is None:
        return f"signed with a key this server does not have (key id {signature.get('key_id')!r})"
    if not hmac.compare_digest(hmac_sm3(key, canonical(manifest)).hex().encode(), str(signature.get("value")).encode()):
        return "the manifest does not match its signature (manifest altered)"
    return ""


# algorithm -> check(manifest, signature) returning a problem or "". An "SM2" verifier goes here.
SIGNATURE_VERIFIERS: dict[str, Callable[[dict, dict], str]] = {"HMAC-SM3": _verify_hmac_sm3}


# ---------------------------------------------------------------- the scope and the sections


@dataclass(frozen=True)
class EvidenceScope:
    """What a package may hold. `project_ids`: every project the package names; `whole_project_ids`: those it covers
    in full (the project asked about; the projects an enterprise contracts generally); on the others, only the rows of
    the enterprise (`enterprise`) or of the person (`worker`)."""

    request: EvidenceRequest
    region_prefix: str
    project_ids: tuple[int, ...]
    whole_project_ids: tuple[int, ...] = ()
    enterprise: Enterprise | None = None  # an enterprise's package
    worker: Worker | None = None  # a person's package

    def q(self, project: str = "project", *, worker: str = "worker", own: Callable[[Enterprise], Q] | None = None) -> Q:
        """Rows (reached through `project`) of the projects covered in full; plus, on the other projects named, the
        person's own rows (through `worker`) or the enterprise's own rows (`own(enterprise)`; none without it)."""
        condition = Q(**{f"{project}__in": self.whole_project_ids})
        if self.worker is not None:
            condition |= Q(**{f"{project}__in": self.project_ids, worker: self.worker})
        elif self.enterprise is not None and own is not None:
            condition |= Q(**{f"{project}__in": self.project_ids}) & own(self.enterprise)
        return condition


@dataclass(frozen=True)
class Section:
    """One CSV file of the package: `rows(scope)` yields rows in the order of `header`. Other apps append theirs to
    `EVIDENCE_SECTIONS` (the complaints, once they exist) from their AppConfig.ready."""

    name: str
    header: Sequence[str]
    rows: Callable[[EvidenceScope], Iterable[Sequence]]

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


def _local(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _actor(user) -> str:
    return user.username if user is not None else "system"


def _ledgers(scope: EvidenceScope):
    lines = (PayrollLine.objects.filter(scope.q("payroll__project", own=lambda e: Q(payroll__enterprise=e)))
             .select_related("payroll__project", "payroll__enterprise", "worker", "result").order_by("payroll__month", "payroll_id", "id"))
    for line in lines:
        payroll, result = line.payroll, getattr(line, "result", None)
        yield [payroll.month, payroll.project.code, payroll.project.name, payroll.enterprise.uscc, payroll.enterprise.name, payroll.status,
               line.pk, line.worker.name, line.worker.id_number, line.days_attended, line.days_claimed, line.wage_basis, line.wage_rate,
               line.gross, line.deduction_total, json.dumps(line.deductions, ensure_ascii=False), line.net, line.card, line.bank_name,
               result.status if result else "", line.reissue_of_id or ""]


def _employed_by(enterprise: Enterprise) -> Q:
    """Attendance days falling within one of the enterprise's employments (that worker, that project, those dates)."""
    return Q(Exists(Employment.objects.filter(
        Q(exited_on__isnull=True) | Q(exited_on__gte=OuterRef("day")), worker_id=OuterRef("worker_id"), project_id=OuterRef("project_id"),
        enterprise=enterprise, entered_on__lte=OuterRef("day"))))


def _attendance_days(scope: EvidenceScope):
    days = (AttendanceDay.objects.filter(scope.q(own=_employed_by)).select_related("project", "worker")
            .order_by("project_id", "worker_id", "day"))
    for day in days:
        yield [day.project.code, day.worker.name, day.worker.id_number, day.day, _local(day.first_in), _local(day.last_out),
               day.punches, day.methods, day.has_manual]


def _account_transactions(scope: EvidenceScope):
    if scope.worker is None:  # the account is the general contractor's: its money only where the project is covered in full
        transactions = AccountTransaction.objects.filter(account__project_id__in=scope.whole_project_ids)
    else:  # a person's: the wages paid to them (by the bank's transaction id or to their cards)
        transactions = AccountTransaction.objects.filter(account__project_id__in=scope.project_ids)
        results = DisbursementResult.objects.filter(line__worker=scope.worker, line__payroll__project_id__in=scope.project_ids)
        cards = {scope.worker.bank_card, *PayrollLine.objects.filter(worker=scope.worker).values_list("card", flat=True)} - {""}
        transactions = transactions.filter(Q(bank_txn_id__in=results.exclude(bank_txn_id="").values("bank_txn_id"))
                                           | Q(counterparty_account_index__in=[blind_index(c) for c in cards]))
    for txn in transactions.select_related("account__project", "bank").order_by("account_id", "sequence"):
        yield [txn.account.project.code, txn.account.number, txn.account.name, txn.bank.code, txn.bank_txn_id, txn.sequence,
               _local(txn.booked_at), txn.amount, txn.counterparty_name, txn.counterparty_account, txn.purpose, txn.balance_after,
               _local(txn.received_at)]


def _payroll_results(scope: EvidenceScope):
    results = (DisbursementResult.objects.filter(scope.q("line__payroll__project", worker="line__worker",
                                                         own=lambda e: Q(line__payroll__enterprise=e)))
               .select_related("line__payroll__project", "line__payroll__enterprise", "line__worker")
               .order_by("line__payroll__month", "line_id"))
    for result in results:
        line = result.line
        yield [line.payroll.month, line.payroll.project.code, line.payroll.enterprise.uscc, line.pk, line.worker.name,
               line.worker.id_number, result.status, result.amount, result.card, result.holder_name, result.bank_txn_id, _local(result.paid_at),
               result.reason_code, _local(result.received_at)]


def _alerts_q(scope: EvidenceScope) -> Q:
    """The alerts of the projects covered in full, and those naming the person or the enterprise in the region."""
    in_region = Q(region__code__startswith=scope.region_prefix)
    if scope.worker is not None:
        return Q(worker=scope.worker) & in_region
    if scope.enterprise is not None:
        return Q(project_id__in=scope.whole_project_ids) | (Q(enterprise=scope.enterprise) & in_region)
    return Q(project_id__in=scope.whole_project_ids)


def _alerts(scope: EvidenceScope):
    alerts = Alert.objects.filter(_alerts_q(scope)).select_related("project", "enterprise", "worker", "region", "department__region")
    for alert in alerts.order_by("raised_at", "id"):
        yield [alert.pk, alert.rule, alert.severity, alert.period, alert.project.code if alert.project_id else "",
               alert.enterprise.uscc if alert.enterprise_id else "", alert.worker.name if alert.worker_id else "",
               alert.worker.id_number if alert.worker_id else "", alert.region.code, str(alert.department), alert.level, alert.status,
               _local(alert.raised_at), _local(alert.due_at), _local(alert.closed_at), alert.resolution,
               json.dumps(alert.facts, ensure_ascii=False, sort_keys=True, default=str)]


def _alert_actions(scope: EvidenceScope):
    actions = AlertAction.objects.filter(alert__in=Alert.objects.filter(_alerts_q(scope))).select_related("actor")
    for action in actions.order_by("alert_id", "at", "id"):
        yield [action.alert_id, _local(action.at), _actor(action.actor), action.kind, action.from_status, action.to_status, action.note,
               action.attachment.name if action.attachment else ""]


# A proposed record is not a finding yet, a withdrawn one no longer is: never in a package.
NOT_IN_A_PACKAGE = (RecordStatus.PROPOSED, RecordStatus.WITHDRAWN)


def _credit_records_q(scope: EvidenceScope) -> Q:
    """Only the subject's own records: the person's or the enterprise's (never another party's), a project's those on
    the project; found or decided, in the region."""
    in_region = Q(department__region__code__startswith=scope.region_prefix) | Q(project_id__in=scope.project_ids)
    if scope.worker is not None:
        party = Q(worker=scope.worker) | Q(person_id_number_index=blind_index(scope.worker.id_number))
    elif scope.enterprise is not None:
        party = Q(enterprise=scope.enterprise)
    else:
        party, in_region = Q(project_id__in=scope.whole_project_ids), Q()
    return party & in_region & ~Q(status__in=NOT_IN_A_PACKAGE)


def _credit_records(scope: EvidenceScope):
    records = CreditRecord.objects.filter(_credit_records_q(scope)).select_related("enterprise", "worker", "project", "department__region")
    for record in records.order_by("proposed_at", "id"):
        yield [record.pk, record.kind, record.status, record.enterprise.uscc if record.enterprise_id else "", record.party_name,
               record.person_id_number, record.project.code if record.project_id else "", str(record.department), record.facts,
               record.legal_basis, record.amount if record.amount is not None else "", record.decision_document, record.decided_on or "",
               record.published_on or "", record.removal_on or "", record.removed_on or "", _local(record.proposed_at)]


def _credit_record_steps(scope: EvidenceScope):
    steps = CreditAction.objects.filter(record__in=CreditRecord.objects.filter(_credit_records_q(scope))).select_related("actor")
    for step in steps.order_by("record_id", "at", "id"):
        yield [step.record_id, _local(step.at), _actor(step.actor), step.step, step.note, step.attachment.name if step.attachment else ""]


EVIDENCE_SECTIONS: list[Section] = [
    Section("ledgers", ["month", "project_code", "project_name", "enterprise_uscc", "enterprise_name", "ledger_status", "line_id",
                        "worker_name", "id_number", "days_attended", "days_claimed", "wage_basis", "wage_rate", "gross", "deductions_total",
                        "deductions", "net", "card", "card_bank", "bank_result", "reissue_of_line"], _ledgers),
    Section("attendance_days", ["project_code", "worker_name", "id_number", "day", "first_in", "last_out", "punches", "methods",
                                "has_manual"], _attendance_days),
    Section("account_transactions", ["project_code", "account_number", "account_name", "bank_code", "bank_txn_id", "sequence", "booked_at",
                                     "amount", "counterparty_name", "counterparty_account", "purpose", "balance_after", "received_at"],
            _account_transactions),
    Section("payroll_results", ["month", "project_code", "enterprise_uscc", "line_id", "worker_name", "id_number", "status", "amount",
                                "card", "card_holder_name", "bank_txn_id", "paid_at", "reason_code", "received_at"], _payroll_results),
    Section("alerts", ["alert_id", "rule", "severity", "period", "project_code", "enterprise_uscc", "worker_name", "id_number", "county",
                       "department", "level", "status", "raised_at", "due_at", "closed_at", "resolution", "facts"], _alerts),
    Section("alert_actions", ["alert_id", "at", "actor", "action", "from_status", "to_status", "note", "attachment"], _alert_actions),
    Section("credit_records", ["record_id", "kind", "status", "enterprise_uscc", "party_name", "id_number", "project_code", "department",
                               "facts", "legal_basis", "amount", "decision_document", "decided_on", "published_on", "removal_on",
                               "removed_on", "proposed_at"], _credit_records),
    Section("credit_record_steps", ["record_id", "at", "actor", "step", "note", "attachment"], _credit_record_steps),
]

CSV_NOTE = {"encoding": "UTF-8 with BOM", "times": "Asia/Shanghai, ISO 8601",
            "formula_guard": "a text cell starting with = + - @, a tab or a carriage return is prefixed with '"}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value  # never a formula when opened in Excel
    return str(value)


def _csv(header: Sequence[str], rows: Iterable[Sequence]) -> tuple[bytes, int]:
    buffer, count = io.StringIO(), 0
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return buffer.getvalue().encode("utf-8-sig"), count


# ---------------------------------------------------------------- the subject and its projects


def _region_prefix(request: EvidenceRequest) -> str:
    return request.department.region.subtree_prefix


def _projects_in_scope(request: EvidenceRequest) -> QuerySet[Project]:
    """The projects the package names (in full or not: see `_scope`)."""
    projects = Project.objects.filter(region__code__startswith=_region_prefix(request))
    if request.subject_type == EvidenceSubject.ENTERPRISE:
        enterprise = request.enterprise_id
        return projects.filter(Q(general_contractor_id=enterprise) | Q(owner_id=enterprise)
                               | Q(Exists(Participation.objects.filter(project_id=OuterRef("pk"), enterprise_id=enterprise))))
    if request.subject_type == EvidenceSubject.PROJECT:
        return projects.filter(pk=request.project_id)
    return projects.filter(Exists(Employment.objects.filter(project_id=OuterRef("pk"), worker_id=request.worker_id)))


def _scope(request: EvidenceRequest, projects: list[Project]) -> EvidenceScope:
    ids = tuple(p.pk for p in projects)
    if request.subject_type == EvidenceSubject.PROJECT:
        return EvidenceScope(request, _region_prefix(request), ids, whole_project_ids=ids)
    if request.subject_type == EvidenceSubject.ENTERPRISE:  # in full only where it is the general contractor
        whole = tuple(p.pk for p in projects if p.general_contractor_id == request.enterprise_id)
        return EvidenceScope(request, _region_prefix(request), ids, whole_project_ids=whole, enterprise=request.enterprise)
    return EvidenceScope(request, _region_prefix(request), ids, worker=request.worker)


def _subject_summary(request: EvidenceRequest) -> dict:
    """The subject as the manifest (kept in the database too) names it: a person's ID number masked."""
    if request.subject_type == EvidenceSubject.ENTERPRISE:
        return {"type": "enterprise", "uscc": request.enterprise.uscc, "name": request.enterprise.name}
    if request.subject_type == EvidenceSubject.PROJECT:
        return {"type": "project", "code": request.project.code, "name": request.project.name}
    return {"type": "person", "id_number": mask(request.worker.id_number), "name": request.worker.name}


def _subject_detail(request: EvidenceRequest, projects: list[Project], scope: EvidenceScope) -> dict:
    """subject.json: the subject in full (unmasked) and the projects the package covers, each "whole" (every record of
    the project) or "own rows" (the subject's only)."""
    detail: dict = {"type": request.subject_type}
    if request.subject_type == EvidenceSubject.ENTERPRISE:
        e = request.enterprise
        detail["enterprise"] = {"uscc": e.uscc, "name": e.name, "kind": e.kind, "region": e.region.code if e.region_id else "",
                                "legal_representative": e.legal_representative}
    elif request.subject_type == EvidenceSubject.PROJECT:
        p = request.project
        detail["project"] = {"code": p.code, "name": p.name}
    else:
        w = request.worker
        detail["person"] = {"name": w.name, "id_number": w.id_number, "sex": w.sex, "ethnicity": w.ethnicity,
                            "birth_date": w.birth_date.isoformat(), "address": w.address, "phone": w.phone, "bank_card": w.bank_card,
                            "card_bank": w.bank_name}
        detail["employments"] = [
            {"project_code": e.project.code, "enterprise_uscc": e.enterprise.uscc, "enterprise_name": e.enterprise.name, "trade": e.trade,
             "entered_on": e.entered_on.isoformat(), "exited_on": e.exited_on.isoformat() if e.exited_on else None}
            for e in Employment.objects.filter(worker=w, project__in=projects).select_related("project", "enterprise")
            .order_by("entered_on", "id")]
    detail["projects"] = [
        {"code": p.code, "name": p.name, "county": p.region.code, "county_name": p.region.name, "industry": p.industry,
         "general_contractor_uscc": p.general_contractor.uscc, "general_contractor_name": p.general_contractor.name,
         "owner_uscc": p.owner.uscc, "owner_name": p.owner.name, "contract_amount": str(p.contract_amount), "status": p.status,
         "started_on": p.started_on.isoformat() if p.started_on else None,
         "planned_end": p.planned_end.isoformat() if p.planned_end else None,
         "coverage": "whole" if p.pk in scope.whole_project_ids else "own rows"}
        for p in projects]
    return detail


def _audit_label(request: EvidenceRequest) -> dict:
    """The request as its audit entries name it: a person by the masked ID number only (no name: the police who read
    the trail learn who it is only from the package, once approved)."""
    subject = _subject_summary(request)
    if request.subject_type == EvidenceSubject.PERSON:
        subject = {"type": "person", "id_number": subject["id_number"]}
    return {"case_number": request.case_number, "subject": subject}


# ---------------------------------------------------------------- services


def _text(value, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError("required", message, field_name)
    return value


def _find_subject(subject_type: str, prefix: str, *, enterprise_uscc: str, project_code: str, id_number: str) -> dict:
    """The subject, only if it has something in the police department's region; anything else is "not found" alike
    (whether it exists elsewhere is not told)."""
    if subject_type == EvidenceSubject.ENTERPRISE:
        code = re.sub(r"\s", "", enterprise_uscc or "").upper()
        in_region = Q(region__code__startswith=prefix) | Q(Exists(Participation.objects.filter(
            enterprise_id=OuterRef("pk"), project__region__code__startswith=prefix)))
        enterprise = Enterprise.objects.filter(in_region, uscc=code).first() if code else None
        if enterprise is None:
            raise ServiceError("not_found", _("No enterprise with this unified social credit code was found."), "enterprise_uscc")
        return {"enterprise": enterprise}
    if subject_type == EvidenceSubject.PROJECT:
        code = (project_code or "").strip()
        project = Project.objects.filter(code=code, region__code__startswith=prefix).first() if code else None
        if project is None:
            raise ServiceError("not_found", _("No project with this code was found."), "project_code")
        return {"project": project}
    worker = worker_by_id_number(id_number or "")
    if worker is None or not Employment.objects.filter(worker=worker, project__region__code__startswith=prefix).exists():
        raise ServiceError("not_found", _("No worker with this ID number was found."), "id_number")
    return {"worker": worker}


@service
def evidence_request(*, actor, subject_type: str, case_number: str, reason: str, enterprise_uscc: str = "", project_code: str = "",
                     id_number: str = "") -> EvidenceRequest:
    """The police ask for a package about an enterprise (by its USCC), a project (by its code) or a person (by ID
    number), for a case; HRSS decides."""
    access.require(actor, "evidence.request")
    if actor is None or not actor.department_id:  # a platform admin has no police department to ask for
        raise PermissionDenied(_(str(access.capability("evidence.request").message)))
    if subject_type not in EvidenceSubject.values:
        raise ServiceError("invalid_choice", _("Choose an enterprise, a project or a person."), "subject_type")
    case_number = _text(case_number, "case_number", _("Give the case number."))
    if len(case_number) > MAX_CASE_NUMBER:
        raise ServiceError("too_long", _("The case number is at most %(n)d characters.") % {"n": MAX_CASE_NUMBER}, "case_number")
    reason = _text(reason, "reason", _("Give the reason for the request."))
    subject = _find_subject(subject_type, actor.department.region.subtree_prefix, enterprise_uscc=enterprise_uscc,
                            project_code=project_code, id_number=id_number)
    request = EvidenceRequest.objects.create(requested_by=actor, department=actor.department, subject_type=subject_type,
                                             case_number=case_number, reason=reason, requested_at=clock.now(), **subject)
    audit.record(actor=actor, action="evidence.requested", obj=request, after=_audit_label(request), reason=reason)
    return request


def _decidable(actor, request: EvidenceRequest) -> EvidenceRequest:
    request = EvidenceRequest.objects.select_for_update().select_related("department__region").get(pk=request.pk)
    access.require(actor, "evidence.approve", request)
    if request.status != EvidenceStatus.REQUESTED:
        raise ServiceError("illegal_transition", _("This request has already been decided."), "status")
    return request


@service
def evidence_approve(*, actor, request: EvidenceRequest, note: str = "") -> EvidenceRequest:
    """HRSS approves: the package is built now (in this transaction) and the request is ready to download."""
    request = _decidable(actor, request)
    request.status, request.decided_by, request.decided_at = EvidenceStatus.APPROVED, actor, clock.now()
    request.decision_note = (note or "").strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(actor=actor, action="evidence.approved", obj=request, after=_audit_label(request), reason=request.decision_note)
    package_build(request)
    return request


@service
def evidence_reject(*, actor, request: EvidenceRequest, note: str) -> EvidenceRequest:
    request = _decidable(actor, request)
    note = _text(note, "note", _("A rejection needs its reason."))
    request.status, request.decided_by, request.decided_at, request.decision_note = EvidenceStatus.REJECTED, actor, clock.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(actor=actor, action="evidence.rejected", obj=request, after=_audit_label(request), reason=note)
    return request


def _chain_head() -> dict:
    head = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    return {"entry_id": head["id"], "hash": head["hash"]} if head else {"entry_id": None, "hash": audit.GENESIS}


def _zip(members: list[tuple[str, bytes]], moment) -> bytes:
    buffer = io.BytesIO()
    stamp = timezone.localtime(moment).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


@service
def package_build(request: EvidenceRequest) -> None:
    """Collect the records in scope, write the signed manifest, store the zip encrypted; the request becomes ready."""
    if request.status != EvidenceStatus.APPROVED:
        raise ServiceError("illegal_transition", _("Only an approved request has its package built."), "status")
    generated_at = clock.now()
    projects = list(_projects_in_scope(request).select_related("region", "general_contractor", "owner").order_by("code"))
    scope = _scope(request, projects)
    subject = json.dumps(_subject_detail(request, projects, scope), ensure_ascii=False, indent=2, sort_keys=True).encode()
    members, files = [(SUBJECT, subject)], [{"name": SUBJECT, "sm3": sm3_hex(subject), "bytes": len(subject), "rows": None}]
    for section in EVIDENCE_SECTIONS:
        data, rows = _csv(section.header, section.rows(scope))
        members.append((section.filename, data))
        files.append({"name": section.filename, "sm3": sm3_hex(data), "bytes": len(data), "rows": rows})
    region = request.department.region
    manifest = {
        "format": FORMAT, "request": request.pk, "case_number": request.case_number, "reason": request.reason,
        "department": {"name": str(request.department), "region": region.code},
        "requested_at": _local(request.requested_at), "approved_by": _actor(request.decided_by), "approved_at": _local(request.decided_at),
        "subject": _subject_summary(request), "region": {"code": region.code, "name": region.name},
        "generated_at": _local(generated_at), "audit_chain_head": _chain_head(),
        "sections": [s.name for s in EVIDENCE_SECTIONS], "csv": CSV_NOTE, "files": files,
    }
    manifest["signature"] = sign(manifest)
    members.append((MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()))
    package = _zip(members, generated_at)
    request.package.save(f"{uuid.uuid4().hex}.zip.sm4", ContentFile(encrypt_bytes(package)), save=False)
    request.package_sm3, request.manifest, request.built_at, request.status = sm3_hex(package), manifest, generated_at, EvidenceStatus.READY
    request.save(update_fields=["package", "package_sm3", "manifest", "built_at", "status"])
    audit.record(actor=None, action="evidence.built", obj=request,
                 after={"package_sm3": request.package_sm3, "files": {f["name"]: f["rows"] for f in files},
                        "audit_chain_head": manifest["audit_chain_head"]["entry_id"]})


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40]


@service
def evidence_download(*, actor, request: EvidenceRequest) -> tuple[bytes, str]:
    """The package (decrypted) and its file name, for the requesting police department; every download audited."""
    access.require(actor, "evidence.download", request)
    if request.status != EvidenceStatus.READY or not request.package:
        raise ServiceError("not_ready", _("The evidence package is not ready."), "status")
    try:
        with request.package.open("rb") as stored:
            data = decrypt_bytes(stored.read())
    except InvalidTag:  # the stored file was changed
        data = None
    if data is None or sm3_hex(data) != request.package_sm3:
        raise ServiceError("package_altered", _("The stored evidence package does not match its digest."), "package")
    audit.record(actor=actor, action="evidence.downloaded", obj=request, after={"package_sm3": request.package_sm3})
    case = _safe(request.case_number)
    return data, f"evidence-{case}-{request.pk}.zip" if case else f"evidence-{request.pk}.zip"


# ---------------------------------------------------------------- verification


@dataclass
class VerifyResult:
    ok: bool
    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None


MAX_MANIFEST_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")  # signature, version, flags, method, time, date, crc, sizes, name and extra lengths
_END_OF_DIRECTORY = struct.Struct("<4sHHHHLLH")  # signature, disks, entries (this disk, total), directory size and offset, comment
_LOCAL_SIGNATURE, _END_SIGNATURE, _ZIP64_LOCATOR_SIGNATURE = b"PK\x03\x04", b"PK\x05\x06", b"PK\x06\x07"
_FLAG_ENCRYPTED, _FLAG_DATA_DESCRIPTOR = 0x1, 0x8


def _shown(text) -> str:
    """A name or message from the archive as it may be printed: control characters (a terminal's escapes) escaped."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(text))


def _layout_problems(data: bytes, archive: zipfile.ZipFile) -> list[str]:
    """The archive exactly as we write it: the local entries back to back from byte 0, the central directory right
    after the last, then the end record and nothing more (no comment): no byte that no listed entry accounts for.
    zipfile reads only the central directory, so bytes before, between or after the entries would go unseen."""
    if len(data) < _END_OF_DIRECTORY.size:
        return ["not a zip archive"]
    end_at = len(data) - _END_OF_DIRECTORY.size
    signature, disk, directory_disk, on_disk, total, directory_size, directory_at, comment = _END_OF_DIRECTORY.unpack_from(data, end_at)
    if signature != _END_SIGNATURE or comment:
        return ["the archive has a comment or bytes after its end"]
    if (disk or directory_disk or on_disk != total or total != len(archive.infolist()) or 0xFFFFFFFF in (directory_size, directory_at)
            or data[max(end_at - 20, 0):end_at - 16] == _ZIP64_LOCATOR_SIGNATURE):
        return ["the archive's end record is not that of a single-part archive as we write it"]
    if directory_at + directory_size != end_at or getattr(archive, "start_dir", directory_at) != directory_at:
        return ["the archive has bytes before its entries or around its central directory that no entry accounts for"]
    problems, expected = [], 0
    for info in sorted(archive.infolist(), key=lambda i: i.header_offset):
        name = _shown(info.filename)
        if info.comment or info.extra:
            problems.append(f"{name}: a comment or an extra field in the central directory (not as we write it)")
            break
        if info.header_offset != expected:
            problems.append(f"{name}: bytes before the entry that no entry accounts for (at {expected}, entry at {info.header_offset})"
                            if info.header_offset > expected else f"{name}: overlaps the entry before it")
            break
        if info.header_offset + _LOCAL_HEADER.size > directory_at:
            problems.append(f"{name}: its local header is missing")
            break
        (signature, _version, flags, method, _time, _date, crc, compressed, size, name_length,
         extra_length) = _LOCAL_HEADER.unpack_from(data, info.header_offset)
        local_name = data[info.header_offset + _LOCAL_HEADER.size:info.header_offset + _LOCAL_HEADER.size + name_length]
        if signature != _LOCAL_SIGNATURE or local_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437"):
            problems.append(f"{name}: its local header does not match the central directory")
            break
        if extra_length:
            problems.append(f"{name}: an extra field in its local header (not as we write it)")
            break
        if flags & (_FLAG_ENCRYPTED | _FLAG_DATA_DESCRIPTOR) or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(f"{name}: encrypted, with a data descriptor or an unknown compression (not as we write it)")
            break
        if (crc, compressed, size, method) != (info.CRC, info.compress_size, info.file_size, info.compress_type):
            problems.append(f"{name}: its local header does not match the central directory")
            break
        expected = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + compressed
    else:
        if expected != directory_at:
            problems.append(f"the entries end at byte {expected}, the central directory starts at {directory_at}: "
                            "bytes that no entry accounts for")
    return problems


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """The member's bytes, streamed: None as soon as it is longer than `cap` (nothing more is decompressed)."""
    chunks, total = [], 0
    with archive.open(info) as member:
        while chunk := member.read(min(_CHUNK, cap + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                return None
    return b"".join(chunks)


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    mapping = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _manifest(archive: zipfile.ZipFile) -> tuple[dict | None, str]:
    """manifest.json, read with a size cap and parsed strictly (UTF-8, no duplicate key, no NaN), or the problem."""
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        return None, f"no {MANIFEST} in the archive"
    if info.file_size > MAX_MANIFEST_BYTES:
        return None, f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes"
    try:
        raw = _read_capped(archive, info, MAX_MANIFEST_BYTES)
        if raw is None:
            return None, f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes"
        text = raw.decode("utf-8")
        manifest = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_not_json)
    except UnicodeDecodeError:
        return None, f"{MANIFEST} is not UTF-8"
    except _DuplicateKey as key:
        return None, f"{MANIFEST} holds the key {_shown(repr(key.args[0]))} twice"
    except Exception as error:  # noqa: BLE001 - bad CRC or deflate, bad JSON, nesting too deep: a finding, not a crash
        return None, f"{MANIFEST} cannot be read ({_shown(error)})"
    if not isinstance(manifest, dict):
        return None, f"{MANIFEST} is not a manifest"
    try:
        json.dumps(manifest, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the JSON) is no Unicode text
        return None, f"{MANIFEST} holds text that is not valid Unicode"
    return manifest, ""


def _signature_problem(manifest: dict) -> str:
    signature = manifest.get("signature")
    if not isinstance(signature, dict):
        return "the manifest is not signed"
    algorithm = signature.get("algorithm")
    verifier = SIGNATURE_VERIFIERS.get(algorithm) if isinstance(algorithm, str) else None
    if verifier is None:
        return f"unknown signature algorithm {_shown(repr(algorithm))}"
    return verifier(manifest, signature)


def verify_package(data: bytes) -> VerifyResult:
    """The archive laid out as we write it (nothing hidden before, between or after its entries, no comment); the
    manifest (capped, strict JSON) signed by us; then every listed file present with its size and SM3, each read
    streamed and never past the size the signed manifest gives, and nothing unlisted. Nothing is decompressed before
    the layout and the manifest's signature are found good."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - whatever a damaged archive raises is a finding
        return VerifyResult(False, [f"not a readable evidence package: {_shown(error)}"])
    with archive:
        if problems := _layout_problems(data, archive):
            return VerifyResult(False, problems)
        names = [info.filename for info in archive.infolist()]
        if len(set(names)) != len(names):
            return VerifyResult(False, ["the archive holds two members of the same name"])
        manifest, problem = _manifest(archive)
        if manifest is None:
            return VerifyResult(False, [problem])
        problems = []
        if manifest.get("format") != FORMAT:
            problems.append(f"unknown format {_shown(repr(manifest.get('format')))} (expected {FORMAT!r})")
        if problem := _signature_problem(manifest):
            problems.append(problem)
        if problems:  # nothing the manifest says is to be trusted: no member is read on its word
            return VerifyResult(False, problems, manifest)
        problems += _member_problems(archive, manifest)
    return VerifyResult(not problems, problems, manifest)


def _member_problems(archive: zipfile.ZipFile, manifest: dict) -> list[str]:
    problems, listed, entries = [], set(), manifest.get("files")
    if not isinstance(entries, list):
        problems.append("the manifest lists no files")
        entries = []
    for entry in entries:
        name, size = (entry.get("name"), entry.get("bytes")) if isinstance(entry, dict) else (None, None)
        if not isinstance(name, str) or type(size) is not int or size < 0 or name == MANIFEST or name in listed:
            problems.append(f"a malformed file entry in the manifest: {_shown(repr(entry))}")
            continue
        listed.add(name)
        try:
            info = archive.getinfo(name)
        except KeyError:
            problems.append(f"{_shown(name)}: listed in the manifest but missing")
            continue
        if info.file_size != size:
            problems.append(f"{_shown(name)}: {info.file_size} bytes, the manifest says {size}")
            continue
        try:
            content = _read_capped(archive, info, size)
        except Exception as error:  # noqa: BLE001 - a damaged member (bad CRC, bad deflate stream) is a finding, not a crash
            problems.append(f"{_shown(name)}: cannot be read ({_shown(error)})")
            continue
        if content is None or len(content) != size:
            problems.append(f"{_shown(name)}: not the {size} bytes the manifest says")
        elif sm3_hex(content) != entry.get("sm3"):
            problems.append(f"{_shown(name)}: SM3 digest does not match the manifest (file altered)")
    names = {info.filename for info in archive.infolist()}
    problems += [f"{_shown(name)}: not listed in the manifest" for name in sorted(names - listed - {MANIFEST})]
    return problems


# ---------------------------------------------------------------- selectors


def evidence_list(*, user) -> QuerySet[EvidenceRequest]:
    return (EvidenceRequest.objects.visible_to(user)
            .select_related("requested_by", "department__region", "enterprise", "project", "worker", "decided_by"))


def evidence_get(*, user, pk: int) -> EvidenceRequest:
    request = evidence_list(user=user).filter(pk=pk).first()
    if request is None:
        raise NotFound(_("No such evidence request."))
    return request


def evidence_history(request: EvidenceRequest) -> QuerySet[AuditEntry]:
    """The request's audit entries (requested, decided, built, each download), oldest first."""
    entries = AuditEntry.objects.filter(object_type=EvidenceRequest._meta.label_lower, object_id=str(request.pk))
    return entries.select_related("actor").order_by("id")
