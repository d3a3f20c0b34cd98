"""The `testimonia` command: a thin adapter over the services, with Django set up lazily.

Arguments are parsed before Django starts, so `--help` and usage errors need no
configuration. Every user mistake ends in one line on stderr and exit code 2; a failed
verification exits 1; no traceback reaches the user for bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
ROLES = (
    "investigator",
    "analyst",
    "legal_officer",
    "protection_officer",
    "reviewer",
    "administrator",
)


class UsageError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def build_parser() -> Parser:
    parser = Parser(
        prog="testimonia",
        description="Testimonia: collect, preserve and document evidence of international "
        "crimes, and carry it to justice.",
        epilog="Configuration comes from the environment: TESTIMONIA_HOME, "
        "TESTIMONIA_DATABASE_URL, TESTIMONIA_STORAGE_URL, TESTIMONIA_SECRET_KEY "
        "(see docs/configuration.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="create a demo home with sample data and serve it on 127.0.0.1",
        description="Create TESTIMONIA_HOME (default ./testimonia-data) with a demo workspace "
        "and sample data, print a login, and serve the web UI on http://127.0.0.1:PORT.",
    )
    demo.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    demo.add_argument(
        "--no-serve", action="store_true", help="set up the demo home and exit without serving"
    )

    serve = sub.add_parser(
        "serve",
        help="serve the web UI, the API and the background worker",
        description="Serve the web UI and JSON API with the background-task worker, on the "
        "configured storage. The database must be migrated (testimonia manage migrate).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not start the background-task worker"
    )

    workspace = sub.add_parser("workspace", help="create and list workspaces")
    ws_sub = workspace.add_subparsers(dest="action", metavar="ACTION", required=True)
    ws_create = ws_sub.add_parser("create", help="create a workspace")
    ws_create.add_argument("name", help="display name, in any script")
    ws_create.add_argument("--slug", help="identifier used in URLs (default: from the name)")
    ws_create.add_argument("--description", default="", help="what the workspace is for")
    ws_create.add_argument("--json", action="store_true", help="print the result as JSON")
    ws_list = ws_sub.add_parser("list", help="list workspaces")
    ws_list.add_argument("--json", action="store_true", help="print the result as JSON")

    user = sub.add_parser("user", help="create users and give them roles")
    user_sub = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    user_create = user_sub.add_parser(
        "create",
        help="create a user with a role in a workspace",
        description="Create a user with a role in a workspace. The password is read from "
        "standard input with --password-stdin, asked for on a terminal, or else generated "
        "and printed once.",
    )
    user_create.add_argument("username")
    user_create.add_argument("--role", required=True, choices=ROLES, help="role in the workspace")
    user_create.add_argument("--workspace", required=True, help="workspace identifier")
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_create.add_argument(
        "--staff", action="store_true", help="platform administrator (may create workspaces)"
    )
    user_grant = user_sub.add_parser("grant", help="give an existing user a role in a workspace")
    user_grant.add_argument("username")
    user_grant.add_argument("--role", required=True, choices=ROLES)
    user_grant.add_argument("--workspace", required=True)

    token = sub.add_parser("token", help="API tokens for scripts")
    token_sub = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    token_create = token_sub.add_parser(
        "create", help="create an API token and print it (it is shown only once)"
    )
    token_create.add_argument("--user", required=True, help="username the token acts as")
    token_create.add_argument("--name", default="", help="a label to recognise the token by")

    from testimonia import (
        cli_evidence,
        cli_export,
        cli_import,
        cli_legal,
        cli_preserve,
        cli_search,
    )

    cli_evidence.add_parsers(sub)
    cli_export.add_parsers(sub)
    cli_import.add_parsers(sub)
    cli_legal.add_parsers(sub)
    cli_preserve.add_parsers(sub)
    cli_search.add_parsers(sub)

    from testimonia import cli_witness

    cli_witness.add_parsers(sub)

    from testimonia import cli_roadmap

    cli_roadmap.add_parsers(sub)

    from testimonia import cli_cases

    cli_cases.add_parsers(sub)

    from testimonia import cli_redact

    cli_redact.add_parsers(sub)

    from testimonia import cli_estimate

    cli_estimate.add_parsers(sub)

    manage = sub.add_parser(
        "manage",
        help="run a Django management command (migrate, createsuperuser, ...)",
        description="Pass the remaining arguments to Django's management commands.",
        add_help=False,
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except UsageError as exc:
        print(f"testimonia: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from testimonia.demo import run_demo

        return run_demo(args.port, serve_after=not args.no_serve)
    if args.command == "manage":
        setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["testimonia manage", *args.args])
        return EXIT_OK
    if args.command == "serve":
        return run_serve(args.host, args.port, threads=args.threads, worker=not args.no_worker)
    if args.command == "crimes":
        from testimonia import cli_legal

        # The catalogue is data shipped with the code: no configuration, no database.
        return cli_legal.cmd_crimes(args)
    if args.command == "estimate":
        from testimonia import cli_estimate

        # Pure computation on a CSV: no configuration, no database.
        return cli_estimate.cmd_estimate(args)
    setup_django()
    if args.command in ("ingest", "derive", "verify", "custody"):
        from testimonia import cli_evidence

        check_database()
        return {
            "ingest": cli_evidence.cmd_ingest,
            "derive": cli_evidence.cmd_derive,
            "verify": cli_evidence.cmd_verify,
            "custody": cli_evidence.cmd_custody,
        }[args.command](args)
    if args.command == "export":
        from testimonia import cli_export

        check_database()
        return cli_export.cmd_export(args)
    if args.command in ("search", "reindex"):
        from testimonia import cli_search

        check_database()
        if args.command == "search":
            return cli_search.cmd_search(args)
        return cli_search.cmd_reindex(args)
    if args.command == "import":
        from testimonia import cli_import

        check_database()
        return cli_import.cmd_import(args)
    if args.command in ("qualify", "suggest", "matrix"):
        from testimonia import cli_legal

        check_database()
        return cli_legal.cmd_qualification(args)
    if args.command in ("hold", "deletion"):
        from testimonia import cli_preserve

        check_database()
        if args.command == "hold":
            return cli_preserve.cmd_hold(args)
        return cli_preserve.cmd_deletion(args)
    if args.command == "redact":
        from testimonia import cli_redact

        return cli_redact.cmd_redact(args)  # checks the database itself
    if args.command in ("witness", "testimony"):
        from testimonia import cli_witness

        return cli_witness.dispatch(args)  # checks the database itself (init-key needs none)
    if args.command == "roadmap":
        from testimonia import cli_roadmap

        check_database()
        return cli_roadmap.dispatch(args)
    if args.command == "case":
        from testimonia import cli_cases

        return cli_cases.dispatch(args)  # checks the database itself
    handler = {
        ("workspace", "create"): cmd_workspace_create,
        ("workspace", "list"): cmd_workspace_list,
        ("user", "create"): cmd_user_create,
        ("user", "grant"): cmd_user_grant,
        ("token", "create"): cmd_token_create,
    }[(args.command, args.action)]
    return handler(args)


def setup_django() -> None:
    """Configure Django from the environment; configuration mistakes become UsageError."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testimonia.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        raise UsageError(str(exc)) from None


