"""Evidence vault actions: store an original, record its acquisition and custody event,
list a workspace's items, complete digests, extract metadata into a separate record."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from testimonia.accounts.models import User, Workspace
from testimonia.custody.services import Action, append_event, canonical_json
from testimonia.evidence import blobstore, metadata
from testimonia.evidence.exceptions import DigestMismatch, EvidenceError, UploadTooLarge
from testimonia.evidence.mediatype import detect_media_type
from testimonia.evidence.models import Blob, Item, Metadata

logger = logging.getLogger("testimonia.evidence")


@dataclass(frozen=True)
class AddedItem:
    item: Item
    duplicate_of: Item | None  # the workspace's first item with the same bytes
    new_bytes: bool = False  # stored for the first time anywhere in this installation

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
    derived_from: Item | None = None  # with add_derivative
    derivation: str = ""
    derivation_method: str = ""


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
        blob, created = Blob.objects.get_or_create(
            sha256=stored.digest,
            defaults={"size": stored.size, "media_type": detect_media_type(stored.head)},
        )
        if created:
            # Our uncommitted row: no item can name it yet, and a concurrent acquisition of the
            # same bytes waits on its unique key until we commit, then finds our item first.
            first = None
        else:
            # Race: two acquisitions of the same bytes in one workspace must agree on which
            # came first. Locking the blob row serialises them.
            blob = Blob.objects.select_for_update().get(pk=blob.pk)
            if blob.purged_at is not None:
                # These bytes were deleted and now come in again. Under this lock the
                # deletion's removal (preservation.remove_purged_objects) cannot run; if it
                # already ran, the bytes we were given were not kept (the store had them):
                # nothing is recorded and the file is to be given again.
                if not blob_store().exists(blob.sha256):
                    raise EvidenceError(
                        _("the same bytes were being deleted at that moment: add the file again")
                    )
                blob.purged_at = None
                blob.save(update_fields=["purged_at"])
            first = (
                Item.objects.filter(workspace=workspace, blob=blob, deleted_at__isnull=True)
                .order_by("pk")
                .first()
            )
        item = Item.objects.create(
            workspace=workspace,
            blob=blob,
            original_filename=printable(acq.filename),
            original_path=acq.path[:1024],
            found_modified_at=acq.modified_at,
            container=acq.container,
            derived_from=acq.derived_from,
            derivation=acq.derivation,
            derivation_method=acq.derivation_method[:500],
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
                **(
                    {
                        "derived_from": f"item:{acq.derived_from.pk}",
                        "derivation": acq.derivation,
                        "derivation_method": item.derivation_method,
                    }
                    if acq.derived_from is not None
                    else {}
                ),
            },
        )
        if enqueue_digests:
            blob_id = blob.pk
            if not blob.sha512:
                transaction.on_commit(lambda: enqueue_complete_digests([blob_id], actor, workspace))
            transaction.on_commit(lambda: enqueue_extract_metadata([blob_id], actor, workspace))
    logger.info(
        "item %s stored in workspace %s (duplicate=%s)", item.pk, workspace.slug, first is not None
    )
    return AddedItem(item=item, duplicate_of=first, new_bytes=created)


def add_derivative(
    actor: User | None,
    original: Item,
    chunks: Iterable[bytes],
    *,
    filename: str,
    derivation: str,
    method: str = "",
) -> AddedItem:
    """Store a file made from `original` (a redaction, a transcript, ...) as an item that
    names it, and record the derivation in the original's chain of custody."""
    from testimonia.evidence.models import Derivation

    if derivation not in Derivation.values:
        raise EvidenceError(
            _("unknown kind of derivative %(kind)r: use one of %(kinds)s")
            % {"kind": derivation, "kinds": ", ".join(Derivation.values)}
        )
    if original.deleted_at is not None:
        raise EvidenceError(_("item %(item)s was deleted") % {"item": original.pk})
    acquisition = Acquisition(
        filename=clean_filename(filename),
        source=f"derived from item {original.pk}",
        derived_from=original,
        derivation=derivation,
        derivation_method=method.strip(),
    )
    with transaction.atomic():
        added = add_item(
            actor, original.workspace, chunks, filename=filename, acquisition=acquisition
        )
        append_event(
            original.workspace,
            actor=actor,
            action=Action.DERIVE,
            object_digest=original.blob.sha256,
            subject=f"item:{original.pk}",
            reason=method.strip()[:500],
            details={
                "derivative": f"item:{added.item.pk}",
                "derivative_sha256": added.item.blob.sha256,
                "derivation": derivation,
            },
        )
    return added


def open_original(
    actor: User | None, item: Item, *, reason: str = "", action: str = Action.DOWNLOAD
) -> BinaryIO:
    """Open an original for download (or, with `action=Action.VIEW`, for display), after
    checking its bytes still match every digest, and record it in the custody log. Raises
    DigestMismatch for damaged bytes."""
    from testimonia.evidence.verification import check_blob

    store = blob_store()
    problem = check_blob(item.blob, store)
    if problem is not None:
        raise DigestMismatch(f"item {item.pk}", "sha256", item.blob.sha256, problem)
    handle = store.open(item.blob.sha256)
    append_event(
        item.workspace,
        actor=actor,
        action=action,
        object_digest=item.blob.sha256,
        subject=f"item:{item.pk}",
        reason=reason[:500],
    )
    return handle


