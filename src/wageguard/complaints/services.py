"""Write paths of complaints: filing (the worker, or an official recording a call or a visit), the handling steps,
the enterprise's answer, and escalation past the deadline. Each one transaction, a step in the history and an entry
in the audit chain."""
from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wageguard.alerts import services as alert_services
from wageguard.core import access, audit, clock, events, files, months, rules
from wageguard.core.errors import ServiceError
from wageguard.core.models import INDUSTRY_AGENCY, Agency, Department
from wageguard.core.transactions import service
from wageguard.core.workdays import end_of_working_day
from wageguard.core.pii import blind_index
from wageguard.registry.models import Worker
from wageguard.registry.validators import validate_id_number, validate_phone

from . import records
from .models import OPEN_STATUSES, Channel, Complaint, ComplaintAction, ComplaintKind, ComplaintStatus, Step

MAX_FILES = 3
LEVELS = ["county", "city", "province"]


def due_at(region, start: datetime.datetime) -> datetime.datetime:
    """The end of the SLA's last working day (the region's own SLA if it set one)."""
    return end_of_working_day(timezone.localdate(start), int(rules.value("complaint.sla_working_days", region)))


def _region_at(region, level: str):
    while region.level != level and region.parent is not None:
        region = region.parent
    return region


MAX_PER_DAY = 3  # complaints per worker a day


def _not_again(worker, project, wanted: list[str]) -> None:
    """One open complaint per worker, project and month (a later one adds nothing but a second deadline), and a
    few a day: a flood would bury the real ones."""
    open_ones = Complaint.objects.filter(worker=worker, project=project, status__in=OPEN_STATUSES)
    for complaint in open_ones:
        if set(complaint.months) & set(wanted) or (not wanted and not complaint.months):
            raise ServiceError("already_open", _("Complaint no. %(id)d about this month is still being handled.") % {"id": complaint.pk}, "months")
    since = clock.now() - datetime.timedelta(days=1)
    if worker is not None and Complaint.objects.filter(worker=worker, filed_at__gte=since).count() >= MAX_PER_DAY:
        raise ServiceError("too_many", _("At most %(n)d complaints a day.") % {"n": MAX_PER_DAY}, "months", status=429)


def clean_kinds(kinds) -> list[str]:
    kinds = [k for k in dict.fromkeys(kinds or []) if k]
    if not kinds:
        raise ServiceError("required", _("Choose what the complaint is about."), "kinds")
    unknown = [k for k in kinds if k not in ComplaintKind.values]
    if unknown:
        raise ServiceError("invalid_choice", _("Unknown kind of complaint."), "kinds")
    return kinds


def clean_months(values) -> list[str]:
    wanted = sorted({m for m in (values or []) if m})
    if any(not months.is_month(m) for m in wanted):
        raise ServiceError("invalid_month", _("A month is written YYYY-MM."), "months")
    if any(m > months.of(clock.localdate()) for m in wanted):
        raise ServiceError("future_month", _("A month cannot lie in the future."), "months")
    if len(wanted) > records.RECENT_MONTHS:
        raise ServiceError("too_many", _("At most %(n)d months per complaint.") % {"n": records.RECENT_MONTHS}, "months")
    return wanted


