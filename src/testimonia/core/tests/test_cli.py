"""The `testimonia` command as a user runs it: a real process, a fresh home, real exit codes."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from testimonia.cli import build_parser


def run(*args, home=None, env=None, stdin=None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    if home is not None:
        environ["TESTIMONIA_HOME"] = str(home)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "testimonia", *args],
        capture_output=True,
        text=True,
        env=environ,
        input=stdin,
        timeout=120,
        check=False,
    )


def one_line_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("testimonia")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli") / "home"
    result = run("demo", "--no-serve", home=home)
    assert result.returncode == 0, result.stderr
    return home, result.stdout


def subcommands(parser=None, prefix=()):
    parser = parser or build_parser()
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from subcommands(sub, (*prefix, name))


def test_every_command_documents_itself_in_help(capsys):
    commands = list(subcommands())
    assert ("workspace", "create") in commands
    assert ("token", "create") in commands
    for command in commands:
        if command == ("manage",):
            continue  # passes --help through to Django
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: testimonia" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["demo", "--bogus"], "unrecognized arguments: --bogus"),
        (["demo", "--port", "99999"], "port must be between 1 and 65535"),
        (["serve", "--port", "http"], "port must be a number"),
        (["user", "create", "amal", "--workspace", "w"], "--role"),
        (["user", "create", "amal", "--role", "king", "--workspace", "w"], "invalid choice"),
        ([], "required: COMMAND"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, fragment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert fragment in err[0]


def test_demo_creates_a_home_with_a_private_secret_and_prints_a_login(demo_home):
    home, out = demo_home
    assert "log in as 'demo'" in out
    assert "http://127.0.0.1:8000/" in out
    assert (home / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (home / "testimonia.sqlite3").is_file()


def test_demo_twice_keeps_the_same_data_and_login(demo_home):
    home, out = demo_home
    again = run("demo", "--no-serve", home=home)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == out.splitlines()[-1]
    listed = run("workspace", "list", "--json", home=home)
    assert [w["slug"] for w in json.loads(listed.stdout)] == ["demo"]


def test_workspace_user_and_token_commands_work_together(demo_home):
    home, _ = demo_home
    created = run(
        "workspace", "create", "التحقيق في الهجمات", "--slug", "attacks", "--json", home=home
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout) == {"slug": "attacks", "name": "التحقيق في الهجمات"}
    user = run(
        "user",
        "create",
        "amal",
        "--role",
        "analyst",
        "--workspace",
        "attacks",
        "--password-stdin",
        home=home,
        stdin="a-long-enough-passphrase-42\n",
    )
    assert user.returncode == 0, user.stderr
    assert "created user amal as analyst in attacks" in user.stdout
    token = run("token", "create", "--user", "amal", home=home)
    assert token.returncode == 0
    assert token.stdout.strip().startswith("tsm_")


def test_duplicate_workspace_is_a_one_line_error(demo_home):
    home, _ = demo_home
    one_line_error(
        run("workspace", "create", "Demo", "--slug", "demo", home=home), "already exists"
    )


def test_user_for_a_missing_workspace_is_refused_and_nothing_is_created(demo_home):
    home, _ = demo_home
    result = run(
        "user",
        "create",
        "ghost",
        "--role",
        "analyst",
        "--workspace",
        "nowhere",
        "--password-stdin",
        home=home,
        stdin="a-long-enough-passphrase-42\n",
    )
    one_line_error(result, "no workspace 'nowhere'")
    one_line_error(run("token", "create", "--user", "ghost", home=home), "no user 'ghost'")


def test_weak_password_is_refused_with_the_reason(demo_home):
    home, _ = demo_home
    result = run(
        "user",
        "create",
        "weak",
        "--role",
        "analyst",
        "--workspace",
        "demo",
        "--password-stdin",
        home=home,
        stdin="123\n",
    )
    one_line_error(result, "password refused")


def test_commands_without_a_secret_refuse_to_start(tmp_path):
    one_line_error(run("workspace", "list", home=tmp_path), "TESTIMONIA_SECRET_KEY is not set")
    one_line_error(run("serve", home=tmp_path), "TESTIMONIA_SECRET_KEY is not set")


def test_commands_on_an_unmigrated_database_say_what_to_run(tmp_path):
    result = run("workspace", "list", home=tmp_path, env={"TESTIMONIA_SECRET_KEY": "k" * 40})
    one_line_error(result, "testimonia manage migrate")


def test_bad_database_url_creates_nothing(tmp_path):
    home = tmp_path / "home"
    result = run("demo", "--no-serve", home=home, env={"TESTIMONIA_DATABASE_URL": "mysql://x/y"})
    one_line_error(result, "TESTIMONIA_DATABASE_URL")
    assert not home.exists()


def test_unreachable_database_creates_nothing(tmp_path):
    home = tmp_path / "home"
    result = run(
        "demo",
        "--no-serve",
        home=home,
        env={"TESTIMONIA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
    )
    one_line_error(result, "cannot use the database")
    assert not home.exists()


def test_unwritable_home_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    one_line_error(run("demo", "--no-serve", home=blocker / "home"), "not a folder")
    one_line_error(
        run("demo", "--no-serve", home=Path("/proc/testimonia-home")),
        "cannot write to TESTIMONIA_HOME",
    )


def test_port_in_use_is_a_one_line_error_and_creates_nothing(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        home = tmp_path / "home"
        one_line_error(run("demo", "--port", str(port), home=home), f"port {port}", "in use")
        assert not home.exists()


def test_manage_passes_through_to_django(demo_home):
    home, _ = demo_home
    result = run("manage", "showmigrations", "accounts", home=home)
    assert result.returncode == 0
    assert "[X] 0001_initial" in result.stdout
