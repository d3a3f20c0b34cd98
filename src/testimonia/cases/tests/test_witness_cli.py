"""`testimonia witness ...` and `testimonia testimony add`."""

from __future__ import annotations

import io
import json
import stat

import pytest

from testimonia.cases.consent import consent_covers
from testimonia.cases.models import Witness
from testimonia.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from testimonia.custody.models import LogEntry

from .conftest import CANARY, leaks

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def add_witness(capsys, *extra):
    return run(capsys, "witness", "add", "--workspace", "test-ws", "--name", CANARY, *extra)


def test_witness_add_prints_the_pseudonym_and_nothing_identifying(capsys, investigator):
    code, out, err = add_witness(capsys, "--consent", "icc", "un-coi", "--as", "investigator")
    assert code == EXIT_OK
    assert out == "W-0001\n"
    assert leaks(out + err, CANARY) == []
    witness = Witness.objects.get()
    assert witness.created_by == investigator
    assert consent_covers(witness, "icc").covered
    assert consent_covers(witness, "un-coi").covered
    assert not consent_covers(witness, "publication").covered
    code, out, _ = add_witness(capsys, "--json")
    assert json.loads(out) == {"pseudonym": "W-0002", "consent": []}


def test_the_name_can_come_from_stdin(capsys, monkeypatch, protection_officer):
    monkeypatch.setattr("sys.stdin", io.StringIO(CANARY + "\n"))
    code, out, _ = run(capsys, "witness", "add", "--workspace", "test-ws", "--name-stdin")
    assert code == EXIT_OK
    assert out == "W-0001\n"
    code, out, _ = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "check the intake",
    )
    assert code == EXIT_OK
    assert f"name: {CANARY}" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--consent", "narnia"), "unknown mechanism 'narnia'"),
        (("--as", "analyst"), "record_testimony"),
        (("--workspace", "nowhere"), "nowhere"),
    ],
)
def test_intake_mistakes_are_one_line_exit_2_and_write_nothing(capsys, personas, args, fragment):
    code, out, err = add_witness(capsys, *args)
    assert code == EXIT_USAGE
    assert out == ""
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert leaks(err, CANARY) == []
    assert not Witness.objects.exists()


def test_a_missing_key_file_is_a_clear_error(capsys, settings, tmp_path, personas):
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "absent.key"
    code, out, err = add_witness(capsys)
    assert code == EXIT_USAGE
    assert "does not exist" in err
    assert "testimonia witness init-key" in err
    assert leaks(out + err, CANARY) == []


def test_init_key_creates_a_private_key_file_once(capsys, settings, tmp_path):
    path = tmp_path / "new" / "identity.key"
    settings.TESTIMONIA_IDENTITY_KEY_FILE = path
    code, out, _ = run(capsys, "witness", "init-key")
    assert code == EXIT_OK
    assert str(path) in out
    assert "back it up" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    code, _, err = run(capsys, "witness", "init-key")
    assert code == EXIT_USAGE
    assert "already exists" in err
    assert path.read_bytes() == before


def test_testimony_add_stores_the_file_as_given_by_the_witness(capsys, tmp_path, personas):
    add_witness(capsys)
    transcript = tmp_path / f"{CANARY} transcript.txt"
    transcript.write_text("What W-0001 saw at the market.", encoding="utf-8")
    code, out, err = run(
        capsys,
        "testimony",
        "add",
        transcript,
        "--workspace",
        "test-ws",
        "--witness",
        "w-1",
        "--json",
        "--language",
        "en",
        "--as",
        "investigator",
    )
    assert code == EXIT_OK, err
    record = json.loads(out)
    assert record["witness"] == "W-0001"
    assert record["kind"] == "statement"
    assert record["filename"] == "W-0001-statement.txt"
    assert isinstance(record["id"], int)
    assert leaks(out + err, CANARY) == []
    english = tmp_path / "translation.txt"
    english.write_text("translation", encoding="utf-8")
    code, out, _ = run(
        capsys,
        "testimony",
        "add",
        english,
        "--workspace",
        "test-ws",
        "--witness",
        "W-0001",
        "--derived-from",
        record["id"],
        "--kind",
        "translation",
        "--language",
        "en",
    )
    assert code == EXIT_OK
    assert out.startswith(f"{record['id'] + 1}\tsha256:")
    assert "translation of W-0001" in out


