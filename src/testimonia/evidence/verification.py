"""Re-hash stored originals: every object, every digest, never stopping at the first failure.

Objects are re-hashed by one thread per core (hashlib and file reads release the GIL), and
their results are reported in the order of the objects, whatever order they finish in.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

from testimonia.accounts.models import Workspace
from testimonia.evidence import blobstore
from testimonia.evidence.models import Blob, Item
from testimonia.evidence.services import blob_store


@dataclass(frozen=True)
class ObjectProblem:
    digest: str
    items: tuple[int, ...]
    problem: str

    def __str__(self) -> str:
        items = ", ".join(str(i) for i in self.items) or "none"
        return f"stored object {self.digest} (items {items}): {self.problem}"


def blobs_to_check(workspace: Workspace | None) -> Iterator[Blob]:
    # Bytes removed on an approved deletion are not there to hash; `verify_records` checks
    # that each such removal was recorded.
    blobs = Blob.objects.filter(purged_at__isnull=True).order_by("pk")
    if workspace is not None:
        blobs = blobs.filter(items__workspace=workspace).distinct()
    yield from blobs.iterator(chunk_size=500)


class Digests(Enum):
    """Which recorded digests a check recomputes."""

    # The SHA-256 names the object: a change that kept it would need a SHA-256 collision.
    # With the size, it is what routine verification checks, at disk speed.
    CONTENT_ADDRESS = "content-address"
    # Also the SHA-512 (twice the CPU): for an expert's full audit.
    ALL = "all"


def check_blob(
    blob: Blob, store: blobstore.BlobStore, *, digests: Digests = Digests.ALL
) -> str | None:
    """None when the stored bytes still match the recorded digests (see `Digests`) and size."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512() if blob.sha512 and digests is Digests.ALL else None
    size = 0
    try:
        for chunk in store.iter_chunks(blob.sha256):
            size += len(chunk)
            sha256.update(chunk)
            if sha512 is not None:
                sha512.update(chunk)
    except blobstore.BlobMissing:
        return "missing from the store"
    except ValueError:
        return "its recorded SHA-256 is malformed (database edited)"
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    wrong = []
    if "sha256:" + sha256.hexdigest() != blob.sha256:
        wrong.append("SHA-256")
    if sha512 is not None and "sha512:" + sha512.hexdigest() != blob.sha512:
        wrong.append("SHA-512")
    if size != blob.size:
        wrong.append(f"size ({size} bytes, recorded {blob.size})")
    if wrong:
        return "content changed: " + ", ".join(wrong) + " no longer match"
    return None


def verify_objects(
    workspace: Workspace | None,
    progress: Callable[[int], None] | None = None,
    *,
    digests: Digests = Digests.CONTENT_ADDRESS,
) -> tuple[int, list[ObjectProblem]]:
    store = blob_store()
    checked = 0
    problems = []
    workers = _cores()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
        # The worker threads only hash files; every query stays on this thread.
        checks = _in_order(
            pool,
            lambda b: check_blob(b, store, digests=digests),
            blobs_to_check(workspace),
            2 * workers,
        )
        for blob, problem in checks:
            checked += 1
            if problem is not None:
                items = Item.objects.filter(blob=blob)
                if workspace is not None:
                    items = items.filter(workspace=workspace)
                problems.append(
                    ObjectProblem(blob.sha256, tuple(items.values_list("pk", flat=True)), problem)
                )
            if progress is not None:
                progress(blob.size)
    return checked, problems


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _in_order(
    pool: ThreadPoolExecutor,
    check: Callable[[Blob], str | None],
    blobs: Iterable[Blob],
    ahead: int,
) -> Iterator[tuple[Blob, str | None]]:
    """Each blob with its check's result, in the order of `blobs`, with at most `ahead` checks
    submitted before the oldest one's result is taken."""
    pending: deque[tuple[Blob, Future[str | None]]] = deque()
    try:
        for blob in blobs:
            pending.append((blob, pool.submit(check, blob)))
            if len(pending) >= ahead:
                oldest, future = pending.popleft()
                yield oldest, future.result()
        while pending:
            oldest, future = pending.popleft()
            yield oldest, future.result()
    finally:
        for _blob, future in pending:  # stopped early (an error): leave no work queued
            future.cancel()


@dataclass(frozen=True)
class RecordProblem:
    workspace: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"records of {self.workspace}, {self.where}: {self.problem}"


def verify_records(workspace: Workspace) -> list[RecordProblem]:
    """Cross-check the vault's rows against the custody log: every item was ingested with a
    custody event that names its bytes, and every ingest event still has its item."""
    from testimonia.custody.models import LogEntry

    problems = []
    items = dict(Item.objects.filter(workspace=workspace).values_list("pk", "blob__sha256"))
    logged: dict[int, str] = {}
    for subject, digest in (
        LogEntry.objects.filter(workspace=workspace, action="ingest")
        .values_list("payload", "object_digest")
        .iterator()
    ):
        item_ref = _subject_item(subject)
        if item_ref is not None:
            logged[item_ref] = digest
    for pk, digest in sorted(items.items()):
        if pk not in logged:
            problems.append(
                RecordProblem(
                    workspace.slug, f"item {pk}", "has no custody event (added outside Testimonia)"
                )
            )
        elif logged[pk] != digest:
            problems.append(
                RecordProblem(
                    workspace.slug,
                    f"item {pk}",
                    f"points at {digest} but was ingested as {logged[pk]} (record edited)",
                )
            )
    for pk in sorted(set(logged) - set(items)):
        problems.append(
            RecordProblem(
                workspace.slug, f"item {pk}", "was ingested but its record is gone (deleted)"
            )
        )
    problems.extend(_derivations_recorded(workspace))
    problems.extend(_deletions_recorded(workspace))
    return problems


