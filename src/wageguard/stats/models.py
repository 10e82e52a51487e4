"""The statistics' rollup tables. A `ProjectMonth` row holds one project's counts for one month, derived from the
other apps' records only (never from the clock: the same data give the same row, whenever it is computed); a
`Cell` sums them by county × industry × month. Pages read cells (and, for the list behind a number, project
months); `rollup.refresh` keeps both current from the domain events and `wageguard stats_rebuild` recomputes them
from scratch, with the same code."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2, "default": 0}


class Counts(models.Model):
    """The counted columns, one per measure of `indicators.MEASURES` (same names)."""

    projects = models.IntegerField(default=0)
    qualifying = models.IntegerField(default=0)
    onboarded = models.IntegerField(default=0)
    accounts_opened = models.IntegerField(default=0)
    accounts_in_time = models.IntegerField(default=0)
    labour_cost_short = models.IntegerField(default=0)
    employments = models.IntegerField(default=0)
    contracts = models.IntegerField(default=0)
    real_name = models.IntegerField(default=0)
    attended = models.IntegerField(default=0)
    ledger_lines = models.IntegerField(default=0)
    lines_paid = models.IntegerField(default=0)
    lines_failed = models.IntegerField(default=0)
    net_due = models.DecimalField(**MONEY)
    net_paid = models.DecimalField(**MONEY)
    unpaid_net = models.DecimalField(**MONEY)
    balance = models.DecimalField(**MONEY)
    unpaid_workers = models.IntegerField(default=0)
    projects_unpaid = models.IntegerField(default=0)
    alerts_raised = models.IntegerField(default=0)
    alerts_in_time = models.IntegerField(default=0)
    alerts_late = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)
    credit_records = models.IntegerField(default=0)
    records_received = models.IntegerField(default=0)
    records_late = models.IntegerField(default=0)
    records_rejected = models.IntegerField(default=0)

    class Meta:
        abstract = True


class ProjectMonth(Counts):
    project_id = models.BigIntegerField()  # registry.Project (no FK: the rollup never holds a project back)
    month = models.CharField(max_length=7)
    county = models.CharField(max_length=12)  # the project's county code (GB/T 2260: prefixes give city and province)
    industry = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project_id", "month"], name="stats_project_month_unique")]
        indexes = [models.Index(fields=["month", "county", "industry"], name="stats_pm_month_area")]
        verbose_name = _("project month")


class Cell(Counts):
    county = models.CharField(max_length=12)
    industry = models.CharField(max_length=16)
    month = models.CharField(max_length=7)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "industry", "month"], name="stats_cell_unique")]
        indexes = [models.Index(fields=["month", "county"], name="stats_cell_month_county")]
        verbose_name = _("statistics cell")


class SenderMonth(models.Model):
    """Data timeliness per sender: what one sender (a gate system's client, a bank) delivered for one project in a
    month (by the month received), how much of it late (after the one-day deadline) and refused. Kept with the
    project's month rows."""

    project_id = models.BigIntegerField()
    month = models.CharField(max_length=7)
    county = models.CharField(max_length=12)
    industry = models.CharField(max_length=16)
    sender = models.CharField(max_length=24)  # "gate:<api client id>" or "bank:<bank id>"
    received = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project_id", "month", "sender"], name="stats_sender_month_unique")]
        indexes = [models.Index(fields=["month", "county", "industry"], name="stats_sm_month_area")]


class MonthlyReport(models.Model):
    """通报: a city's (or the province's) month, as generated on the 1st of the next month, in Excel and PDF. A
    report generated again is a new version: the one an official has signed stays as it was."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    month = models.CharField(_("month"), max_length=7)
    version = models.PositiveIntegerField(_("version"), default=1)
    generated_at = models.DateTimeField(_("generated at"))
    figures = models.JSONField(default=dict)  # what the report says, for the page and for tests
    xlsx = models.BinaryField()
    pdf = models.BinaryField()

    class Meta:
        ordering = ["-month", "region__code", "-version"]
        constraints = [models.UniqueConstraint(fields=["region", "month", "version"], name="stats_report_version_unique")]
        verbose_name = _("monthly report")


class RiskScore(models.Model):
    """预警预测: a project's risk of arrears in the month after `month`, from the signals of `month`, explained."""

    project_id = models.BigIntegerField()
    month = models.CharField(max_length=7)  # the month whose signals were read
    score = models.DecimalField(max_digits=6, decimal_places=4)  # 0..1
    parts = models.JSONField(default=dict)  # signal -> {"value": 0..1, "points": contribution}
    county = models.CharField(max_length=12)
    industry = models.CharField(max_length=16)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project_id", "month"], name="stats_risk_unique")]
        indexes = [models.Index(fields=["month", "score"], name="stats_risk_month_score")]
