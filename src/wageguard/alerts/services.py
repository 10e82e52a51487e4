"""Handling an alert to closure: open → assigned → in_progress → resolved / dismissed, each step an
`AlertAction`; the enterprise concerned answers with an explanation and attachments. Every write here is one
transaction and is audited."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core import access, audit, clock
from wageguard.core.errors import ServiceError
from wageguard.core import files
from wageguard.core.transactions import service
from wageguard.core.workdays import end_of_working_day

from . import engine
from .models import OPEN_STATUSES, ActionKind, Alert, AlertAction, AlertStatus

TRANSITIONS = {
    ActionKind.ASSIGNED: (AlertStatus.OPEN, AlertStatus.ASSIGNED, AlertStatus.IN_PROGRESS),
    ActionKind.STARTED: (AlertStatus.OPEN, AlertStatus.ASSIGNED),
    ActionKind.RESOLVED: OPEN_STATUSES,
    ActionKind.DISMISSED: OPEN_STATUSES,
}
TARGET = {ActionKind.ASSIGNED: AlertStatus.ASSIGNED, ActionKind.STARTED: AlertStatus.IN_PROGRESS,
          ActionKind.RESOLVED: AlertStatus.RESOLVED, ActionKind.DISMISSED: AlertStatus.DISMISSED}


def _step(actor, alert: Alert, kind: str, note: str = "", assignee=None) -> Alert:
    alert = Alert.objects.select_for_update().select_related("department__region").get(pk=alert.pk)
    access.require(actor, "alert.handle", alert)
    if alert.status not in TRANSITIONS[kind]:
        raise ServiceError("illegal_transition", _("An alert that is %(status)s cannot be %(step)s.") % {
            "status": alert.get_status_display(), "step": ActionKind(kind).label}, "status")
    note = (note or "").strip()
    closing = kind in (ActionKind.RESOLVED, ActionKind.DISMISSED)
    if closing and not note:
        raise ServiceError("required", _("Closing an alert needs its reason."), "note")
    now, before = clock.now(), alert.status
    if closing:
        engine.close(alert, TARGET[kind], kind, note, actor, now)
    else:
        alert.status, alert.updated_at = TARGET[kind], now
        if assignee is not None:
            alert.assignee = assignee
        alert.save(update_fields=["status", "updated_at", "assignee"])
        AlertAction.objects.create(alert=alert, at=now, actor=actor, kind=kind, note=note, from_status=before, to_status=alert.status)
    audit.record(actor=actor, action=f"alert.{kind}", obj=alert, before={"status": before},
                 after={"status": alert.status, "note": note, "assignee": getattr(assignee, "username", None)})
    return alert


@service
def alert_assign(*, actor, alert: Alert, assignee) -> Alert:
    access.require(actor, "alert.handle", alert)
    if not access.can(assignee, "alert.handle", alert) or assignee.is_platform_admin and not actor.is_platform_admin:
        raise ServiceError("invalid_assignee", _("The assignee must be an official of the handling department."), "assignee")
    return _step(actor, alert, ActionKind.ASSIGNED, assignee=assignee)


@service
def alert_start(*, actor, alert: Alert, note: str = "") -> Alert:
    return _step(actor, alert, ActionKind.STARTED, note)


@service
def alert_resolve(*, actor, alert: Alert, note: str) -> Alert:
    return _step(actor, alert, ActionKind.RESOLVED, note)


@service
def alert_dismiss(*, actor, alert: Alert, note: str) -> Alert:
    return _step(actor, alert, ActionKind.DISMISSED, note)


@service
def alert_answer(*, actor, alert: Alert, note: str, attachment=None) -> AlertAction:
    """The enterprise concerned explains (and may attach evidence); the status does not change."""
    access.require(actor, "alert.answer", alert)
    if not (note or "").strip():
        raise ServiceError("required", _("The answer needs an explanation."), "note")
    action = AlertAction(alert=alert, at=clock.now(), actor=actor, kind=ActionKind.ANSWERED, note=note.strip(),
                         from_status=alert.status, to_status=alert.status)
    if attachment is not None:
        accepted = files.accept(attachment, "alert_answer", _("The attachment"), "attachment")
        action.attachment_type = accepted.content_type
        action.attachment.save(accepted.name, attachment, save=False)
    action.save()
    audit.record(actor=actor, action="alert.answered", obj=alert, after={"note": note.strip(), "attachment": bool(attachment)})
    return action


@service
def arrears_backed_by_complaint(*, project_id: int, enterprise_id: int, month: str, complaint_id: int) -> Alert | None:
    """A worker's complaint that the records support makes the open arrears alert of that project and month more
    urgent: the complaint is named in its facts, and it is due by the end of the next working day if not sooner."""
    alert = (Alert.objects.select_for_update().filter(rule="arrears", project_id=project_id, enterprise_id=enterprise_id, period=month,
                                                     status__in=OPEN_STATUSES)
             .select_related("region").first())
    if alert is None or complaint_id in alert.facts.get("complaints", []):
        return alert
    now = clock.now()
    alert.facts = {**alert.facts, "complaints": [*alert.facts.get("complaints", []), complaint_id][-20:]}
    alert.due_at = min(alert.due_at, end_of_working_day(timezone.localdate(now), 1))
    alert.updated_at = now
    alert.save(update_fields=["facts", "due_at", "updated_at"])
    AlertAction.objects.create(alert=alert, at=now, kind=ActionKind.UPDATED, to_status=alert.status,
                               note=_("A worker's complaint (no. %(id)d) that the records support: handle it first.") % {"id": complaint_id})
    audit.record(actor=None, action="alert.backed_by_complaint", obj=alert, after={"complaint": complaint_id, "due_at": alert.due_at.isoformat()})
    return alert