def test_consent_grant_and_withdraw_keep_the_history(capsys, personas):
    add_witness(capsys)
    code, out, _ = run(
        capsys,
        "witness",
        "consent",
        "W-0001",
        "--workspace",
        "test-ws",
        "--grant",
        "record",
        "analysis",
        "share:national-de",
        "publication",
        "--date",
        "2024-05-01",
        "--form",
        "written",
    )
    assert code == EXIT_OK
    assert len(out.splitlines()) == 4
    witness = Witness.objects.get()
    assert consent_covers(witness, "national-de").covered
    assert consent_covers(witness, "publication").covered
    code, out, _ = run(
        capsys,
        "witness",
        "consent",
        "W-0001",
        "--workspace",
        "test-ws",
        "--withdraw",
        "publication",
        "--form",
        "oral",
        "--as",
        "protection_officer",
    )
    assert code == EXIT_OK
    assert "W-0001\tshare:publication\twithdrawn" in out
    assert not consent_covers(witness, "publication").covered
    code, out, _ = run(capsys, "witness", "consent", "W-0001", "--workspace", "test-ws", "--json")
    state = json.loads(out)
    assert len(state["history"]) == 5
    assert len(state["current"]) == 4
    assert LogEntry.objects.filter(action="consent").count() == 5


@pytest.mark.parametrize(
    ("scope", "fragment"),
    [
        ("share", "name the mechanism"),
        ("record:icc", "names no mechanism"),
        ("forever:icc", "unknown consent scope"),
        ("narnia", "unknown mechanism"),
    ],
)
def test_a_bad_consent_scope_is_refused_and_nothing_recorded(capsys, personas, scope, fragment):
    add_witness(capsys)
    code, _, err = run(
        capsys, "witness", "consent", "W-0001", "--workspace", "test-ws", "--grant", "icc", scope
    )
    assert code == EXIT_USAGE
    assert fragment in err
    assert not Witness.objects.get().consents.exists()


def test_reveal_prints_the_identity_to_a_protection_officer_and_logs_only_the_reason(
    capsys, personas
):
    add_witness(capsys)
    code, out, _ = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "relocation review",
        "--json",
    )
    assert code == EXIT_OK
    assert json.loads(out)["name"] == CANARY
    event = LogEntry.objects.get(action="identity_reveal")
    payload = json.loads(event.payload)
    assert payload["reason"] == "relocation review"
    assert payload["actor"].startswith("protection_officer#")
    assert leaks(event.payload, CANARY) == []


@pytest.mark.parametrize(
    "user", ["investigator", "analyst", "legal_officer", "administrator", "reviewer", "outsider"]
)
def test_reveal_is_refused_to_everyone_else_naming_the_role_never_the_name(capsys, personas, user):
    add_witness(capsys)
    code, out, err = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        user,
        "--reason",
        "curious",
    )
    assert code == EXIT_USAGE
    assert out == ""
    assert "protection_officer" in err
    assert leaks(err, CANARY) == []
    assert not LogEntry.objects.filter(action="identity_reveal").exists()


def test_a_reason_with_the_name_is_refused_before_anything_is_logged(capsys, personas):
    add_witness(capsys)
    code, out, err = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        f"call {CANARY.upper()}",
    )
    assert code == EXIT_USAGE
    assert "contains the witness's name" in err
    assert leaks(out + err, CANARY) == []
    assert not LogEntry.objects.filter(action="identity_reveal").exists()


def test_a_name_given_instead_of_a_pseudonym_is_not_echoed(capsys, personas):
    add_witness(capsys)
    code, _, err = run(
        capsys,
        "witness",
        "reveal",
        CANARY,
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "x",
    )
    assert code == EXIT_USAGE
    assert "not a pseudonym" in err
    assert leaks(err, CANARY) == []


def test_a_tampered_identity_is_an_integrity_failure_naming_the_pseudonym(capsys, personas):
    from testimonia.cases.models import WitnessIdentity

    add_witness(capsys)
    add_witness(capsys)
    first, second = WitnessIdentity.objects.order_by("pk")
    WitnessIdentity.objects.filter(pk=first.pk).update(ciphertext=bytes(second.ciphertext))
    code, out, err = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "x",
    )
    assert code == EXIT_FAILURE
    assert "W-0001" in err
    assert "does not decrypt" in err
    assert out == ""


def test_rotate_key_reencrypts(capsys, personas, identity_key):
    add_witness(capsys)
    code, out, _ = run(capsys, "witness", "rotate-key")
    assert code == EXIT_OK
    assert "1 identities re-encrypted" in out
    code, out, _ = run(
        capsys,
        "witness",
        "reveal",
        "W-0001",
        "--workspace",
        "test-ws",
        "--as",
        "protection_officer",
        "--reason",
        "after rotation",
    )
    assert CANARY in out