def items_of(workspace: Workspace, *, with_deleted: bool = False) -> QuerySet[Item]:
    """The workspace's items; deleted ones (tombstones) only when asked for."""
    items = Item.objects.filter(workspace=workspace)
    if not with_deleted:
        items = items.filter(deleted_at__isnull=True)
    return items.select_related("blob", "added_by", "collected_by")


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


class MetadataUnavailable(Exception):
    """The environment, not the file, prevented extraction (a tool is not installed):
    nothing was recorded, so a later run can extract it."""

    def __init__(self, digest: str, reasons: list[str]) -> None:
        super().__init__(f"metadata of {digest} not extracted: {'; '.join(reasons)}")
        self.digest = digest
        self.reasons = reasons


def enqueue_extract_metadata(
    blob_ids: list[int], actor: User | None, workspace: Workspace | None
) -> None:
    """Queue metadata extraction for the blobs that some extractor reads and that the current
    extractor version has not read yet."""
    from testimonia.evidence.tasks import run_extract_metadata
    from testimonia.jobs.services import enqueue_job

    done = Metadata.objects.filter(extractor=metadata.EXTRACTOR).values("blob_id")
    candidates = Blob.objects.filter(pk__in=blob_ids).exclude(pk__in=done).order_by("pk")
    pending = [
        pk
        for pk, media_type in candidates.values_list("pk", "media_type")
        if metadata.may_have_metadata(media_type)
    ]
    if not pending:
        return
    enqueue_job(
        run_extract_metadata,
        label=gettext_noop("Extract metadata of stored originals"),
        workspace=workspace,
        requested_by=actor,
        args=[pending],
        total=len(pending),
        unit="items",
    )


Extract = Callable[[Path, str], "metadata.Extraction | None"]


def extract_metadata(blob: Blob, *, extract: Extract | None = None) -> Metadata | None:
    """Read the stored original's metadata into a new record, with a custody event for every
    item of those bytes, in each workspace that holds them.

    The original is read from the store (read-only) and never written. Returns None when no
    extractor reads this media type, or when this extractor version already has a record
    for the blob (never overwritten). Raises MetadataUnavailable when a tool is missing.
    `extract` defaults to `metadata.extract_isolated` (a limited child process).
    """
    path = blob_store().path_for(blob.sha256)
    if not path.is_file():
        raise blobstore.BlobMissing(blob.sha256)
    extraction = (extract or metadata.extract_isolated)(path, blob.media_type)
    if extraction is None:
        return None
    if extraction.unavailable:
        raise MetadataUnavailable(blob.sha256, extraction.errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = Metadata.objects.create(
                    blob=blob,
                    extractor=extraction.extractor,
                    tools=extraction.tools,
                    raw=extraction.raw,
                    normalised=extraction.normalised,
                    errors=extraction.errors,
                )
        except IntegrityError:
            # Race: two runs read the same blob with the same version; the unique constraint
            # keeps the first record, and the second records nothing.
            return None
        record.refresh_from_db()  # the digest covers the values as stored
        record_digest = metadata_record_digest(record, blob.sha256)
        normalised = record.normalised
        summary = {
            "kind": normalised.get("kind"),
            "captured_at": normalised.get("captured_at"),
            "has_gps": normalised.get("gps") is not None,  # not the position itself
            "errors": len(record.errors),
        }
        # One workspace's log after another, in a fixed order, so that two extractions never
        # wait on each other's log heads.
        items = Item.objects.filter(blob=blob).select_related("workspace")
        for item in items.order_by("workspace_id", "pk"):
            append_event(
                item.workspace,
                actor=None,
                action=Action.EXTRACT_METADATA,
                object_digest=blob.sha256,
                subject=f"item:{item.pk}",
                details={
                    "extractor": record.extractor,
                    "record": f"metadata:{record.pk}",
                    "record_sha256": f"sha256:{record_digest}",
                    "summary": summary,
                },
            )
    logger.info("metadata of blob %s extracted by %s", blob.pk, record.extractor)
    return record


def metadata_record_digest(record: Metadata, blob_sha256: str) -> str:
    """SHA-256 hex of a metadata record's values as stored; its custody event records it, so
    `testimonia verify` can tell an edited record."""
    return hashlib.sha256(
        canonical_json(
            {
                "blob": blob_sha256,
                "extractor": record.extractor,
                "tools": record.tools,
                "raw": record.raw,
                "normalised": record.normalised,
                "errors": record.errors,
            }
        ).encode("utf-8")
    ).hexdigest()


def with_metadata(items: QuerySet[Item]) -> QuerySet[Item]:
    """The items with their blobs' metadata records prefetched (raw values left out)."""
    return items.prefetch_related(
        Prefetch(
            "blob__metadata_records",
            queryset=Metadata.objects.defer("raw"),
            to_attr="prefetched_metadata",
        )
    )


def latest_metadata(blob: Blob) -> Metadata | None:
    """The blob's most recent metadata record, or None while none is recorded."""
    prefetched: list[Metadata] | None = getattr(blob, "prefetched_metadata", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return blob.metadata_records.defer("raw").first()


def metadata_summary(blob: Blob) -> dict[str, Any] | None:
    """What users see of the latest record: its normalised fields, which extractor read it,
    when, and what it could not read. None while extraction has not run (it runs in the
    background) or when no extractor reads this media type."""
    record = latest_metadata(blob)
    if record is None:
        return None
    return {
        **record.normalised,
        "extractor": record.extractor,
        "extracted_at": record.extracted_at.isoformat(),
        "errors": record.errors,
    }
