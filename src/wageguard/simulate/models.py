from django.db import models


class SimulationRun(models.Model):
    """A generated province: running the same parameters again is a no-op."""

    seed = models.IntegerField()
    params = models.JSONField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    labels = models.PositiveIntegerField(default=0)
    today = models.DateField(null=True, blank=True)  # the generation's "today": anchors later catch-ups
    attendance_until = models.DateTimeField(null=True, blank=True)  # punches up to here have been delivered

    class Meta:
        ordering = ["-started_at"]
