"""The key file of the witness identity store: AES-256 keys kept outside the database.

Pure file handling, no Django. The file is UTF-8 text, one key a line, comments after ``#``::

    # Testimonia witness identity keys: keep secret, back up apart from the database.
    aes256gcm:8J2q...(base64url of 32 random bytes)

The last key encrypts; every key in the file decrypts what it encrypted, so a rotation adds a
key, re-encrypts, and only then retires the old one. A key's id, stored beside each
ciphertext, is the first 16 hex digits of SHA-256 over a label and the key: it names the key
without revealing anything about it.

The file is created atomically (O_EXCL) with mode 0600 in a folder of mode 0700, and replaced
atomically (write, fsync, rename) when it changes, so a crash leaves the old file or the new
one, never half of one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32
PREFIX = "aes256gcm:"
KEY_ID_LABEL = b"testimonia witness identity key\x00"
HEADER = (
    "# Testimonia witness identity keys (AES-256-GCM). Keep this file secret and back it up\n"
    "# apart from the database: without it no witness identity can be read, and with the\n"
    "# database it reveals them all. The last key encrypts; older keys only decrypt.\n"
)


class KeyFileError(Exception):
    """The key file cannot be used; the message says what is wrong and what to do."""


class KeyFileMissing(KeyFileError):
    pass


def key_id(key: bytes) -> str:
    return hashlib.sha256(KEY_ID_LABEL + key).hexdigest()[:16]


def generate_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]  # oldest first; the last one encrypts

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a keyring holds at least one key")

    @property
    def current(self) -> tuple[str, bytes]:
        key = self.keys[-1]
        return key_id(key), key

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id(k) for k in self.keys)

    def get(self, wanted: str) -> bytes | None:
        for key in self.keys:
            if key_id(key) == wanted:
                return key
        return None

    def serialise(self) -> str:
        lines = [PREFIX + base64.urlsafe_b64encode(k).decode("ascii") for k in self.keys]
        return HEADER + "\n".join(lines) + "\n"


def parse_keyring(text: str, where: str) -> Keyring:
    keys: list[bytes] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.startswith(PREFIX):
            raise KeyFileError(
                f"{where}, line {number}: not a key (expected '{PREFIX}' and 32 bytes in "
                "base64url): restore the file from its backup"
            )
        try:
            key = base64.urlsafe_b64decode(line[len(PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            key = b""
        if len(key) != KEY_BYTES:
            raise KeyFileError(
                f"{where}, line {number}: the key is not 32 bytes of base64url: "
                "restore the file from its backup"
            )
        keys.append(key)
    if not keys:
        raise KeyFileError(f"{where} holds no key: restore the file from its backup")
    return Keyring(tuple(keys))


def read_keyring(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileMissing(f"the identity key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise KeyFileError(f"the identity key file {path} cannot be read ({reason})") from None
    return parse_keyring(text, str(path))


def permission_problem(path: Path) -> str | None:
    """What is wrong with the file's permissions, if anything: others must not read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return f"mode {mode:04o}: readable or writable by others than its owner"
    return None


def create_key_file(path: Path) -> Keyring:
    """Write a new key file with one fresh key; refuses to replace an existing file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keyring = Keyring((generate_key(),))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"the identity key file {path} already exists: it is kept as it is"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot create the identity key file {path} ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(keyring.serialise())
        handle.flush()
        os.fsync(handle.fileno())
    _sync_folder(path.parent)
    return keyring


def replace_keyring(path: Path, keyring: Keyring) -> None:
    """Replace the key file with `keyring`, atomically, keeping mode 0600."""
    fd, temporary = tempfile.mkstemp(prefix=".identity-key-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.serialise())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
