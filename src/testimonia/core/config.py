"""Typed configuration read from the environment.

Pure: takes a mapping (normally ``os.environ``) and returns a frozen ``Config``, raising
``ImproperlyConfigured`` with a message that names the variable and what to do. The settings
module and the CLI both call it, so a bad value is reported before anything is created.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
MIN_SECRET_LENGTH = 32
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Config:
    home: Path
    database: dict[str, Any]
    storage_root: Path
    secret_key: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    https: bool
    max_upload_bytes: int
    tsa_url: str
    tsa_roots: Path | None
    map_tiles: str = ""
    # The key file of the witness identity store (cases/keys.py); None = the home's default.
    identity_key_file: Path | None = None

    @property
    def database_vendor(self) -> str:
        engine = str(self.database["ENGINE"])
        return "sqlite" if engine.endswith("sqlite3") else "postgresql"


def env_bool(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_int(environ: Mapping[str, str], name: str, *, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def home_from(environ: Mapping[str, str], cwd: Path) -> Path:
    raw = environ.get("TESTIMONIA_HOME", "").strip()
    home = Path(raw).expanduser() if raw else cwd / "testimonia-data"
    if not home.is_absolute():
        home = cwd / home
    return home.resolve()


def database_from(environ: Mapping[str, str], home: Path) -> dict[str, Any]:
    raw = environ.get("TESTIMONIA_DATABASE_URL", "").strip()
    if not raw:
        return sqlite_database(home / "testimonia.sqlite3")
    scheme = urlsplit(raw).scheme
    if scheme == "sqlite":
        # sqlite:////absolute/path.sqlite3 or sqlite:///relative (to TESTIMONIA_HOME)
        path_part = unquote(urlsplit(raw).path)
        if path_part in ("", "/"):
            raise ImproperlyConfigured(
                "TESTIMONIA_DATABASE_URL names no SQLite file: use sqlite:////path/to/db.sqlite3."
            )
        # Four slashes give an absolute path; three, a path relative to TESTIMONIA_HOME.
        relative = Path(path_part[1:])
        return sqlite_database(relative if relative.is_absolute() else home / relative)
    if scheme in ("postgres", "postgresql", "pgsql"):
        try:
            parsed = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TESTIMONIA_DATABASE_URL is not a valid URL: {exc}"
            ) from exc
        if not parsed.get("NAME"):
            raise ImproperlyConfigured(
                "TESTIMONIA_DATABASE_URL names no database: use postgres://user@host:5432/dbname."
            )
        return dict(parsed)
    raise ImproperlyConfigured(
        f"TESTIMONIA_DATABASE_URL has unsupported scheme {scheme or '(none)'!r}: "
        "use sqlite:////path/to/file.sqlite3 or postgres://user@host:port/dbname."
    )


def sqlite_database(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL: readers never block the writer, and a commit is durable once in the log.
            # synchronous=FULL keeps the promise that an acknowledged ingest survives kill -9
            # and power loss; busy_timeout lets the web server and the worker share the file.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def storage_root_from(environ: Mapping[str, str], home: Path) -> Path:
    raw = environ.get("TESTIMONIA_STORAGE_URL", "").strip()
    if not raw:
        return home / "blobs"
    parts = urlsplit(raw)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ImproperlyConfigured(
                "TESTIMONIA_STORAGE_URL file:// URLs must name a local path: file:///srv/blobs."
            )
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise ImproperlyConfigured("TESTIMONIA_STORAGE_URL must be an absolute file:/// path.")
        return path
    if parts.scheme == "s3":
        raise ImproperlyConfigured(
            "TESTIMONIA_STORAGE_URL=s3://... is not available in this version: object storage "
            "with Object Lock is planned (see docs/configuration.md); use file:///path meanwhile."
        )
    raise ImproperlyConfigured(
        f"TESTIMONIA_STORAGE_URL has unsupported scheme {parts.scheme or '(none)'!r}: "
        "use file:///absolute/path."
    )


def secret_key_from(environ: Mapping[str, str], home: Path) -> str:
    """The key from TESTIMONIA_SECRET_KEY, else the one `testimonia demo` kept in the home.

    Fails closed: with neither, nothing starts, so a production server can never run on a
    default or empty key.
    """
    raw = environ.get("TESTIMONIA_SECRET_KEY", "")
    if raw:
        if len(raw) < MIN_SECRET_LENGTH:
            raise ImproperlyConfigured(
                f"TESTIMONIA_SECRET_KEY is too short ({len(raw)} characters): "
                f"use at least {MIN_SECRET_LENGTH} random characters."
            )
        return raw
    key_file = home / SECRET_KEY_FILE
    if key_file.is_file():
        key = key_file.read_text(encoding="ascii").strip()
        if len(key) >= MIN_SECRET_LENGTH:
            return key
    raise ImproperlyConfigured(
        "TESTIMONIA_SECRET_KEY is not set: set it to a long random value "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or run `testimonia demo`, which keeps one in TESTIMONIA_HOME."
    )


def generate_secret_key() -> str:
    return secrets.token_urlsafe(50)


def load_config(environ: Mapping[str, str], cwd: Path) -> Config:
    home = home_from(environ, cwd)
    database = database_from(environ, home)
    storage_root = storage_root_from(environ, home)
    secret_key = secret_key_from(environ, home)
    debug = env_bool(environ, "TESTIMONIA_DEBUG")
    hosts_raw = environ.get("TESTIMONIA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
    allowed_hosts = tuple(h.strip() for h in hosts_raw.split(",") if h.strip())
    if not allowed_hosts:
        raise ImproperlyConfigured(
            "TESTIMONIA_ALLOWED_HOSTS is empty: list the host names the server answers to."
        )
    return Config(
        home=home,
        database=database,
        storage_root=storage_root,
        secret_key=secret_key,
        debug=debug,
        allowed_hosts=allowed_hosts,
        https=env_bool(environ, "TESTIMONIA_HTTPS"),
        max_upload_bytes=env_int(
            environ, "TESTIMONIA_MAX_UPLOAD_BYTES", default=2 * 1024**3, minimum=1
        ),
        tsa_url=tsa_url_from(environ),
        tsa_roots=tsa_roots_from(environ),
        map_tiles=map_tiles_from(environ),
        identity_key_file=identity_key_file_from(environ, home),
    )


IDENTITY_KEY_FILE = Path("keys") / "identity.key"


def identity_key_file_from(environ: Mapping[str, str], home: Path) -> Path:
    """The key file that decrypts witness identities: TESTIMONIA_IDENTITY_KEY_FILE (an absolute
    path, best outside the home and its backups), else keys/identity.key in the home."""
    raw = environ.get("TESTIMONIA_IDENTITY_KEY_FILE", "").strip()
    if not raw:
        return home / IDENTITY_KEY_FILE
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ImproperlyConfigured(
            f"TESTIMONIA_IDENTITY_KEY_FILE={raw!r} must be an absolute path, e.g. "
            "/etc/testimonia/identity.key."
        )
    return path


def map_tiles_from(environ: Mapping[str, str]) -> str:
    """A base-map tile URL template ({z}/{x}/{y}); empty = the bundled boundaries only, so
    that no reader's position or interest leaks to a tile server unless it is chosen."""
    raw = environ.get("TESTIMONIA_MAP_TILES", "").strip()
    if raw and (
        urlsplit(raw).scheme != "https" or not all(k in raw for k in ("{z}", "{x}", "{y}"))
    ):
        raise ImproperlyConfigured(
            f"TESTIMONIA_MAP_TILES={raw!r} must be an https:// tile URL template with {{z}}, "
            "{x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        )
    return raw


def tsa_url_from(environ: Mapping[str, str]) -> str:
    raw = environ.get("TESTIMONIA_TSA_URL", "").strip()
    if raw and urlsplit(raw).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"TESTIMONIA_TSA_URL={raw!r} must be an http:// or https:// address of an RFC 3161 "
            "time-stamping authority."
        )
    return raw


def tsa_roots_from(environ: Mapping[str, str]) -> Path | None:
    raw = environ.get("TESTIMONIA_TSA_ROOTS", "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ImproperlyConfigured(
            f"TESTIMONIA_TSA_ROOTS={raw!r} is not a file: give the PEM certificate(s) of the "
            "authority that signs your TSA's certificates."
        )
    return path