def check_database() -> None:
    """Fail with one line when the database is unreachable or not migrated."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise UsageError(f"cannot use the database: {exc}".splitlines()[0]) from None
    if pending:
        raise UsageError(
            f"the database has {len(pending)} unapplied migration(s): "
            "run `testimonia manage migrate` first"
        )


def accounts_call(func: Any, *a: Any, **kw: Any) -> Any:
    from testimonia.accounts.exceptions import AccountsError

    check_database()
    try:
        return func(*a, **kw)
    except AccountsError as exc:
        raise UsageError(str(exc)) from None


def acting_member(username: str | None, workspace: Any, capability: Any) -> Any:
    """The user named by --as, who must hold `capability` in the workspace; None without --as.

    The command runs with the server's authority; --as records who acts, so it must name
    someone the workspace's policy allows to do it.
    """
    if not username:
        return None
    from testimonia.accounts.roles import grants
    from testimonia.accounts.services import get_user, membership_roles

    user = accounts_call(get_user, username)
    if not grants(membership_roles(user, workspace.slug), capability):
        raise UsageError(
            f"{username!r} may not do this in workspace {workspace.slug!r}: "
            f"their roles there do not include the capability {capability}"
        )
    return user


def cmd_workspace_create(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import create_workspace

    ws = accounts_call(
        create_workspace, None, args.name, slug=args.slug, description=args.description
    )
    if args.json:
        print(json.dumps({"slug": ws.slug, "name": ws.name}, ensure_ascii=False))
    else:
        print(f"created workspace {ws.slug} ({ws.name})")
    return EXIT_OK


def cmd_workspace_list(args: argparse.Namespace) -> int:
    from testimonia.accounts.models import Workspace

    check_database()
    rows = [{"slug": w.slug, "name": w.name} for w in Workspace.objects.order_by("slug")]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['slug']}\t{row['name']}")
    return EXIT_OK


def read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """Return (password, generated)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin was given but standard input held no password")
        return password, False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise UsageError("the two passwords differ")
        return first, False
    return secrets.token_urlsafe(18), True