def _derivations_recorded(workspace: Workspace) -> list[RecordProblem]:
    """Each item's `derived_from` is the original its ingest event recorded (or none)."""
    import json

    from testimonia.custody.models import LogEntry

    recorded: dict[int, str] = {}
    for payload in (
        LogEntry.objects.filter(workspace=workspace, action="ingest")
        .values_list("payload", flat=True)
        .iterator()
    ):
        try:
            event = json.loads(payload)
        except ValueError:
            continue  # the custody check reports an unreadable entry
        item_ref = _subject_item(payload)
        if item_ref is not None:
            recorded[item_ref] = str(event.get("details", {}).get("derived_from", ""))
    problems = []
    for pk, original in (
        Item.objects.filter(workspace=workspace).order_by("pk").values_list("pk", "derived_from")
    ):
        expected = recorded.get(pk)
        actual = f"item:{original}" if original is not None else ""
        if expected is not None and expected != actual:
            problems.append(
                RecordProblem(
                    workspace.slug,
                    f"item {pk}",
                    f"names {actual or 'no original'} as what it was derived from, but was "
                    f"ingested as derived from {expected or 'nothing'} (record edited)",
                )
            )
    return problems


def _deletions_recorded(workspace: Workspace) -> list[RecordProblem]:
    """Deletion leaves tombstones, never gaps: every deleted item has its custody event, every
    deletion event its tombstone, and no live item's bytes are marked removed."""
    from testimonia.custody.models import LogEntry

    problems = []
    deleted = set(
        Item.objects.filter(workspace=workspace, deleted_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    logged = {
        pk
        for pk in (
            _subject_item(payload)
            for payload in LogEntry.objects.filter(workspace=workspace, action="delete")
            .values_list("payload", flat=True)
            .iterator()
        )
        if pk is not None
    }
    for pk in sorted(deleted - logged):
        problems.append(
            RecordProblem(
                workspace.slug,
                f"item {pk}",
                "is marked deleted but no deletion was recorded in custody (record edited)",
            )
        )
    for pk in sorted(logged - deleted):
        problems.append(
            RecordProblem(
                workspace.slug,
                f"item {pk}",
                "was deleted per the custody log but its record shows it live (record edited)",
            )
        )
    for pk, digest in (
        Item.objects.filter(
            workspace=workspace, deleted_at__isnull=True, blob__purged_at__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "blob__sha256")
    ):
        problems.append(
            RecordProblem(
                workspace.slug,
                f"item {pk}",
                f"is live but its bytes {digest} are marked removed from the store (record edited)",
            )
        )
    return problems


def verify_metadata(workspace: Workspace) -> list[RecordProblem]:
    """Every metadata record of the workspace's objects still has the values its custody
    event recorded (by their SHA-256), and every such event still has its record."""
    import json

    from testimonia.custody.models import LogEntry
    from testimonia.evidence.models import Metadata
    from testimonia.evidence.services import metadata_record_digest

    recorded: dict[int, str] = {}
    for payload in LogEntry.objects.filter(
        workspace=workspace, action="extract_metadata"
    ).values_list("payload", flat=True):
        try:
            details = json.loads(payload).get("details", {})
        except ValueError:
            continue  # the custody check reports an unreadable entry
        kind, _, ref = str(details.get("record", "")).partition(":")
        if kind == "metadata" and ref.isdigit():
            recorded[int(ref)] = str(details.get("record_sha256", ""))
    problems = []
    records = Metadata.objects.filter(pk__in=recorded).select_related("blob")
    found = {record.pk: record for record in records}
    for pk, expected in sorted(recorded.items()):
        record = found.get(pk)
        if record is None:
            problems.append(
                RecordProblem(
                    workspace.slug, f"metadata record {pk}", "was extracted but is gone (deleted)"
                )
            )
        elif "sha256:" + metadata_record_digest(record, record.blob.sha256) != expected:
            problems.append(
                RecordProblem(
                    workspace.slug,
                    f"metadata record {pk}",
                    "its values differ from those extracted (edited)",
                )
            )
    return problems


def _subject_item(payload: str) -> int | None:
    import json

    try:
        subject = json.loads(payload).get("subject", "")
    except ValueError:
        return None  # the custody check reports an unreadable entry
    kind, _, ref = str(subject).partition(":")
    return int(ref) if kind == "item" and ref.isdigit() else None


def orphaned_objects(store: blobstore.BlobStore) -> list[str]:
    """Objects in the store that no record names: left by an ingest killed between storing
    the bytes and committing the record. Harmless; re-running the ingest records them."""
    root = store.root / "sha256"
    if not root.is_dir():
        return []
    on_disk = {"sha256:" + p.name for p in root.glob("??/??/*") if p.is_file()}
    # Bytes of a deletion whose removal was interrupted count as orphans too.
    known = set(
        Blob.objects.filter(sha256__in=on_disk, purged_at__isnull=True).values_list(
            "sha256", flat=True
        )
    )
    return sorted(on_disk - known)
