"""Jobs: enqueue a task with a visible progress record, report progress, requeue the interrupted.

Tasks follow the three layers of CONVENTIONS.md: `enqueue_x(ids)` creates the Job and enqueues,
the task function `run_x(ids)` loads fresh rows, and `x(obj)` does the pure work.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from testimonia.accounts.models import User, Workspace
from testimonia.jobs.models import Job

logger = logging.getLogger("testimonia.jobs")


def enqueue_job(
    task: Any,
    *,
    label: str,
    workspace: Workspace | None,
    requested_by: User | None,
    args: list[Any],
    total: int | None = None,
    unit: str = "items",
) -> Job:
    """Enqueue `task(job_id, *args)` after the current transaction commits.

    The Job row exists before the task can run; the task receives the job's id as its first
    argument so it can report progress on it.
    """
    job = Job.objects.create(
        workspace=workspace,
        requested_by=requested_by,
        label=label,
        total=total,
        unit=unit,
    )

    def _enqueue() -> None:
        result = task.enqueue(job.pk, *args)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(_enqueue)
    return job


def start_job(job_id: int) -> None:
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, updated_at=timezone.now())


def report_progress(job_id: int, done: int, total: int | None = None) -> None:
    updates: dict[str, Any] = {"done": done, "updated_at": timezone.now()}
    if total is not None:
        updates["total"] = total
    Job.objects.filter(pk=job_id).update(**updates)


def finish_job(
    job_id: int,
    *,
    failed: bool = False,
    message: str = "",
    message_args: dict[str, Any] | None = None,
) -> None:
    """`message` is a msgid marked with gettext_noop; it is translated when shown."""
    status = Job.Status.FAILED if failed else Job.Status.SUCCEEDED
    jobs = Job.objects.filter(pk=job_id)
    jobs.update(
        status=status,
        message=message[:200],
        message_args=message_args or {},
        updated_at=timezone.now(),
    )
    if not failed:
        jobs.filter(total__isnull=False).update(done=F("total"))


def requeue_interrupted_tasks() -> int:
    """Put back tasks a killed worker left 'running', so they run again. Call at start-up,
    before any worker of this installation starts."""
    from django_tasks_db.models import DBTaskResult

    from testimonia.core.tasks import TaskResultStatus

    count = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
    Job.objects.filter(status=Job.Status.RUNNING).update(status=Job.Status.QUEUED)
    if count:
        logger.warning("requeued %d task(s) interrupted by a stopped worker", count)
    return int(count)
