"""Alerts raised by the rules (`catalogue.py`) and each step of their handling.

One open alert per (rule, subject, period): a re-evaluation updates its facts; a condition that clears
resolves it automatically with the reason recorded. Alerts are never deleted.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wageguard.core import access
from wageguard.core.access import ACCOUNT_RULES  # noqa: F401 - the alerts PBOC sees
from wageguard.core.models import Region
from wageguard.registry.querysets import ScopedQuerySet


class Severity(models.TextChoices):
    RED = "red", _("red")
    YELLOW = "yellow", _("yellow")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    DISMISSED = "dismissed", _("dismissed")


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ASSIGNED, AlertStatus.IN_PROGRESS)


class Level(models.TextChoices):
    """Where an alert is being handled: the county first, then escalated to the city, then the province."""
    COUNTY = "county", _("county")
    CITY = "city", _("city")
    PROVINCE = "province", _("province")


class ActionKind(models.TextChoices):
    RAISED = "raised", _("raised")
    UPDATED = "updated", _("facts updated")
    ASSIGNED = "assigned", _("assigned")
    STARTED = "started", _("handling started")
    ANSWERED = "answered", _("enterprise answered")
    ESCALATED = "escalated", _("escalated")
    RESOLVED = "resolved", _("resolved")
    DISMISSED = "dismissed", _("dismissed")
    AUTO_RESOLVED = "auto_resolved", _("resolved automatically")


class AlertQuerySet(ScopedQuerySet):
    """Officials: the alerts of the projects they supervise (their region's subtree, their agency's industries;
    PBOC only the account rules); an enterprise: alerts about itself or about projects it contracts generally;
    a wage officer: those of its project and enterprise. Workers and banks: none."""

    def delete(self):
        raise PermissionError("alerts are never deleted")

    scope = staticmethod(access.alert_q)




class Alert(models.Model):
    rule = models.CharField(_("rule"), max_length=40, db_index=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    subject_type = models.CharField(_("subject"), max_length=16)
    subject_id = models.CharField(max_length=64)
    period = models.CharField(_("period"), max_length=10, blank=True)  # YYYY-MM or YYYY-MM-DD, or "" for a standing condition
    project = models.ForeignKey("registry.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    enterprise = models.ForeignKey("registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    worker = models.ForeignKey("registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="alerts")  # the project's county: routing and the heat map
    industry = models.CharField(_("industry"), max_length=16, blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="alerts")  # handling it now
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.COUNTY)
    facts = models.JSONField(_("facts"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField()
    due_at = models.DateTimeField(_("due"))  # handled by then, or escalated
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    closed_automatically = models.BooleanField(default=False)  # the rule found the condition cleared

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "subject_type", "subject_id", "period"],
                                               condition=Q(status__in=["open", "assigned", "in_progress"]), name="alert_one_open")]
        indexes = [models.Index(fields=["department", "status"], name="alert_department_status"),
                   models.Index(fields=["status", "due_at"], name="alert_status_due"),
                   models.Index(fields=["project", "rule"], name="alert_project_rule")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_type}:{self.subject_id} {self.period}"

    def delete(self, *args, **kwargs):
        raise PermissionError("alerts are never deleted")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AlertAction(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="actions")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("action"), max_length=16, choices=ActionKind.choices)
    note = models.TextField(_("note"), blank=True)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    attachment = models.FileField(_("attachment"), upload_to="alerts/%Y/%m/", blank=True)
    attachment_type = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert action")
        verbose_name_plural = _("alert actions")