def cmd_user_create(args: argparse.Namespace) -> int:
    from django.db import transaction

    from testimonia.accounts.roles import Role
    from testimonia.accounts.services import create_user, get_workspace, grant_role

    workspace = accounts_call(get_workspace, args.workspace)
    password, generated = read_password(args)

    def create() -> None:
        with transaction.atomic():
            user = create_user(args.username, password, is_staff=args.staff)
            grant_role(user, workspace, Role(args.role))

    accounts_call(create)
    print(f"created user {args.username} as {args.role} in {workspace.slug}")
    if generated:
        print(f"password (shown once): {password}")
    return EXIT_OK


def cmd_user_grant(args: argparse.Namespace) -> int:
    from testimonia.accounts.roles import Role
    from testimonia.accounts.services import get_user, get_workspace, grant_role

    workspace = accounts_call(get_workspace, args.workspace)
    user = accounts_call(get_user, args.username)
    grant_role(user, workspace, Role(args.role))
    print(f"{user.username} is {args.role} in {workspace.slug}")
    return EXIT_OK


def cmd_token_create(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import create_api_token, get_user

    user = accounts_call(get_user, args.user)
    token, _record = create_api_token(user, args.name)
    print(token)
    return EXIT_OK


def ensure_port_free(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UsageError(f"cannot resolve host {host!r}") from None
    family, socktype, proto, _canon, address = infos[0]
    with socket.socket(family, socktype, proto) as probe:
        try:
            probe.bind(address)
        except PermissionError:
            raise UsageError(f"no permission to listen on port {port}: use --port 8000") from None
        except OSError:
            raise UsageError(
                f"port {port} on {host} is already in use: stop the other server or "
                f"choose another with --port"
            ) from None


def run_serve(host: str, port: int, *, threads: int = 8, worker: bool = True) -> int:
    ensure_port_free(host, port)
    setup_django()
    check_database()
    from django.conf import settings

    from testimonia.evidence.services import blob_store
    from testimonia.jobs.services import requeue_interrupted_tasks

    try:
        blob_store().ensure_writable()
        (Path(settings.TESTIMONIA_HOME) / "tmp").mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"the storage folder is not writable: {exc.strerror}") from None
    return serve_forever(
        host, port, threads=threads, worker=worker, requeue=requeue_interrupted_tasks
    )


def serve_forever(host: str, port: int, *, threads: int, worker: bool, requeue: Any) -> int:
    from waitress import create_server

    from testimonia.wsgi import application

    supervisor = WorkerSupervisor() if worker else None
    if supervisor is not None:
        requeue()
        supervisor.start()
    server = create_server(application, host=host, port=port, threads=threads)
    print(f"Testimonia is serving on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)

    def stop(signum: int, frame: Any) -> None:
        # Same path as Ctrl+C: leave the serving loop in the main thread; closing the
        # sockets from here would race with request threads still finishing a response.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if supervisor is not None:
            supervisor.stop()
    return EXIT_OK


class WorkerSupervisor:
    """Runs the database task worker as a child process and restarts it if it dies."""

    COMMAND = (
        "-m",
        "testimonia",
        "manage",
        "db_worker",
        "--interval",
        "1",
        "--no-startup-delay",
        "--no-reload",
    )

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def spawn(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv, our own interpreter)
            [sys.executable, *self.COMMAND], env=os.environ.copy()
        )

    def start(self) -> None:
        self.spawn()
        threading.Thread(target=self.watch, name="worker-supervisor", daemon=True).start()

    def watch(self) -> None:
        while not self.stopping.wait(2):
            if self.process is not None and self.process.poll() is not None:
                print("background worker stopped; restarting it", file=sys.stderr, flush=True)
                self.spawn()

    def stop(self) -> None:
        self.stopping.set()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
