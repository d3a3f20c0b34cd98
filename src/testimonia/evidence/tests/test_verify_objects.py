"""verify_objects re-hashes objects on several threads but reports like a single pass."""

import pytest

from testimonia.evidence.models import Blob
from testimonia.evidence.services import add_item, blob_store
from testimonia.evidence.verification import verify_objects


def damage(digest, how):
    path = blob_store().path_for(digest)
    if how == "delete":
        path.unlink()
        return
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[0] ^= 0x01
    else:  # "truncate"
        del data[-1]
    path.write_bytes(bytes(data))


@pytest.mark.django_db
def test_verify_names_every_damaged_object_in_the_order_of_the_objects(workspace):
    items = [
        add_item(None, workspace, [f"original number {n}".encode() * 50], filename=f"{n}.txt").item
        for n in range(12)
    ]
    damaged = {1: "flip", 6: "delete", 7: "truncate", 11: "flip"}
    for index, how in damaged.items():
        damage(items[index].blob.sha256, how)
    seen = []

    checked, problems = verify_objects(workspace, seen.append)

    assert checked == 12
    assert [p.digest for p in problems] == [items[i].blob.sha256 for i in sorted(damaged)]
    assert [p.items for p in problems] == [(items[i].pk,) for i in sorted(damaged)]
    assert "SHA-256" in problems[0].problem
    assert problems[1].problem == "missing from the store"
    assert "size" in problems[2].problem
    assert seen == list(Blob.objects.order_by("pk").values_list("size", flat=True))


@pytest.mark.django_db
def test_a_changed_sha512_record_is_found_by_a_full_digest_audit(workspace):
    from testimonia.evidence.models import Blob
    from testimonia.evidence.services import add_item, complete_digests
    from testimonia.evidence.verification import Digests

    item = add_item(None, workspace, [b"bytes"], filename="a.txt").item
    complete_digests(item.blob)
    Blob.objects.filter(pk=item.blob.pk).update(sha512="sha512:" + "0" * 128)
    assert verify_objects(workspace)[1] == []
    _checked, problems = verify_objects(workspace, digests=Digests.ALL)
    assert [p.problem for p in problems] == ["content changed: SHA-512 no longer match"]


@pytest.mark.django_db
def test_an_edited_or_deleted_metadata_record_is_named(workspace):
    import io

    from PIL import Image

    from testimonia.evidence.models import Metadata
    from testimonia.evidence.services import extract_metadata
    from testimonia.evidence.verification import verify_metadata

    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, format="JPEG")
    item = add_item(None, workspace, [picture.getvalue()], filename="p.jpg").item
    record = extract_metadata(item.blob)
    assert record is not None
    assert verify_metadata(workspace) == []
    Metadata.objects.filter(pk=record.pk).update(normalised={"captured_at": "1999-01-01"})
    assert [p.problem for p in verify_metadata(workspace)] == [
        "its values differ from those extracted (edited)"
    ]
    Metadata.objects.filter(pk=record.pk).delete()
    assert [p.problem for p in verify_metadata(workspace)] == [
        "was extracted but is gone (deleted)"
    ]
