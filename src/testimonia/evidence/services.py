"""Evidence vault actions: store an upload, list a workspace's items, complete digests."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from testimonia.accounts.models import User, Workspace
from testimonia.evidence import blobstore
from testimonia.evidence.exceptions import DigestMismatch, UploadTooLarge
from testimonia.evidence.mediatype import detect_media_type
from testimonia.evidence.models import Blob, Item

logger = logging.getLogger("testimonia.evidence")


@dataclass(frozen=True)
class AddedItem:
    item: Item
    duplicate: bool  # the workspace already held these bytes


def blob_store() -> blobstore.BlobStore:
    return blobstore.BlobStore(settings.TESTIMONIA_STORAGE_ROOT)


def clean_filename(name: str) -> str:
    """The base name as the uploader gave it, without any directory part, for display only."""
    base = PurePath(name.replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:255] or "unnamed"


def add_item(
    actor: User | None,
    workspace: Workspace,
    chunks: Iterable[bytes],
    *,
    filename: str,
    source: str = "",
) -> AddedItem:
    """Store the bytes once, content-addressed, and record them as an item of the workspace.

    The bytes are durable on disk before the database row commits, so an acknowledged item
    never points at missing bytes.
    """
    limit = int(settings.TESTIMONIA_MAX_UPLOAD_BYTES)
    try:
        stored = blob_store().put_chunks(chunks, max_bytes=limit)
    except blobstore.TooLarge as exc:
        raise UploadTooLarge(limit) from exc
    with transaction.atomic():
        blob, _ = Blob.objects.get_or_create(
            sha256=stored.digest,
            defaults={"size": stored.size, "media_type": detect_media_type(stored.head)},
        )
        # Race: two uploads of the same bytes to one workspace; the unique constraint
        # (workspace, blob) lets exactly one insert win, the other reads the winner.
        item, created = Item.objects.get_or_create(
            workspace=workspace,
            blob=blob,
            defaults={
                "original_filename": clean_filename(filename),
                "source": source[:500],
                "added_by": actor,
            },
        )
        if not blob.sha512:
            transaction.on_commit(lambda: enqueue_complete_digests([blob.pk], actor, workspace))
    logger.info(
        "item %s stored in workspace %s (duplicate=%s)", item.pk, workspace.slug, not created
    )
    return AddedItem(item=item, duplicate=not created)


def items_of(workspace: Workspace) -> QuerySet[Item]:
    return Item.objects.filter(workspace=workspace).select_related("blob", "added_by")


def enqueue_complete_digests(
    blob_ids: list[int], actor: User | None, workspace: Workspace | None
) -> None:
    from testimonia.evidence.tasks import run_complete_digests
    from testimonia.jobs.services import enqueue_job

    enqueue_job(
        run_complete_digests,
        label=gettext_noop("Compute SHA-512 of stored originals"),
        workspace=workspace,
        requested_by=actor,
        args=[blob_ids],
        total=sum(Blob.objects.filter(pk__in=blob_ids).values_list("size", flat=True)),
        unit="bytes",
    )


def complete_digests(blob: Blob, progress: Callable[[int], None] | None = None) -> Blob:
    """Re-read the stored bytes once: check the SHA-256 and compute the SHA-512."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512()
    read = 0
    for chunk in blob_store().iter_chunks(blob.sha256):
        sha256.update(chunk)
        sha512.update(chunk)
        read += len(chunk)
        if progress is not None:
            progress(len(chunk))
    found = "sha256:" + sha256.hexdigest()
    if found != blob.sha256:
        raise DigestMismatch(f"blob {blob.pk}", "sha256", blob.sha256, found)
    blob.sha512 = "sha512:" + sha512.hexdigest()
    blob.save(update_fields=["sha512"])
    return blob
