"""Ingest of files, folders and archives: every item accounted for, hostile input refused."""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.evidence.ingest import ingest_paths
from testimonia.evidence.models import Item
from testimonia.evidence.services import blob_store
from testimonia.evidence.sources import Limits

pytestmark = pytest.mark.django_db(transaction=True)


def run(workspace, *paths, **kw):
    return list(ingest_paths(None, workspace, list(paths), **kw))


def by_name(outcomes):
    return {o.path.rsplit("/", 1)[-1]: o for o in outcomes}


def test_a_folder_is_read_recursively_with_original_paths_and_times(workspace, tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"a" * 100)
    (tmp_path / "in" / "sub" / "b.txt").write_text("notes")
    os.utime(tmp_path / "in" / "sub" / "b.txt", (1_700_000_000, 1_700_000_000))
    outcomes = run(workspace, tmp_path / "in", source="phone dump")
    assert all(o.ok for o in outcomes)
    b = by_name(outcomes)["b.txt"].item
    assert b.original_path.endswith("in/sub/b.txt")
    assert b.found_modified_at.timestamp() == 1_700_000_000
    assert b.source == "phone dump"
    assert by_name(outcomes)["a.jpg"].item.blob.media_type == "image/jpeg"


def test_every_stored_item_has_a_custody_event_and_the_batch_a_checkpoint(workspace, tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"file {i}")
    outcomes = run(workspace, tmp_path)
    events = LogEntry.objects.filter(workspace=workspace, action="ingest")
    assert {e.object_digest for e in events} == {o.item.blob.sha256 for o in outcomes}
    assert Checkpoint.objects.filter(workspace=workspace, tree_size=3).exists()


def test_an_exact_duplicate_is_a_new_acquisition_naming_the_first(workspace, tmp_path):
    (tmp_path / "one.txt").write_text("same bytes")
    (tmp_path / "two.txt").write_text("same bytes")
    first, second = run(workspace, tmp_path / "one.txt", tmp_path / "two.txt")
    assert first.duplicate_of is None
    assert second.duplicate_of == first.item.pk
    assert second.item.blob_id == first.item.blob_id


def test_bad_items_get_their_own_error_and_the_rest_is_ingested(workspace, tmp_path):
    (tmp_path / "good.txt").write_text("good")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "link").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "pipe")
    outcomes = by_name(run(workspace, tmp_path, tmp_path / "missing.txt"))
    assert outcomes["good.txt"].ok
    assert outcomes["empty.txt"].errors == ["empty file (0 bytes): nothing to preserve"]
    assert outcomes["link"].errors == ["symbolic link: not followed"]
    assert outcomes["pipe"].errors == ["not a regular file (device, pipe or socket)"]
    assert outcomes["missing.txt"].errors == ["cannot read: No such file or directory"]
    assert Item.objects.count() == 1


def test_names_in_any_encoding_are_kept_readable(workspace, tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xd8\xb4.txt"
    with open(raw, "wb") as handle:
        handle.write(b"latin-1 and arabic bytes in one name")
    (outcome,) = run(workspace, tmp_path)
    assert outcome.ok
    assert outcome.item.original_filename == "caf\\xe9-ش.txt"


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)


def test_archive_members_become_items_that_name_their_archive(workspace, tmp_path):
    make_zip(tmp_path / "dump.zip", [("photos/1.jpg", b"\xff\xd8\xffphoto"), ("notes.txt", "n")])
    outcomes = run(workspace, tmp_path / "dump.zip")
    archive = outcomes[0].item
    members = [o.item for o in outcomes[1:]]
    assert archive.blob.media_type == "application/zip"
    assert all(m.container_id == archive.pk for m in members)
    assert {m.original_path for m in members} == {
        f"{tmp_path}/dump.zip!/photos/1.jpg",
        f"{tmp_path}/dump.zip!/notes.txt",
    }


