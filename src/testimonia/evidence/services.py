"""Evidence vault actions: store an original, record its acquisition and custody event,
list a workspace's items, complete digests."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from testimonia.accounts.models import User, Workspace
from testimonia.custody.services import Action, append_event
from testimonia.evidence import blobstore
from testimonia.evidence.exceptions import DigestMismatch, UploadTooLarge
from testimonia.evidence.mediatype import detect_media_type
from testimonia.evidence.models import Blob, Item

logger = logging.getLogger("testimonia.evidence")


@dataclass(frozen=True)
class AddedItem:
    item: Item
    duplicate_of: Item | None  # the workspace's first item with the same bytes

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None


@dataclass(frozen=True)
class Acquisition:
    """How an original came in, as found; every field is optional."""

    filename: str
    path: str = ""
    modified_at: datetime | None = None
    source: str = ""
    collected_by: User | None = None
    container: Item | None = None


def blob_store() -> blobstore.BlobStore:
    return blobstore.BlobStore(settings.TESTIMONIA_STORAGE_ROOT)


def printable(name: str) -> str:
    text = "".join(ch for ch in name.strip() if ch.isprintable())
    return text[:255] or "unnamed"


def clean_filename(name: str) -> str:
    """The base name as the uploader gave it, without any directory part, for display only."""
    return printable(PurePath(name.replace("\\", "/")).name)


def add_item(
    actor: User | None,
    workspace: Workspace,
    chunks: Iterable[bytes],
    *,
    filename: str,
    source: str = "",
    acquisition: Acquisition | None = None,
    enqueue_digests: bool = True,
) -> AddedItem:
    """Store the bytes once, content-addressed, and record this acquisition of them.

    The bytes are durable on disk before the database commits the item and its custody event
    (one transaction), so an acknowledged item never points at missing bytes, and an item
    never exists without its custody event.
    """
    # An uploaded name may carry the uploader's directories (C:\\Users\\...): keep the base.
    # Ingest passes names it already took from the file system or the archive.
    acq = acquisition or Acquisition(filename=clean_filename(filename), source=source)
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
        # Race: two acquisitions of the same bytes in one workspace must agree on which came
        # first. Locking the blob row serialises them.
        blob = Blob.objects.select_for_update().get(pk=blob.pk)
        first = Item.objects.filter(workspace=workspace, blob=blob).order_by("pk").first()
        item = Item.objects.create(
            workspace=workspace,
            blob=blob,
            original_filename=printable(acq.filename),
            original_path=acq.path[:1024],
            found_modified_at=acq.modified_at,
            container=acq.container,
            duplicate_of=first,
            source=acq.source[:500],
            collected_by=acq.collected_by,
            added_by=actor,
        )
        append_event(
            workspace,
            actor=actor,
            action=Action.INGEST,
            object_digest=blob.sha256,
            subject=f"item:{item.pk}",
            details={
                "filename": item.original_filename,
                "path": item.original_path,
                "size": blob.size,
                "media_type": blob.media_type,
                "source": item.source,
                "collected_by": acq.collected_by.get_username() if acq.collected_by else "",
                "container": f"item:{acq.container.pk}" if acq.container else "",
                "duplicate_of": f"item:{first.pk}" if first else "",
            },
        )
        if enqueue_digests and not blob.sha512:
            blob_id = blob.pk
            transaction.on_commit(lambda: enqueue_complete_digests([blob_id], actor, workspace))
    logger.info(
        "item %s stored in workspace %s (duplicate=%s)", item.pk, workspace.slug, first is not None
    )
    return AddedItem(item=item, duplicate_of=first)


def open_original(actor: User | None, item: Item, *, reason: str = "") -> BinaryIO:
    """Open an original for download, after checking its bytes still match every digest, and
    record the download in the custody log. Raises DigestMismatch for damaged bytes."""
    from testimonia.evidence.verification import check_blob

    store = blob_store()
    problem = check_blob(item.blob, store)
    if problem is not None:
        raise DigestMismatch(f"item {item.pk}", "sha256", item.blob.sha256, problem)
    handle = store.open(item.blob.sha256)
    append_event(
        item.workspace,
        actor=actor,
        action=Action.DOWNLOAD,
        object_digest=item.blob.sha256,
        subject=f"item:{item.pk}",
        reason=reason[:500],
    )
    return handle


def items_of(workspace: Workspace) -> QuerySet[Item]:
    return Item.objects.filter(workspace=workspace).select_related(
        "blob", "added_by", "collected_by"
    )


def enqueue_complete_digests(
    blob_ids: list[int], actor: User | None, workspace: Workspace | None
) -> None:
    from testimonia.evidence.tasks import run_complete_digests
    from testimonia.jobs.services import enqueue_job

    pending = list(Blob.objects.filter(pk__in=blob_ids, sha512="").values_list("pk", "size"))
    if not pending:
        return
    enqueue_job(
        run_complete_digests,
        label=gettext_noop("Compute SHA-512 of stored originals"),
        workspace=workspace,
        requested_by=actor,
        args=[[pk for pk, _size in pending]],
        total=sum(size for _pk, size in pending),
        unit="bytes",
    )


def complete_digests(blob: Blob, progress: Callable[[int], None] | None = None) -> Blob:
    """Re-read the stored bytes once: check the SHA-256 and compute the SHA-512."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512()
    for chunk in blob_store().iter_chunks(blob.sha256):
        sha256.update(chunk)
        sha512.update(chunk)
        if progress is not None:
            progress(len(chunk))
    found = "sha256:" + sha256.hexdigest()
    if found != blob.sha256:
        raise DigestMismatch(f"blob {blob.pk}", "sha256", blob.sha256, found)
    blob.sha512 = "sha512:" + sha512.hexdigest()
    blob.save(update_fields=["sha512"])
    return blob
