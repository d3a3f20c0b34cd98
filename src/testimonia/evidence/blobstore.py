"""Content-addressed, write-once store for originals on the local file system.

Pure Python with no Django import, so it is tested directly. Layout under the root:
``sha256/ab/cd/<64 hex>`` (read-only files) and ``incoming/`` for writes in progress.
An object is written to a temporary file in the same file system while its SHA-256 is
computed in the same pass, fsynced, made read-only, then hard-linked into place: the link fails
if the object exists, so a stored object is never rewritten, and a crash leaves only a
temporary file, never a partial object under its name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
HEAD_SIZE = 8192
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")


class BlobStoreError(Exception):
    pass


class TooLarge(BlobStoreError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


class BlobMissing(BlobStoreError):
    def __init__(self, digest: str) -> None:
        super().__init__(f"stored object {digest} is missing")
        self.digest = digest


@dataclass(frozen=True)
class StoredBlob:
    digest: str  # "sha256:<hex>"
    size: int
    head: bytes  # the first bytes, for media type detection
    created: bool  # False when the same bytes were already stored


def parse_digest(digest: str) -> str:
    """Return the hex of a "sha256:<hex>" digest, refusing anything else (path safety)."""
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or not _HEX64.match(hexdigest):
        raise ValueError(f"not a sha256 digest: {digest[:80]!r}")
    return hexdigest


class BlobStore:
    def __init__(self, root: Path) -> None:
        if not root.is_absolute():
            raise ValueError("the blob store root must be an absolute path")
        self.root = root

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    def path_for(self, digest: str) -> Path:
        hexdigest = parse_digest(digest)
        path = self.root / "sha256" / hexdigest[:2] / hexdigest[2:4] / hexdigest
        # Containment: the parsed hex cannot escape, but check the resolved path anyway.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError("object path escapes the store root")
        return path

    def ensure_writable(self) -> None:
        self.incoming.mkdir(parents=True, exist_ok=True)
        probe = self.incoming / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()

    def put_chunks(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredBlob:
        self.incoming.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size = 0
        head = bytearray()
        fd = -1
        tmp_name = ""
        try:
            fd, tmp_name = _mkstemp(self.incoming)
            for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(max_bytes)
                if len(head) < HEAD_SIZE:
                    head.extend(chunk[: HEAD_SIZE - len(head)])
                hasher.update(chunk)
                _write_all(fd, chunk)
            os.fsync(fd)
            os.fchmod(fd, 0o444)
            os.close(fd)
            fd = -1
            digest = "sha256:" + hasher.hexdigest()
            final = self.path_for(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp_name, final)
                created = True
                _fsync_dir(final.parent)
            except FileExistsError:
                created = False
            return StoredBlob(digest=digest, size=size, head=bytes(head), created=created)
        finally:
            if fd >= 0:
                os.close(fd)
            if tmp_name:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredBlob:
        return self.put_chunks(iter(lambda: stream.read(CHUNK_SIZE), b""), max_bytes=max_bytes)

    def open(self, digest: str) -> BinaryIO:
        path = self.path_for(digest)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise BlobMissing(digest) from exc

    def iter_chunks(self, digest: str) -> Iterator[bytes]:
        with self.open(digest) as handle:
            yield from iter(lambda: handle.read(CHUNK_SIZE), b"")

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()


def _mkstemp(directory: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix="in-", dir=directory)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
