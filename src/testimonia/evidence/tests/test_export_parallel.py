"""The copy and the check of a bag use several threads: an original of many chunks is copied
whole with both digests, damage or a write error still stops the export and leaves no thread
behind, and verify_bundle.py reports what its threads found in the same order every time."""

import hashlib
import json
import os
import random
import threading

import bagit
import pytest

from testimonia.custody.models import LogEntry
from testimonia.evidence import blobstore, export
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.export import export_bag
from testimonia.evidence.services import add_item, blob_store

from .bagtools import load_tool, payload_file, verify_bundle

pytestmark = pytest.mark.django_db

CHUNK = 4096


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 KiB, so that an original of a few hundred KB goes through every thread."""
    monkeypatch.setattr(blobstore, "CHUNK_SIZE", CHUNK)
    monkeypatch.setattr(export, "_QUEUED_CHUNKS", 2)
    monkeypatch.setattr(export, "_WRITEBACK_BYTES", 3 * CHUNK)


@pytest.fixture
def large(workspace, investigator, small_chunks):
    data = random.Random(7).randbytes(60 * CHUNK + 123)  # noqa: S311 (test data, not a secret)
    return add_item(investigator, workspace, [data], filename="video.mp4").item, data


def manifest_digest(bag, algorithm, item):
    rel = payload_file(bag, item).relative_to(bag).as_posix()
    for line in (bag / f"manifest-{algorithm}.txt").read_text().splitlines():
        digest, path = line.split("  ", 1)
        if path == rel:
            return digest
    raise AssertionError(f"{rel} is not in manifest-{algorithm}.txt")


def export_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("export-")]


def test_an_original_of_many_chunks_is_copied_whole_with_both_digests(large, workspace, tmp_path):
    item, data = large
    bag = export_bag(None, workspace, [item.pk], tmp_path / "bag")
    assert payload_file(bag, item).read_bytes() == data
    assert manifest_digest(bag, "sha256", item) == hashlib.sha256(data).hexdigest()
    assert manifest_digest(bag, "sha512", item) == hashlib.sha512(data).hexdigest()
    bagit.Bag(str(bag)).validate()
    assert verify_bundle(bag).returncode == 0
    assert export_threads() == []


def test_a_change_far_inside_a_large_original_stops_the_export(large, workspace, tmp_path):
    item, data = large
    stored = blob_store().path_for(item.blob.sha256)
    os.chmod(stored, 0o644)
    damaged = bytearray(data)
    damaged[-200] ^= 0x01  # in a chunk that the SHA-512 thread handles
    stored.write_bytes(bytes(damaged))
    (tmp_path / "out").mkdir()
    with pytest.raises(DigestMismatch) as raised:
        export_bag(None, workspace, [item.pk], tmp_path / "out" / "bag")
    assert f"item {item.pk} (video.mp4)" in str(raised.value)
    assert raised.value.algorithm == "sha256"
    assert list((tmp_path / "out").iterdir()) == []
    assert not LogEntry.objects.filter(workspace=workspace, action="export").exists()
    assert export_threads() == []


def test_a_write_error_stops_the_export_and_its_hashing_thread(
    large, workspace, tmp_path, monkeypatch
):
    write = export._Writer.write
    calls = []

    def fail_on_the_fifth(self, chunk):
        calls.append(chunk)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        write(self, chunk)

    monkeypatch.setattr(export._Writer, "write", fail_on_the_fifth)
    item, _data = large
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError, match="No space left"):
        export_bag(None, workspace, [item.pk], tmp_path / "out" / "bag")
    assert list((tmp_path / "out").iterdir()) == []
    assert not LogEntry.objects.filter(workspace=workspace, action="export").exists()
    assert export_threads() == []  # the SHA-512 thread was stopped, not left behind


def test_in_order_hands_every_chunk_over_in_order_and_stops_its_thread():
    seen = []
    with export._InOrder(seen.append, "export-test") as work:
        for n in range(50):
            work(bytes([n]))
    assert seen == [bytes([n]) for n in range(50)]
    assert export_threads() == []


def test_in_order_raises_the_workers_error_when_the_block_ends():
    def fail(chunk):
        if chunk == b"\x03":
            raise OSError(5, "Input/output error")

    def feed():
        with export._InOrder(fail, "export-test") as work:
            for n in range(4):
                work(bytes([n]))

    with pytest.raises(OSError, match="Input/output error"):
        feed()
    assert export_threads() == []


# ---------------------------------------------------------------------------------------------
# verify_bundle.py hashes files side by side and reports in the bag's order


def test_verify_bundle_names_damaged_files_in_path_order(bag, items):
    for item in reversed(items):
        target = payload_file(bag, item)
        target.write_bytes(target.read_bytes() + b"!")
    paths = sorted(payload_file(bag, item).relative_to(bag).as_posix() for item in items)
    for _ in range(3):  # the threads may finish in any order; the report may not change
        report = json.loads(verify_bundle(bag, "--json").stdout)
        (payload,) = (c for c in report["checks"] if c["id"] == "payload")
        named = [
            p.removeprefix("The file ").partition(" is not the file")[0]
            for p in payload["problems"]
            if "is not the file that was exported" in p
        ]
        assert named == paths


def test_verify_bundles_hashing_reports_an_unreadable_file_and_goes_on(tmp_path):
    tool = load_tool()
    (tmp_path / "a.bin").write_bytes(b"evidence")
    found = tool._hash_files(
        tmp_path, {"a.bin": ["sha256", "sha512"], "gone.bin": ["sha256"]}, {"a.bin": 8}
    )
    assert found["a.bin"] == {
        "sha256": hashlib.sha256(b"evidence").hexdigest(),
        "sha512": hashlib.sha512(b"evidence").hexdigest(),
    }
    assert isinstance(found["gone.bin"], OSError)
    check = tool.Check("payload", "The evidence files")
    assert tool._digests_or_problem(found["gone.bin"], ["sha256"], check, "gone.bin") == {
        "sha256": ""
    }
    assert check.problems == ["The file gone.bin could not be read (No such file or directory)."]
