"""`testimonia ingest`: files, folders and archives into the vault, one outcome per item.

Each item is committed (bytes fsynced, then item + custody event in one transaction) before its
outcome is reported, so an id that was printed survives a kill -9 right after. A failed item
never stops the batch; an archive is ingested as an item itself, then each member as an item
that records the archive it came from.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError

from testimonia.accounts.models import User, Workspace
from testimonia.custody.services import CustodyDamaged, sign_checkpoint
from testimonia.evidence.exceptions import EvidenceError, UploadTooLarge
from testimonia.evidence.models import Item
from testimonia.evidence.services import (
    Acquisition,
    add_item,
    clean_filename,
    enqueue_complete_digests,
    enqueue_extract_metadata,
    metadata_summary,
)
from testimonia.evidence.sources import (
    LimitExceeded,
    Limits,
    Source,
    archive_members,
    discover,
    is_archive_name,
)

CUSTODY_LOG_PATH = "(custody log)"  # the outcome that reports a log needing attention


@dataclass
class Outcome:
    path: str
    item: Item | None = None
    duplicate_of: int | None = None
    errors: list[str] = field(default_factory=list)
    too_large: bool = False
    new_bytes: bool = False  # no metadata can exist yet: no need to look it up

    @property
    def ok(self) -> bool:
        return self.item is not None and not self.errors

    def as_json(self) -> dict[str, Any]:
        item = self.item
        return {
            "path": self.path,
            "id": item.pk if item else None,
            "sha256": item.blob.sha256 if item else None,
            "size": item.blob.size if item else None,
            "media_type": item.blob.media_type if item else None,
            "duplicate_of": self.duplicate_of,
            "container": item.container_id if item else None,
            # Extracted in the background after the batch: present only when these bytes
            # were read before (an earlier ingest of the same content), else null.
            "metadata": metadata_summary(item.blob) if item and not self.new_bytes else None,
            "errors": self.errors,
        }


def _chunks(handle: Any, limit: Callable[[int], None] | None) -> Iterator[bytes]:
    while chunk := handle.read(1024 * 1024):
        if limit is not None:
            limit(len(chunk))
        yield chunk


def _ingest_one(
    actor: User | None,
    workspace: Workspace,
    src: Source,
    *,
    source: str,
    collected_by: User | None,
    container: Item | None,
) -> Outcome:
    outcome = Outcome(path=src.path)
    if src.error or src.opener is None:
        outcome.errors.append(src.error or "cannot be read")
        return outcome
    acquisition = Acquisition(
        filename=src.filename,
        path=src.path,
        modified_at=src.modified_at,
        source=source,
        collected_by=collected_by,
        container=container,
    )
    try:
        with src.opener() as handle:
            added = add_item(
                actor,
                workspace,
                _chunks(handle, src.limit),
                filename=src.filename,
                acquisition=acquisition,
                enqueue_digests=False,
            )
    except LimitExceeded as exc:
        outcome.errors.append(str(exc))
        raise
    except OSError as exc:
        outcome.errors.append(f"cannot read: {exc.strerror or exc}")
    except UploadTooLarge as exc:
        outcome.errors.append(str(exc))
        outcome.too_large = True
    except (EvidenceError, ValueError, EOFError) as exc:
        outcome.errors.append(str(exc))
    else:
        outcome.item = added.item
        outcome.duplicate_of = added.duplicate_of.pk if added.duplicate_of else None
        outcome.new_bytes = added.new_bytes
    return outcome


def ingest_paths(
    actor: User | None,
    workspace: Workspace,
    paths: list[Path],
    *,
    source: str = "",
    collected_by: User | None = None,
    limits: Limits | None = None,
) -> Iterator[Outcome]:
    """Ingest everything under `paths`, yielding one outcome per file or archive member.

    At the end, queues the second digests, signs a custody checkpoint for the batch, then
    queues metadata extraction (its custody events follow the checkpoint).
    """
    yield from ingest_sources(
        actor,
        workspace,
        discover(paths),
        source=source,
        collected_by=collected_by,
        limits=limits,
    )


def ingest_uploads(
    actor: User | None,
    workspace: Workspace,
    uploads: Iterable[UploadedFile],
    *,
    source: str = "",
    limits: Limits | None = None,
) -> Iterator[Outcome]:
    """The same for files uploaded through the web UI or the API: an uploaded archive is
    stored and then opened like one given to `testimonia ingest`."""
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
        yield from ingest_sources(
            actor,
            workspace,
            _upload_sources(uploads, Path(spool)),
            source=source,
            collected_by=None,
            limits=limits,
        )


def _upload_sources(uploads: Iterable[UploadedFile], spool: Path) -> Iterator[Source]:
    for number, upload in enumerate(uploads):
        name = clean_filename(upload.name or "")
        if upload.size == 0:
            yield Source(name, name, error="empty file (0 bytes): nothing to preserve")
            continue
        local: Path | None = None
        if is_archive_name(name):
            # Archives are read by path (zip needs random access): spool small uploads,
            # use the temporary file Django already wrote for large ones.
            temporary = getattr(upload, "temporary_file_path", None)
            if temporary is not None:
                local = Path(temporary())
            else:
                local = spool / f"upload-{number}"
                with local.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
        yield Source(
            name,
            name,
            opener=_upload_opener(upload),
            is_archive=local is not None,
            local_path=local,
            size=upload.size,
        )


def _upload_opener(upload: UploadedFile) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    def opener() -> AbstractContextManager[IO[bytes]]:
        upload.seek(0)
        handle: IO[bytes] = upload.file  # type: ignore[assignment]
        return contextlib.nullcontext(handle)

    return opener


def ingest_sources(
    actor: User | None,
    workspace: Workspace,
    sources: Iterable[Source],
    *,
    source: str = "",
    collected_by: User | None = None,
    limits: Limits | None = None,
) -> Iterator[Outcome]:
    limits = limits or Limits()
    stored: list[int] = []
    try:
        for src in sources:
            try:
                outcome = _ingest_one(
                    actor, workspace, src, source=source, collected_by=collected_by, container=None
                )
            except LimitExceeded:  # pragma: no cover - only archive members have limits
                continue
            if outcome.item is not None:
                stored.append(outcome.item.blob_id)
            yield outcome
            if src.is_archive and outcome.item is not None and src.local_path is not None:
                yield from _ingest_archive(
                    actor,
                    workspace,
                    src.local_path,
                    src,
                    outcome.item,
                    source=source,
                    collected_by=collected_by,
                    limits=limits,
                    stored=stored,
                )
    finally:
        if stored:
            try:
                enqueue_complete_digests(stored, actor, workspace)
                sign_checkpoint(workspace)
                enqueue_extract_metadata(stored, actor, workspace)
            except DatabaseError:  # the batch is committed; the next batch signs it
                pass
            except CustodyDamaged as exc:
                # The items are stored and logged; the log itself needs looking at.
                yield Outcome(path=CUSTODY_LOG_PATH, errors=[str(exc)])


def _ingest_archive(
    actor: User | None,
    workspace: Workspace,
    archive: Path,
    src: Source,
    archive_item: Item,
    *,
    source: str,
    collected_by: User | None,
    limits: Limits,
    stored: list[int],
) -> Iterator[Outcome]:
    members = archive_members(archive, src.path, limits)
    for member in members:
        try:
            outcome = _ingest_one(
                actor,
                workspace,
                member,
                source=source,
                collected_by=collected_by,
                container=archive_item,
            )
        except LimitExceeded as exc:
            yield Outcome(path=member.path, errors=[str(exc)])
            yield Outcome(
                path=src.path,
                errors=[f"expansion stopped: {exc}; the remaining members were not read"],
            )
            members.close()
            return
        if outcome.item is not None:
            stored.append(outcome.item.blob_id)
        yield outcome
