"""Checkpoints timestamped by a real RFC 3161 authority (openssl ts on loopback)."""

import subprocess
from pathlib import Path

import pytest

from testimonia.custody.models import Checkpoint
from testimonia.custody.services import append_event, sign_checkpoint, verify_log
from testimonia.custody.timestamping import TimestampError, check_timestamp, request_timestamp

from .local_tsa import LocalTSA, make_pki


@pytest.fixture(scope="module")
def tsa():
    authority = LocalTSA()
    yield authority
    authority.stop()


@pytest.fixture
def stamped(settings, tsa, workspace):
    settings.TESTIMONIA_TSA_URL = tsa.url
    settings.TESTIMONIA_TSA_ROOTS = str(tsa.root_file)
    append_event(workspace, actor=None, action="ingest", subject="item:1")
    return sign_checkpoint(workspace)


@pytest.mark.django_db
def test_a_checkpoint_gets_a_timestamp_that_verifies_against_the_tsa_root(stamped, workspace):
    assert stamped.timestamped_at is not None
    assert bytes(stamped.tsa_response)
    assert verify_log(workspace)[1] == []


@pytest.mark.django_db
def test_openssl_itself_accepts_the_stored_timestamp(stamped, tsa, tmp_path):
    response = tmp_path / "resp.tsr"
    response.write_bytes(bytes(stamped.tsa_response))
    data = tmp_path / "note.txt"
    data.write_bytes(stamped.note.encode())
    result = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(response),
            "-data",
            str(data),
            "-CAfile",
            str(tsa.root_file),
            "-untrusted",
            str(tsa.folder / "tsa.crt"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in result.stdout, result.stderr


@pytest.mark.django_db
def test_a_checkpoint_edited_after_its_timestamp_is_named(stamped, workspace):
    edited = stamped.note.replace("\n1\n", "\n2\n")
    Checkpoint.objects.filter(pk=stamped.pk).update(note=edited)
    problems = [str(p) for p in verify_log(workspace)[1]]
    assert any("its timestamp is for other content" in p for p in problems)


@pytest.mark.django_db
def test_a_timestamp_from_an_untrusted_authority_is_named(stamped, workspace, settings, tmp_path):
    make_pki(tmp_path, ca_name="Some Other Root")
    settings.TESTIMONIA_TSA_ROOTS = str(tmp_path / "ca.crt")
    problems = [str(p) for p in verify_log(workspace)[1]]
    assert any("signature does not check out" in p for p in problems)


@pytest.mark.django_db
def test_an_unreachable_tsa_leaves_the_signed_checkpoint_without_a_timestamp(settings, workspace):
    settings.TESTIMONIA_TSA_URL = "http://127.0.0.1:9/tsr"
    append_event(workspace, actor=None, action="ingest")
    checkpoint = sign_checkpoint(workspace)
    assert checkpoint.timestamped_at is None
    assert verify_log(workspace)[1] == []


def test_a_tsa_answer_for_other_data_is_refused(tsa):
    stamp = request_timestamp(b"the checkpoint", tsa.url)
    when, problem = check_timestamp(stamp.response, b"another checkpoint", None)
    assert when is not None
    assert "for other content" in problem


def test_non_http_tsa_urls_are_refused():
    with pytest.raises(TimestampError, match="must be http or https"):
        request_timestamp(b"x", "file:///etc/passwd")


def test_the_local_tsa_pki_is_written(tmp_path):
    make_pki(tmp_path)
    assert {p.name for p in Path(tmp_path).iterdir()} >= {"ca.crt", "tsa.crt", "tsa.key"}