@service
def complaint_file(*, actor, project, kinds, months_claimed=(), text: str = "", uploads=(), worker=None,
                   channel: str = Channel.APP) -> Complaint:
    """A complaint about a project the worker worked on: the worker's own from the app, or one an official of the
    labour inspection records for a worker who called or came in. Pre-filled with the worker's facts, screened at
    once, routed to the labour inspection of the project's county with the industry department copied."""
    if channel == Channel.APP:
        access.require(actor, "complaint.file", project)
        worker = actor.worker
    else:
        access.require(actor, "complaint.record", project)
        if channel not in (Channel.PHONE, Channel.COUNTER):
            raise ServiceError("invalid_choice", _("Unknown channel."), "channel")
    employment = records.employment_of(worker, project)
    if employment is None:  # one answer for an unknown ID number and one not on the project
        raise ServiceError("not_found", _("The worker is not registered on this project."), "id_number")
    kinds, wanted = clean_kinds(kinds), clean_months(months_claimed)
    _not_again(worker, project, wanted)
    if len(uploads) > MAX_FILES:
        raise ServiceError("too_many", _("At most %(n)d files.") % {"n": MAX_FILES}, "files")
    accepted = [files.accept(upload, "complaint_evidence", _("The file"), "files") for upload in uploads]
    now = clock.now()
    region = project.region
    with translation.override(settings.LANGUAGE_CODE):  # the facts and verdicts are kept in the platform's language
        facts, screening = records.prefill(worker, project, wanted), records.screen(worker=worker, project=project, kinds=kinds, wanted=wanted)
    complaint = Complaint.objects.create(
        worker=worker, project=project, enterprise=employment.enterprise, kinds=kinds, months=wanted, text=(text or "").strip()[:4000],
        channel=channel, facts=facts, screening=screening, region=region,
        department=Department.objects.get(region=region, agency=Agency.HRSS),
        copied=Department.objects.get(region=region, agency=INDUSTRY_AGENCY[project.industry]),
        filed_at=now, due_at=due_at(region, now), recorded_by=actor if channel != Channel.APP else None)
    ComplaintAction.objects.create(complaint=complaint, at=now, actor=actor, step=Step.FILED, note=complaint.text)
    for upload, kind in zip(uploads, accepted):
        action = ComplaintAction(complaint=complaint, at=now, actor=actor, step=Step.FILED, attachment_type=kind.content_type)
        action.attachment.save(kind.name, upload, save=False)
        action.save()
    _back_arrears(complaint)
    audit.record(actor=actor, action="complaint.filed", obj=complaint,
                 after={"project": project.pk, "enterprise": complaint.enterprise_id, "kinds": kinds, "months": wanted, "channel": channel,
                        "verdicts": [v["verdict"] for v in complaint.screening]})
    events.emit(events.COMPLAINT_CHANGED, project_ids={complaint.project_id})
    return complaint


@service
def complaint_from_board(*, project, name: str, id_number: str, phone: str, kinds, months_claimed=(), text: str = "") -> Complaint:
    """A complaint from the project's notice board, without an account (the phone proven by a code before this is
    called). A person registered on the project complains as that worker; anyone else is known by what they typed,
    and the general contractor answers (it answers for every wage on its project). The answer is the same either
    way: nothing tells whether an ID number is registered."""
    name = (name or "").strip()[:64]
    if not name:
        raise ServiceError("required", _("Give your name."), "name")
    id_number, phone = validate_id_number(id_number, "id_number"), validate_phone(phone, "phone")
    kinds, wanted = clean_kinds(kinds), clean_months(months_claimed)
    # A registered worker is named only when the phone just proven is the one registered for them: whoever holds a
    # copy of an ID card cannot complain in that worker's name.
    worker = Worker.objects.filter(id_number_index=blind_index(id_number), phone_index=blind_index(phone)).first()
    employment = records.employment_of(worker, project)
    worker = worker if employment else None
    _not_again(worker, project, wanted) if worker else None
    now, region = clock.now(), project.region
    with translation.override(settings.LANGUAGE_CODE):
        facts, screening = records.prefill(worker, project, wanted), records.screen(worker=worker, project=project, kinds=kinds, wanted=wanted)
    complaint = Complaint.objects.create(
        worker=worker, complainant_name=name, complainant_id_number=id_number, complainant_phone=phone, project=project,
        enterprise=employment.enterprise if employment else project.general_contractor, kinds=kinds, months=wanted,
        text=(text or "").strip()[:4000], channel=Channel.BOARD, facts=facts, screening=screening, region=region,
        department=Department.objects.get(region=region, agency=Agency.HRSS),
        copied=Department.objects.get(region=region, agency=INDUSTRY_AGENCY[project.industry]), filed_at=now, due_at=due_at(region, now))
    ComplaintAction.objects.create(complaint=complaint, at=now, step=Step.FILED, note=complaint.text)
    _back_arrears(complaint)
    audit.record(actor=None, action="complaint.filed", obj=complaint, after={"project": project.pk, "channel": Channel.BOARD, "kinds": kinds,
                                                                            "months": wanted, "registered": worker is not None})
    events.emit(events.COMPLAINT_CHANGED, project_ids={complaint.project_id})
    return complaint


def _back_arrears(complaint: Complaint) -> None:
    """Each month of unpaid wages the records support makes that month's open arrears alert more urgent."""
    for verdict in complaint.screening:
        if verdict["claim"] == ComplaintKind.UNPAID and verdict["verdict"] == records.SUPPORTED and verdict["month"]:
            alert_services.arrears_backed_by_complaint(project_id=complaint.project_id, enterprise_id=complaint.enterprise_id,
                                                       month=verdict["month"], complaint_id=complaint.pk)


