"""`testimonia ingest` and `testimonia verify` as processes: exit codes, JSON, tamper, crash."""

import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest


def env_for(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTIMONIA_", "DJANGO_"))}
    env["TESTIMONIA_HOME"] = str(home)
    return env


def cli(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "testimonia", *args],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    result = cli(home, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    return home


def ingest_json(home, *args):
    result = cli(home, "ingest", *args, "--workspace", "demo", "--json")
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_ingest_prints_one_json_object_per_item_and_exits_1_if_any_failed(home, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("alpha")
    (tmp_path / "in" / "b.txt").write_text("alpha")
    (tmp_path / "in" / "empty").write_bytes(b"")
    result, rows = ingest_json(home, str(tmp_path / "in"))
    assert result.returncode == 1
    a, b, empty = rows
    assert set(a) >= {"id", "sha256", "size", "media_type", "duplicate_of", "errors"}
    assert a["errors"] == []
    assert a["size"] == 5
    assert b["duplicate_of"] == a["id"]
    assert empty["id"] is None
    assert empty["errors"]


def test_ingest_of_good_files_exits_0(home, tmp_path):
    (tmp_path / "x.txt").write_text("x")
    result, rows = ingest_json(home, str(tmp_path / "x.txt"))
    assert result.returncode == 0, result.stderr
    assert rows[0]["errors"] == []


def test_ingest_into_a_missing_workspace_is_a_usage_error(home, tmp_path):
    (tmp_path / "x.txt").write_text("x")
    result = cli(home, "ingest", str(tmp_path / "x.txt"), "--workspace", "nope")
    assert result.returncode == 2
    assert "no workspace 'nope'" in result.stderr


def test_verify_passes_on_an_intact_vault(home):
    result = cli(home, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all intact" in result.stdout


def test_verify_names_every_damaged_object_after_a_one_byte_change(home, tmp_path):
    (tmp_path / "a.txt").write_text("first original")
    (tmp_path / "b.txt").write_text("second original")
    _, rows = ingest_json(home, str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    for row in rows:
        hexdigest = row["sha256"].split(":")[1]
        path = home / "blobs" / "sha256" / hexdigest[:2] / hexdigest[2:4] / hexdigest
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        data[3] ^= 0x01
        path.write_bytes(bytes(data))
    result = cli(home, "verify", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["intact"] is False
    assert {d["digest"] for d in report["damaged_objects"]} == {r["sha256"] for r in rows}
    assert all("SHA-256" in d["problem"] for d in report["damaged_objects"])


def test_verify_names_a_log_row_edited_in_the_database(home):
    db = sqlite3.connect(home / "testimonia.sqlite3")
    db.execute(
        "update custody_logentry set payload = replace(payload, 'ingest', 'ingesT') where seq = 1"
    )
    db.commit()
    db.close()
    result = cli(home, "verify")
    assert result.returncode == 1
    assert "DAMAGED custody log demo, entry 1: its content does not match" in result.stdout


def test_verify_names_a_deleted_stored_object(home):
    db = sqlite3.connect(home / "testimonia.sqlite3")
    digest = db.execute("select sha256 from evidence_blob order by id limit 1").fetchone()[0]
    db.close()
    hexdigest = digest.split(":")[1]
    (home / "blobs" / "sha256" / hexdigest[:2] / hexdigest[2:4] / hexdigest).unlink()
    result = cli(home, "verify")
    assert result.returncode == 1
    assert f"DAMAGED stored object {digest}" in result.stdout
    assert "missing from the store" in result.stdout


@pytest.mark.parametrize("after", [3, 40, 150])
def test_kill_9_during_ingest_loses_nothing_acknowledged_and_verify_passes(home, tmp_path, after):
    source = tmp_path / "batch"
    source.mkdir()
    for i in range(250):
        (source / f"{i:04}.bin").write_bytes(os.urandom(64 * 1024))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "testimonia",
            "ingest",
            str(source),
            "--workspace",
            "demo",
            "--json",
        ],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    acknowledged = []
    for line in process.stdout:
        acknowledged.append(json.loads(line))
        if len(acknowledged) == after:
            process.send_signal(signal.SIGKILL)  # mid-batch, right after an acknowledgement
            break
    rest, _ = process.communicate(timeout=30)
    acknowledged += [json.loads(line) for line in rest.splitlines() if line.endswith("}")]
    assert process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= after
    db = sqlite3.connect(home / "testimonia.sqlite3")
    for row in acknowledged:
        found = db.execute(
            "select b.sha256 from evidence_item i join evidence_blob b "
            "on b.id = i.blob_id where i.id = ?",
            (row["id"],),
        ).fetchone()
        assert found == (row["sha256"],)
    db.close()
    verify = cli(home, "verify")
    assert verify.returncode == 0, verify.stdout
    # Re-running the interrupted ingest completes it: all 250 files are then recorded.
    rerun = cli(home, "ingest", str(source), "--workspace", "demo", "--json")
    assert rerun.returncode == 0
    db = sqlite3.connect(home / "testimonia.sqlite3")
    stored = db.execute(
        "select count(distinct blob_id) from evidence_item where original_path like ?",
        (f"{source}/%",),
    ).fetchone()[0]
    db.close()
    assert stored == 250
    assert cli(home, "verify").returncode == 0


def test_ingest_as_a_user_without_the_right_role_is_refused(home, tmp_path):
    (tmp_path / "x.txt").write_text("x")
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "testimonia",
            "user",
            "create",
            "rana",
            "--role",
            "reviewer",
            "--workspace",
            "demo",
            "--password-stdin",
        ],
        env=env_for(home),
        input="a-long-enough-passphrase-42\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    result = cli(home, "ingest", str(tmp_path / "x.txt"), "--workspace", "demo", "--as", "rana")
    assert result.returncode == 2
    assert "'rana' may not do this in workspace 'demo'" in result.stderr
    ok = cli(home, "ingest", str(tmp_path / "x.txt"), "--workspace", "demo", "--as", "demo")
    assert ok.returncode == 0, ok.stderr