def test_tar_gz_members_are_read_and_links_and_devices_refused(workspace, tmp_path):
    path = tmp_path / "dump.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = b"statement"
        info = tarfile.TarInfo("a/statement.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("shadow")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tf.addfile(link)
        hard = tarfile.TarInfo("hard")
        hard.type = tarfile.LNKTYPE
        hard.linkname = "a/statement.txt"
        tf.addfile(hard)
        device = tarfile.TarInfo("dev")
        device.type = tarfile.CHRTYPE
        tf.addfile(device)
    outcomes = by_name(run(workspace, path))
    assert outcomes["statement.txt"].ok
    assert outcomes["shadow"].errors == ["link inside the archive: not followed"]
    assert outcomes["hard"].errors == ["link inside the archive: not followed"]
    assert outcomes["dev"].errors == ["not a regular file (device, pipe or socket)"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/cron.d/x", "path goes up out of the archive"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\x.dll", "absolute path"),
        ("a/../../b", "path goes up out of the archive"),
    ],
)
def test_path_traversal_in_archives_is_refused_and_writes_nothing(
    workspace, tmp_path, name, reason
):
    make_zip(tmp_path / "evil.zip", [(name, b"payload"), ("ok.txt", b"fine")])
    outcomes = run(workspace, tmp_path / "evil.zip")
    errors = [e for o in outcomes for e in o.errors]
    assert any(reason in e for e in errors)
    assert sum(o.ok for o in outcomes) == 2  # the archive and ok.txt
    store_files = {p.name for p in blob_store().root.rglob("*") if p.is_file()}
    expected = {o.item.blob.sha256.split(":")[1] for o in outcomes if o.ok}
    assert store_files == expected


def test_a_zip_bomb_member_is_refused_by_its_ratio(workspace, tmp_path):
    make_zip(tmp_path / "bomb.zip", [("zeros.bin", b"\0" * 20_000_000), ("ok.txt", b"ok")])
    outcomes = by_name(run(workspace, tmp_path / "bomb.zip"))
    assert "archive bomb" in outcomes["zeros.bin"].errors[0]
    assert outcomes["ok.txt"].ok


def test_a_tar_gz_that_expands_too_far_stops_and_says_so(workspace, tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for i in range(5):
            data = b"\0" * 3_000_000
            info = tarfile.TarInfo(f"z{i}.bin")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    outcomes = run(workspace, path)
    errors = [e for o in outcomes for e in o.errors]
    assert any("expansion stopped" in e for e in errors)
    assert Item.objects.filter(container__isnull=False).count() < 5


def test_archive_limits_on_members_and_total_size(workspace, tmp_path):
    make_zip(tmp_path / "many.zip", [(f"{i}.txt", f"{i}") for i in range(5)])
    outcomes = run(workspace, tmp_path / "many.zip", limits=Limits(max_members=3))
    assert any("over the limit of 3" in e for o in outcomes for e in o.errors)


def test_a_file_named_like_an_archive_that_is_not_one_is_kept_and_explained(workspace, tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"not an archive at all")
    outcomes = run(workspace, tmp_path / "fake.zip")
    assert outcomes[0].ok  # the file itself is preserved
    assert "not a readable .zip or .tar" in outcomes[1].errors[0]


def test_office_documents_are_not_expanded_as_archives(workspace, tmp_path):
    make_zip(tmp_path / "report.docx", [("word/document.xml", "<w/>")])
    outcomes = run(workspace, tmp_path / "report.docx")
    assert len(outcomes) == 1
    assert outcomes[0].ok


def test_the_stored_bytes_are_exactly_the_input(workspace, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "video.bin").write_bytes(data)
    (outcome,) = run(workspace, tmp_path / "video.bin")
    assert outcome.item.blob.sha256 == "sha256:" + hashlib.sha256(data).hexdigest()
    assert b"".join(blob_store().iter_chunks(outcome.item.blob.sha256)) == data
