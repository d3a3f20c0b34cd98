"""`testimonia demo`: a home with a fictional demo workspace, served on 127.0.0.1.

Checks everything it can before it creates anything (URLs, port, writable home), and removes
a home it created itself if a later step fails, so a failed start leaves nothing half-made.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from testimonia.cli import EXIT_OK, UsageError, ensure_port_free, serve_forever, setup_django
from testimonia.core.config import (
    SECRET_KEY_FILE,
    database_from,
    generate_secret_key,
    home_from,
    storage_root_from,
)

DEMO_PASSWORD_FILE = "demo_password"  # noqa: S105 (a file name, not a secret)
DEMO_USERNAME = "demo"


def run_demo(port: int, *, serve_after: bool = True) -> int:
    home = home_from(os.environ, Path.cwd())
    try:
        database_from(os.environ, home)
        storage_root_from(os.environ, home)
    except ImproperlyConfigured as exc:
        raise UsageError(str(exc)) from None
    if serve_after:
        ensure_port_free("127.0.0.1", port)
    check_writable(home)
    created_home = not home.exists()
    try:
        prepare_home(home)
        os.environ["TESTIMONIA_HOME"] = str(home)
        setup_django()
        password = load_demo(home)
    except BaseException:
        if created_home:
            shutil.rmtree(home, ignore_errors=True)
        raise
    print(f"Demo home: {home}")
    print(
        f"Open http://127.0.0.1:{port}/ and log in as {DEMO_USERNAME!r} with password {password!r}"
    )
    sys.stdout.flush()
    if not serve_after:
        return EXIT_OK
    from testimonia.jobs.services import requeue_interrupted_tasks

    return serve_forever(
        "127.0.0.1", port, threads=8, worker=True, requeue=requeue_interrupted_tasks
    )


def check_writable(home: Path) -> None:
    probe = home
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"TESTIMONIA_HOME {home} is not a folder: choose another path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(
            f"TESTIMONIA_HOME {home} is not writable: choose a folder you can write to, "
            "e.g. TESTIMONIA_HOME=$HOME/testimonia-data"
        )


def prepare_home(home: Path) -> None:
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (home / "tmp").mkdir(mode=0o700, exist_ok=True)
        key_file = home / SECRET_KEY_FILE
        if not key_file.exists() and not os.environ.get("TESTIMONIA_SECRET_KEY"):
            write_private(key_file, generate_secret_key())
    except OSError as exc:
        raise UsageError(
            f"cannot write to TESTIMONIA_HOME {home} ({exc.strerror}): "
            "choose a folder you can write to, e.g. TESTIMONIA_HOME=$HOME/testimonia-data"
        ) from None


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def load_demo(home: Path) -> str:
    """Migrate, load the demo workspace once, and return the demo user's password."""
    from django.core.management import call_command
    from django.db import DatabaseError

    from testimonia.demo_data import DEMO_WORKSPACE, create_demo_workspace

    try:
        call_command("migrate", verbosity=0, interactive=False)
    except DatabaseError as exc:
        raise UsageError(f"cannot use the database: {exc}".splitlines()[0]) from None
    password_file = home / DEMO_PASSWORD_FILE
    from testimonia.accounts.models import Workspace

    if not Workspace.objects.filter(slug=DEMO_WORKSPACE).exists():
        import secrets

        password = secrets.token_urlsafe(12)
        create_demo_workspace(DEMO_USERNAME, password)
        if password_file.exists():
            password_file.unlink()
        write_private(password_file, password)
        return password
    if password_file.exists():
        return password_file.read_text(encoding="ascii").strip()
    return "(set when the demo was first created)"
