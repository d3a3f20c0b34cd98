from __future__ import annotations

import logging

from django.utils.translation import gettext_noop

from testimonia.accounts.models import Workspace
from testimonia.core.tasks import task
from testimonia.custody.services import CustodyDamaged, sign_checkpoint
from testimonia.evidence import blobstore, metadata
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.models import Blob, Item
from testimonia.evidence.services import (
    MetadataUnavailable,
    complete_digests,
    extract_metadata,
)
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


@task()  # type: ignore[untyped-decorator]  # the backport's decorator is untyped
def run_extract_metadata(job_id: int, blob_ids: list[int]) -> int:
    """Extract each blob's metadata into a new record; idempotent (skips blobs the current
    extractor version has read). Signs a checkpoint of every log it appended to."""
    start_job(job_id)
    failed = 0
    logs: set[int] = set()
    for done, blob in enumerate(Blob.objects.filter(pk__in=blob_ids).order_by("pk"), start=1):
        if not blob.metadata_records.filter(extractor=metadata.EXTRACTOR).exists():
            try:
                record = extract_metadata(blob)
            except blobstore.BlobMissing:
                failed += 1
                logger.exception("stored object %s is missing; metadata not extracted", blob.pk)
            except MetadataUnavailable as exc:
                failed += 1
                logger.error("%s", exc)  # e.g. ffprobe not installed: an administrator's task
            else:
                if record is not None:
                    logs.update(
                        Item.objects.filter(blob=blob).values_list("workspace_id", flat=True)
                    )
        report_progress(job_id, done)
    for workspace in Workspace.objects.filter(pk__in=logs).order_by("pk"):
        try:
            sign_checkpoint(workspace)
        except CustodyDamaged:
            logger.exception("custody log of workspace %s not signed", workspace.pk)
    if failed:
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop(
                "Metadata of %(count)d stored object(s) could not be extracted; see the server log"
            ),
            message_args={"count": failed},
        )
    else:
        finish_job(job_id)
    return len(blob_ids)
