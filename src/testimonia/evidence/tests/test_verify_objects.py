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
