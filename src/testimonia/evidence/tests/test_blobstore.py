import hashlib
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testimonia.evidence.blobstore import BlobMissing, BlobStore, TooLarge, parse_digest


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def test_stored_object_is_addressed_by_its_sha256(store):
    data = b"photo bytes" * 1000
    stored = store.put_chunks([data[:100], data[100:]])
    assert stored.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.created
    assert store.path_for(stored.digest).read_bytes() == data


def test_stored_object_is_read_only_and_leaves_no_temporary_file(store):
    stored = store.put_chunks([b"x"])
    mode = store.path_for(stored.digest).stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list(store.incoming.iterdir()) == []


def test_same_bytes_are_stored_once_and_never_rewritten(store):
    first = store.put_chunks([b"same"])
    inode = store.path_for(first.digest).stat().st_ino
    second = store.put_chunks([b"sa", b"me"])
    assert second.digest == first.digest
    assert not second.created
    assert store.path_for(first.digest).stat().st_ino == inode


def test_too_large_upload_is_refused_and_leaves_nothing(store):
    with pytest.raises(TooLarge):
        store.put_chunks([b"a" * 10, b"b" * 10], max_bytes=15)
    assert list(store.incoming.iterdir()) == []
    assert not (store.root / "sha256").exists()


def test_failure_midway_leaves_no_partial_object(store):
    def chunks():
        yield b"partial"
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        store.put_chunks(chunks())
    assert list(store.incoming.iterdir()) == []


@pytest.mark.parametrize(
    "digest",
    ["sha256:../../etc/passwd", "sha512:" + "a" * 64, "sha256:" + "A" * 64, "a" * 64, ""],
)
def test_digests_that_could_escape_the_store_are_refused(store, digest):
    with pytest.raises(ValueError, match="not a sha256 digest"):
        store.path_for(digest)


def test_missing_object_is_named(store):
    digest = "sha256:" + "0" * 64
    with pytest.raises(BlobMissing, match=digest):
        store.open(digest)


def test_relative_root_is_refused():
    with pytest.raises(ValueError, match="absolute"):
        BlobStore(Path("relative/blobs"))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=8))
def test_any_chunking_gives_the_digest_of_the_whole(tmp_path_factory, chunks):
    store = BlobStore(tmp_path_factory.mktemp("prop") / "blobs")
    whole = b"".join(chunks)
    stored = store.put_chunks(chunks)
    assert stored.digest == "sha256:" + hashlib.sha256(whole).hexdigest()
    assert b"".join(store.iter_chunks(stored.digest)) == whole
    assert stored.head == whole[:8192]
    assert parse_digest(stored.digest) == hashlib.sha256(whole).hexdigest()


def test_many_chunks_written_by_the_background_writer_arrive_whole_and_in_order(store):
    # More chunks than the writer's queue holds and more bytes than one write-back step.
    chunks = [bytes([n % 251]) * (256 * 1024 + n) for n in range(64)]
    whole = b"".join(chunks)
    stored = store.put_chunks(iter(chunks))
    assert stored.digest == "sha256:" + hashlib.sha256(whole).hexdigest()
    assert store.path_for(stored.digest).read_bytes() == whole
    assert list(store.incoming.iterdir()) == []


def test_a_write_failure_midway_is_raised_and_leaves_no_partial_object(store, monkeypatch):
    from testimonia.evidence import blobstore

    real_write_all = blobstore._write_all
    calls = 0

    def failing_write_all(fd, data):
        nonlocal calls
        calls += 1
        if calls == 3:  # in the background writer: the first chunk is written in place
            raise OSError(28, "No space left on device")
        real_write_all(fd, data)

    monkeypatch.setattr(blobstore, "_write_all", failing_write_all)
    with pytest.raises(OSError, match="No space left"):
        store.put_chunks(iter([b"x" * 100_000] * 40))
    assert list(store.incoming.iterdir()) == []
    assert not (store.root / "sha256").exists()


def test_folders_made_for_a_new_object_are_persisted_in_their_parents(store, monkeypatch):
    from testimonia.evidence import blobstore

    synced = []
    monkeypatch.setattr(blobstore, "fsync_dir", lambda path: synced.append(path))
    stored = store.put_chunks([b"first object"])
    leaf = store.path_for(stored.digest).parent
    assert leaf in synced  # the new name
    assert leaf.parent in synced  # the new cd/ folder's entry in ab/
    assert leaf.parent.parent in synced  # the new ab/ folder's entry in sha256/
