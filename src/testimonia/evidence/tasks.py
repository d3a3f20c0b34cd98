from __future__ import annotations

import logging

from django.utils.translation import gettext_noop

from testimonia.core.tasks import task
from testimonia.evidence import blobstore
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.models import Blob
from testimonia.evidence.services import complete_digests
from testimonia.jobs.services import finish_job, report_progress, start_job

logger = logging.getLogger("testimonia.evidence")


@task()  # type: ignore[untyped-decorator]  # the backport's decorator is untyped
def run_complete_digests(job_id: int, blob_ids: list[int]) -> int:
    """Compute the second digest of each blob; idempotent (skips blobs already done)."""
    start_job(job_id)
    done = 0
    damaged = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report_progress(job_id, done)

    for blob in Blob.objects.filter(pk__in=blob_ids).order_by("pk"):
        if blob.sha512:
            advance(blob.size)
            continue
        try:
            complete_digests(blob, advance)
        except (DigestMismatch, blobstore.BlobMissing):
            damaged += 1
            logger.exception("stored object %s failed its check", blob.pk)
    if damaged:
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop("%(count)d stored object(s) failed their check"),
            message_args={"count": damaged},
        )
    else:
        finish_job(job_id)
    return len(blob_ids)
