"""What `testimonia ingest` can read: files, folders and archive members, found defensively.

Pure (no Django): yields `Source`s, each able to open its bytes as a stream, or carrying the
reason it cannot be ingested. Nothing here writes anywhere: archive members are streamed
straight into the blob store by the caller, never extracted to disk, so a hostile member name
cannot write outside the store. Python's zipfile and tarfile do the parsing; the checks around
them (unsafe names, links, special files, size and ratio limits) are ours, because neither
library refuses those by itself when reading members as streams.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class Limits:
    """Archive-bomb limits. A member or archive over a limit is refused with a clear error."""

    max_members: int = 100_000
    max_member_bytes: int = 2 * 1024**3
    max_total_bytes: int = 20 * 1024**3
    # Uncompressed / compressed, for members (zip) or the whole stream (tar.gz) past 1 MiB.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024


class LimitExceeded(Exception):
    pass


@dataclass
class Source:
    path: str  # as found, for display: undecodable bytes appear as \xNN
    filename: str
    modified_at: datetime | None = None
    opener: Callable[[], AbstractContextManager[IO[bytes]]] | None = None
    error: str | None = None
    is_archive: bool = False
    local_path: Path | None = None  # for files on disk
    size: int | None = None
    limit: Callable[[int], None] | None = field(default=None, repr=False)


def display(name: str | bytes) -> str:
    """A name in any encoding as readable text: UTF-8 where it is, \\xNN escapes elsewhere."""
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    return raw.decode("utf-8", "backslashreplace")


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def discover(paths: list[Path]) -> Iterator[Source]:
    """Files as given, folders recursively (links inside folders are not followed)."""
    for given in paths:
        shown = display(str(given))
        try:
            info = given.stat()  # a path the user named explicitly may be a link: follow it
        except OSError as exc:
            yield Source(shown, display(given.name), error=f"cannot read: {exc.strerror}")
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(given)
        else:
            yield _file_source(given, shown, info)


def _walk(root: Path) -> Iterator[Source]:
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(directory)
        for dirname in dirnames:
            if (base / dirname).is_symlink():
                yield Source(
                    display(str(base / dirname)),
                    display(dirname),
                    error="symbolic link to a folder: not followed",
                )
        for filename in sorted(filenames):
            path = base / filename
            shown = display(str(path))
            try:
                info = path.lstat()
            except OSError as exc:
                yield Source(shown, display(filename), error=f"cannot read: {exc.strerror}")
                continue
            if stat.S_ISLNK(info.st_mode):
                yield Source(shown, display(filename), error="symbolic link: not followed")
                continue
            yield _file_source(path, shown, info)


def _file_source(path: Path, shown: str, info: os.stat_result) -> Source:
    name = display(path.name)
    if not stat.S_ISREG(info.st_mode):
        return Source(shown, name, error="not a regular file (device, pipe or socket)")
    if info.st_size == 0:
        return Source(shown, name, error="empty file (0 bytes): nothing to preserve")
    return Source(
        shown,
        name,
        modified_at=datetime.fromtimestamp(info.st_mtime, UTC),
        opener=lambda: path.open("rb"),
        is_archive=is_archive_name(path.name),
        local_path=path,
        size=info.st_size,
    )


def unsafe_member_name(name: str) -> str | None:
    """Why an archive member name must not be trusted, or None when it is a plain relative path."""
    if not name or "\x00" in name:
        return "empty or NUL in the name"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return "absolute path"
    if ".." in PurePosixPath(unified).parts:
        return "path goes up out of the archive (..)"
    return None


def archive_members(archive: Path, shown: str, limits: Limits) -> Generator[Source, None, None]:
    """The members of a .zip or .tar(.gz) archive, each a Source or a per-member error."""
    try:
        if zipfile.is_zipfile(archive):
            yield from _zip_members(archive, shown, limits)
            return
        if tarfile.is_tarfile(archive):
            yield from _tar_members(archive, shown, limits)
            return
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        yield Source(shown, display(archive.name), error=f"damaged archive: {exc}")
        return
    yield Source(
        shown,
        display(archive.name),
        error="named like an archive but is not a readable .zip or .tar file",
    )


class _Budget:
    """Counts bytes read from an archive and refuses when a limit is crossed."""

    def __init__(self, limits: Limits, compressed_size: int) -> None:
        self.limits = limits
        self.compressed_size = max(compressed_size, 1)
        self.total = 0

    def spend(self, n: int) -> None:
        self.total += n
        if self.total > self.limits.max_total_bytes:
            raise LimitExceeded(
                f"archive expands past {self.limits.max_total_bytes:,} bytes (archive bomb?)"
            )
        if (
            self.total > self.limits.ratio_floor_bytes
            and self.total / self.compressed_size > self.limits.max_ratio
        ):
            raise LimitExceeded(
                f"archive expands more than {self.limits.max_ratio:g} times (archive bomb?)"
            )


def _member_path(shown: str, name: str) -> str:
    return f"{shown}!/{display(name)}"


def _zip_members(archive: Path, shown: str, limits: Limits) -> Iterator[Source]:
    budget = _Budget(limits, archive.stat().st_size)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            yield Source(
                shown,
                display(archive.name),
                error=f"archive has {len(infos):,} members, over the limit of "
                f"{limits.max_members:,}",
            )
            return
        for info in infos:
            if info.is_dir():
                continue
            path = _member_path(shown, info.filename)
            name = display(PurePosixPath(info.filename.replace("\\", "/")).name)
            reason = unsafe_member_name(info.filename)
            mode = info.external_attr >> 16
            if reason:
                yield Source(path, name, error=f"unsafe member name: {reason}")
            elif stat.S_ISLNK(mode):
                yield Source(path, name, error="link inside the archive: not followed")
            elif info.flag_bits & 0x1:
                yield Source(path, name, error="encrypted member: cannot be read")
            elif info.file_size == 0:
                yield Source(path, name, error="empty file (0 bytes): nothing to preserve")
            elif info.file_size > limits.max_member_bytes:
                yield Source(
                    path, name, error=f"member larger than {limits.max_member_bytes:,} bytes"
                )
            elif (
                info.file_size > limits.ratio_floor_bytes
                and info.file_size / max(info.compress_size, 1) > limits.max_ratio
            ):
                yield Source(
                    path,
                    name,
                    error=f"member expands more than {limits.max_ratio:g} times (archive bomb?)",
                )
            else:
                yield Source(
                    path,
                    name,
                    modified_at=_zip_time(info.date_time),
                    opener=_zip_opener(archive, info.filename),
                    size=info.file_size,
                    limit=budget.spend,
                )


def _zip_time(parts: tuple[int, int, int, int, int, int]) -> datetime | None:
    # Zip times carry no zone; they are recorded as found, read as UTC.
    try:
        return datetime(*parts, tzinfo=UTC)
    except ValueError:
        return None


def _zip_opener(archive: Path, member: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    def open_member() -> AbstractContextManager[IO[bytes]]:
        zf = zipfile.ZipFile(archive)
        return _ClosingBoth(zf.open(member), zf)

    return open_member


def _tar_members(archive: Path, shown: str, limits: Limits) -> Iterator[Source]:
    budget = _Budget(limits, archive.stat().st_size)
    count = 0
    # Stream mode ("r|*"): one pass, members in order, no random access needed.
    with tarfile.open(archive, mode="r|*") as tf:
        for member in tf:
            count += 1
            if count > limits.max_members:
                yield Source(
                    shown,
                    display(archive.name),
                    error=f"archive has more than {limits.max_members:,} members",
                )
                return
            if member.isdir():
                continue
            path = _member_path(shown, member.name)
            name = display(PurePosixPath(member.name).name)
            reason = unsafe_member_name(member.name)
            if reason:
                yield Source(path, name, error=f"unsafe member name: {reason}")
            elif member.issym() or member.islnk():
                yield Source(path, name, error="link inside the archive: not followed")
            elif not member.isreg():
                yield Source(path, name, error="not a regular file (device, pipe or socket)")
            elif member.size == 0:
                yield Source(path, name, error="empty file (0 bytes): nothing to preserve")
            elif member.size > limits.max_member_bytes:
                yield Source(
                    path, name, error=f"member larger than {limits.max_member_bytes:,} bytes"
                )
            else:
                handle = tf.extractfile(member)
                if handle is None:
                    yield Source(path, name, error="cannot be read")
                    continue
                # In stream mode the member must be consumed before the next one is read:
                # the caller ingests each Source before asking for the next.
                yield Source(
                    path,
                    name,
                    modified_at=datetime.fromtimestamp(member.mtime, UTC) if member.mtime else None,
                    opener=_already_open(handle),
                    size=member.size,
                    limit=budget.spend,
                )


def _already_open(handle: IO[bytes]) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    def opener() -> AbstractContextManager[IO[bytes]]:
        return _ClosingBoth(handle, None)

    return opener


class _ClosingBoth(AbstractContextManager[IO[bytes]]):
    def __init__(self, handle: IO[bytes], owner: zipfile.ZipFile | None) -> None:
        self.handle = handle
        self.owner = owner

    def __enter__(self) -> IO[bytes]:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self.handle.close()
        if self.owner is not None:
            self.owner.close()
