from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability
from testimonia.jobs.models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    label: str
    status: str
    done: int
    total: int | None
    unit: str
    percent: int | None
    message: str
    created_at: datetime
    updated_at: datetime


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.pk,
        label=job.label,
        status=job.status,
        done=job.done,
        total=job.total,
        unit=job.unit,
        percent=job.percent,
        message=job.message,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


@router.get(
    "/workspaces/{workspace}/jobs",
    response=list[JobOut],
    summary="Recent background jobs of the workspace",
    auth=workspace_auth(Capability.VIEW_JOBS),
)
def list_jobs(request: HttpRequest, workspace: str) -> list[JobOut]:
    rows = Job.objects.filter(workspace=request.workspace)[:100]  # type: ignore[attr-defined]
    return [job_out(job) for job in rows]


@router.get(
    "/workspaces/{workspace}/jobs/{job_id}",
    response=JobOut,
    summary="One background job and its progress",
    auth=workspace_auth(Capability.VIEW_JOBS),
)
def get_job(request: HttpRequest, workspace: str, job_id: int) -> JobOut:
    job = get_object_or_404(Job, pk=job_id, workspace=request.workspace)  # type: ignore[attr-defined]
    return job_out(job)
