"""Where an import file waits between the steps of the import pages (views_import.py) and
for the background job that imports a large one (tasks.py).

Each upload is one file, ``TESTIMONIA_HOME/tmp/imports/<user id>/<token>``: the token is
random (``secrets``), kept in the user's session, and checked against its pattern, and the
resolved path against the folder, before any read or write; no name the user gave ever
becomes a path. A file is removed once its import has run, and in any case after a day (each
upload sweeps the older ones away). The database session holds the token, never the file.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from django.conf import settings
from django.core.exceptions import SuspiciousOperation

logger = logging.getLogger("testimonia.incidents")

MAX_AGE_SECONDS: Final = 24 * 3600
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{32}")


class BadToken(SuspiciousOperation):
    """A token that no upload could have: not of the pattern, or outside the folder."""


def uploads_root() -> Path:
    return Path(settings.TESTIMONIA_HOME).resolve() / "tmp" / "imports"


def path_of(user_id: int, token: str) -> Path:
    """The file of an upload; BadToken for anything but a token this module issued."""
    if not _TOKEN.fullmatch(token):
        raise BadToken("import upload: malformed token")
    root = uploads_root()
    path = (root / str(int(user_id)) / token).resolve()
    if not path.is_relative_to(root):
        raise BadToken("import upload: path outside the uploads folder")
    return path


def store(user_id: int, chunks: Iterable[bytes]) -> str:
    """Write an uploaded file under a new token and return the token."""
    token = secrets.token_urlsafe(24)  # 32 characters of the pattern
    path = path_of(user_id, token)
    uploads_root().mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    # O_EXCL: a new file, never one that is there already (nor a link planted in its place).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return token


def remove(user_id: int, token: str) -> None:
    path_of(user_id, token).unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Remove the uploads older than a day (abandoned imports); the number removed."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - MAX_AGE_SECONDS
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            try:
                if path.is_file() and path.lstat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile by its import
                continue
    if removed:
        logger.info("removed %d abandoned import upload(s)", removed)
    return removed