# What each handling step does: the statuses it may follow, the status it leads to, whether it needs a note.
TRANSITIONS = {
    Step.ACCEPTED: ((ComplaintStatus.SUBMITTED,), ComplaintStatus.ACCEPTED, False),
    Step.INVESTIGATING: ((ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED), ComplaintStatus.INVESTIGATING, False),
    Step.MEDIATED: ((ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING), ComplaintStatus.MEDIATED, True),
    Step.RESOLVED: (OPEN_STATUSES, ComplaintStatus.RESOLVED, True),
    Step.ARBITRATION: (OPEN_STATUSES, ComplaintStatus.ARBITRATION, True),
    Step.REJECTED: (OPEN_STATUSES, ComplaintStatus.REJECTED, True),
}
CLOSING = (Step.RESOLVED, Step.ARBITRATION, Step.REJECTED)


@service
def complaint_step(*, actor, complaint: Complaint, step: str, note: str = "") -> Complaint:
    """A handling step by the labour inspection handling it now (or above); the worker sees each one."""
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("department__region").get(pk=complaint.pk)
    access.require(actor, "complaint.handle", complaint)
    if step not in TRANSITIONS:
        raise ServiceError("invalid_choice", _("Unknown step."), "step")
    sources, target, needs_note = TRANSITIONS[step]
    if complaint.status not in sources:
        raise ServiceError("illegal_transition", _("A complaint that is %(status)s cannot be %(step)s.") % {
            "status": complaint.get_status_display(), "step": Step(step).label}, "status")
    note = (note or "").strip()
    if needs_note and not note:
        raise ServiceError("required", _("Give the outcome or the reason; the worker reads it."), "note")
    before, now = complaint.status, clock.now()
    complaint.status = target
    if step in CLOSING:
        complaint.closed_at = now
    complaint.save(update_fields=["status", "closed_at"])
    ComplaintAction.objects.create(complaint=complaint, at=now, actor=actor, step=step, note=note)
    audit.record(actor=actor, action=f"complaint.{step}", obj=complaint, before={"status": before}, after={"status": target, "note": note})
    return complaint


@service
def complaint_answer(*, actor, complaint: Complaint, note: str, attachment=None) -> ComplaintAction:
    """The enterprise named answers (with evidence); the status does not change."""
    access.require(actor, "complaint.answer", complaint)
    if not complaint.is_open:
        raise ServiceError("closed", _("The complaint is closed."), "note")
    note = (note or "").strip()
    if not note:
        raise ServiceError("required", _("The answer needs an explanation."), "note")
    action = ComplaintAction(complaint=complaint, at=clock.now(), actor=actor, step=Step.ANSWERED, note=note)
    if attachment is not None:
        accepted = files.accept(attachment, "complaint_evidence", _("The attachment"), "attachment")
        action.attachment_type = accepted.content_type
        action.attachment.save(accepted.name, attachment, save=False)
    action.save()
    audit.record(actor=actor, action="complaint.answered", obj=complaint, after={"note": note, "attachment": bool(attachment)})
    return action


@service
def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Complaints not closed by their deadline go up a level (county → city → province), with a new deadline."""
    now = now or clock.now()
    moved = 0
    for complaint in (Complaint.objects.select_for_update(of=("self",)).filter(status__in=OPEN_STATUSES, due_at__lt=now)
                      .exclude(level="province").select_related("region__parent__parent", "department")):
        level = LEVELS[LEVELS.index(complaint.level) + 1]
        before = str(complaint.department)
        complaint.level = level
        complaint.department = Department.objects.get(region=_region_at(complaint.region, level), agency=Agency.HRSS)
        complaint.due_at = due_at(complaint.region, now)
        complaint.save(update_fields=["level", "department", "due_at"])
        note = _("Not handled in time at %(before)s; escalated to %(after)s.") % {"before": before, "after": str(complaint.department)}
        ComplaintAction.objects.create(complaint=complaint, at=now, step=Step.ESCALATED, note=note)
        audit.record(actor=None, action="complaint.escalated", obj=complaint, after={"level": level, "department": complaint.department_id})
        moved += 1
    return moved
