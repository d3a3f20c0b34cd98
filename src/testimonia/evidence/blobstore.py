"""Content-addressed, write-once store for originals on the local file system.

Pure Python with no Django import, so it is tested directly. Layout under the root:
``sha256/ab/cd/<64 hex>`` (read-only files) and ``incoming/`` for writes in progress.
An object is written to a temporary file in the same file system while its SHA-256 is
computed in the same pass, fsynced, made read-only, then hard-linked into place: the link fails
if the object exists, so a stored object is never rewritten, and a crash leaves only a
temporary file, never a partial object under its name.

The bytes are written by a second thread while the caller's thread reads and hashes the next
chunks (hashlib and os.write release the GIL), and the write-back of what is written is started
every few MiB, so that the disk works during the hashing rather than all at once in the final
fsync. The fsync before the link still decides durability.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
HEAD_SIZE = 8192
# Start the write-back of written bytes every WRITEBACK_BYTES; at most QUEUED_CHUNKS chunks wait
# for the writer thread (memory held: QUEUED_CHUNKS chunks).
WRITEBACK_BYTES = 8 * 1024 * 1024
QUEUED_CHUNKS = 8
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

    def _make_parents(self, folder: Path) -> list[Path]:
        """Create `folder` and missing parents below the root; return those created."""
        missing = []
        probe = folder
        while not probe.exists() and probe != self.root:
            missing.append(probe)
            probe = probe.parent
        folder.mkdir(parents=True, exist_ok=True)
        return missing

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
            writer = _Writer(fd)
            try:
                for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    if len(head) < HEAD_SIZE:
                        head.extend(chunk[: HEAD_SIZE - len(head)])
                    hasher.update(chunk)
                    writer.write(chunk)
            finally:
                writer.close()
            writer.raise_error()
            os.fsync(fd)
            os.fchmod(fd, 0o444)
            os.close(fd)
            fd = -1
            digest = "sha256:" + hasher.hexdigest()
            final = self.path_for(digest)
            new_dirs = self._make_parents(final.parent)
            try:
                os.link(tmp_name, final)
                created = True
                fsync_dir(final.parent)
            except FileExistsError:
                created = False
            # A folder made for this object is itself an entry in its parent: persist those
            # entries too, or a crash could lose the path to a durable object.
            for made in new_dirs:
                fsync_dir(made.parent)
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

    def remove(self, digest: str) -> bool:
        """Remove an object for good (an approved deletion); durable when it returns.

        The only way bytes leave the store. False when it was already gone."""
        path = self.path_for(digest)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True


class _Writer:
    """Writes one file's chunks in order. The first chunk is written at once; from the second
    on, a thread writes them, so that a small file costs no thread. A write error stops the
    writing and is raised by `raise_error` (and by the next `write`)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.error: OSError | None = None
        self._written = 0
        self._flushed = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def write(self, chunk: bytes) -> None:
        self.raise_error()
        data = bytes(chunk)  # a private, immutable copy only if the caller passed a buffer
        if self._written == 0 and self._queue is None:
            self._write(data)
            return
        if self._queue is None:
            self._queue = queue.Queue(maxsize=QUEUED_CHUNKS)
            self._thread = threading.Thread(
                target=self._run, args=(self._queue,), name="blob-writer", daemon=True
            )
            self._thread.start()
        self._queue.put(data)

    def close(self) -> None:
        """Wait until every queued chunk is written (or dropped after an error)."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self, chunks: queue.Queue[bytes | None]) -> None:
        while (chunk := chunks.get()) is not None:
            if self.error is None:  # after an error, drain so that the producer never blocks
                try:
                    self._write(chunk)
                except OSError as exc:
                    self.error = exc

    def _write(self, data: bytes) -> None:
        _write_all(self.fd, data)
        self._written += len(data)
        if self._written - self._flushed >= WRITEBACK_BYTES:
            _start_writeback(self.fd, self._flushed, self._written - self._flushed)
            self._flushed = self._written


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing these bytes to the disk now, without waiting for it.

    On Linux, POSIX_FADV_DONTNEED starts the write-back of the dirty pages of the range (and
    drops only pages already clean), as PostgreSQL's pg_flush_data does where
    sync_file_range is missing. Elsewhere the hint may do nothing, and a file system that
    refuses it changes nothing either: the final fsync writes all.
    """
    fadvise = getattr(os, "posix_fadvise", None)
    if fadvise is not None:
        with contextlib.suppress(OSError):
            fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _mkstemp(directory: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix="in-", dir=directory)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
