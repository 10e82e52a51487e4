"""Background work of the registry (Huey)."""
from __future__ import annotations

from django.core.cache import cache
from huey.contrib.djhuey import db_task

from wageguard.core import clock
from wageguard.core.errors import ValidationFailed

from . import excel
from .models import ImportJob, ImportStatus


def progress_key(job_id: int) -> str:
    return f"registry:import:{job_id}"


def import_progress(job: ImportJob) -> dict:
    """Live progress from the cache (the import's own transaction is not visible until it commits)."""
    return cache.get(progress_key(job.pk)) or {"phase": job.status, "done": job.processed_rows, "total": job.total_rows}


@db_task()
def run_roster_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("project", "uploaded_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.RUNNING)

    def progress(phase: str, done: int, total: int) -> None:
        cache.set(progress_key(job_id), {"phase": phase, "done": done, "total": total}, timeout=3600)

    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        result = excel.import_roster(actor=job.uploaded_by, project=job.project, data=data, progress=progress)
    except ValidationFailed as failed:
        errors = [e.as_dict() | {"detail": str(e.message)} for e in failed.errors]
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, errors=errors, finished_at=clock.now())
    else:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.DONE, total_rows=result.rows, processed_rows=result.rows,
                                                   notes=result.notes, finished_at=clock.now())
    cache.delete(progress_key(job_id))
