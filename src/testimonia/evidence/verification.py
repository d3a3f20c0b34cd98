"""Re-hash stored originals: every object, every digest, never stopping at the first failure."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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
    blobs = Blob.objects.order_by("pk")
    if workspace is not None:
        blobs = blobs.filter(items__workspace=workspace).distinct()
    yield from blobs.iterator(chunk_size=500)


def check_blob(blob: Blob, store: blobstore.BlobStore) -> str | None:
    """None when the stored bytes still match every recorded digest and the size."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512() if blob.sha512 else None
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
    workspace: Workspace | None, progress: Callable[[int], None] | None = None
) -> tuple[int, list[ObjectProblem]]:
    store = blob_store()
    checked = 0
    problems = []
    for blob in blobs_to_check(workspace):
        checked += 1
        problem = check_blob(blob, store)
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
