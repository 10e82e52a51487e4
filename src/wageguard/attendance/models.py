from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    IN = "in", _("in")
    OUT = "out", _("out")
    UNKNOWN = "unknown", _("unknown")


class Method(models.TextChoices):
    FACE = "face", _("face")
    CARD = "card", _("card")
    FINGERPRINT = "fingerprint", _("fingerprint")
    MANUAL = "manual", _("manual")
    SUPPLEMENTARY = "supplementary", _("supplementary")


MANUAL_METHODS = (Method.MANUAL, Method.SUPPLEMENTARY)

# Reason codes of rejected records (the API answers the code; pages show the words).
REJECTION_REASONS = {
    "required": _("a required field is missing"),
    "invalid_value": _("invalid value"),
    "too_long": _("value too long"),
    "invalid_id_number": _("invalid ID number"),
    "invalid_datetime": _("time missing, invalid or without its UTC offset"),
    "invalid_choice": _("not one of the allowed values"),
    "unknown_project": _("unknown project code"),
    "clock_drift": _("device clock ahead: more than 10 minutes in the future"),
    "not_registered": _("not on the project's roster on that day (no real-name registration)"),
    "batch_rejected": _("batch refused as a whole because of another record"),
}


class BatchProjectCount(models.Model):
    """A batch's verdicts per project: what a person may see of a sender is what it sent for their projects."""

    batch = models.ForeignKey("exchange.IngestionBatch", on_delete=models.CASCADE, related_name="project_counts")
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()  # the batch's, repeated so that a period filter needs no join
    accepted = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "project"], name="batchprojectcount_unique")]
        indexes = [models.Index(fields=["project", "received_at"], name="batchcount_project_time")]


class IngestionRejection(models.Model):
    """A rejected record, kept so that officials see what was refused and why (e.g. not_registered)."""

    batch = models.ForeignKey("exchange.IngestionBatch", on_delete=models.CASCADE, related_name="rejections")
    client_record_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=32, db_index=True)
    field = models.CharField(max_length=32, blank=True)
    project = models.ForeignKey("registry.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey("registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    id_number_masked = models.CharField(max_length=18, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)


class AttendanceRecord(models.Model):
    """One raw punch, append-only; a repeated punch (worker, device, occurred_at) is a duplicate.

    On PostgreSQL the table is partitioned by month of `occurred_at` (migration 0002, task
    `attendance_partitions_ensure`); nothing references it by foreign key.
    """

    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    device_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    day = models.DateField()  # local (Asia/Shanghai) date of occurred_at: what rollups and checks read
    direction = models.CharField(max_length=8, choices=Direction.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    face_hash = models.CharField(max_length=128, blank=True)
    card_hash = models.CharField(max_length=128, blank=True)
    liveness_score = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField()
    is_late = models.BooleanField(default=False)
    sender = models.ForeignKey("exchange.ApiClient", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    batch = models.ForeignKey("exchange.IngestionBatch", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    client_record_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["worker", "device_id", "occurred_at"], name="attendancerecord_punch_unique"),
        ]
        indexes = [
            models.Index(fields=["project", "day"], name="attrec_project_day"),
            models.Index(fields=["card_hash", "occurred_at"], name="attrec_card_time"),
            models.Index(fields=["face_hash", "occurred_at"], name="attrec_face_time"),
            models.Index(fields=["worker", "day"], name="attrec_worker_day"),
        ]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")


class AttendanceDay(models.Model):
    """One worker, one project, one day: maintained from the raw punches in the ingest transaction."""

    # no index of their own: the unique (worker, project, day) and (project, day) indexes lead with them
    worker = models.ForeignKey("registry.Worker", on_delete=models.PROTECT, related_name="attendance_days", db_index=False)
    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="attendance_days", db_index=False)
    day = models.DateField()
    first_in = models.DateTimeField(null=True, blank=True)
    last_out = models.DateTimeField(null=True, blank=True)
    last_punch_at = models.DateTimeField()
    last_direction = models.CharField(max_length=8, choices=Direction.choices)
    punches = models.PositiveIntegerField()
    methods = models.CharField(max_length=80)  # sorted, comma-separated
    has_manual = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "project", "day"], name="attendanceday_unique")]
        indexes = [models.Index(fields=["project", "day"], name="attday_project_day")]
        verbose_name = _("attendance day")
        verbose_name_plural = _("attendance days")

    @property
    def on_site(self) -> bool:
        return self.last_direction != Direction.OUT


class GateDevice(models.Model):
    """A gate device as seen from its punches: its project, sender and last punch."""

    project = models.ForeignKey("registry.Project", on_delete=models.PROTECT, related_name="gate_devices")
    device_id = models.CharField(max_length=64)
    sender = models.ForeignKey("exchange.ApiClient", null=True, on_delete=models.PROTECT, related_name="devices")
    last_punch_at = models.DateTimeField()
    last_received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "device_id"], name="gatedevice_unique")]
