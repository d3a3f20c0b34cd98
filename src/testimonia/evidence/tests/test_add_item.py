import hashlib

import pytest

from testimonia.evidence.exceptions import UploadTooLarge
from testimonia.evidence.models import Blob, Item
from testimonia.evidence.services import add_item, blob_store, clean_filename
from testimonia.jobs.models import Job


@pytest.mark.django_db
def test_added_item_records_hash_size_type_and_who(investigator, workspace):
    data = b"%PDF-1.4\nreport"
    result = add_item(investigator, workspace, [data], filename="report.pdf", source="NGO")
    item = result.item
    assert not result.duplicate
    assert item.blob.sha256 == "sha256:" + hashlib.sha256(data).hexdigest()
    assert item.blob.size == len(data)
    assert item.blob.media_type == "application/pdf"
    assert item.added_by == investigator
    assert blob_store().path_for(item.blob.sha256).read_bytes() == data


@pytest.mark.django_db(transaction=True)
def test_second_digest_is_computed_by_a_background_job(investigator, workspace):
    data = b"bytes for the second digest"
    item = add_item(investigator, workspace, [data], filename="a.bin").item
    item.blob.refresh_from_db()
    assert item.blob.sha512 == "sha512:" + hashlib.sha512(data).hexdigest()
    job = Job.objects.get(workspace=workspace)
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == job.total == len(data)


@pytest.mark.django_db(transaction=True)
def test_background_check_names_an_object_whose_bytes_changed(investigator, workspace):
    from testimonia.evidence.tasks import run_complete_digests
    from testimonia.jobs.services import enqueue_job

    item = add_item(investigator, workspace, [b"original"], filename="a.txt").item
    Blob.objects.filter(pk=item.blob.pk).update(sha512="")
    path = blob_store().path_for(item.blob.sha256)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    job = enqueue_job(
        run_complete_digests,
        label="check",
        workspace=workspace,
        requested_by=None,
        args=[[item.blob.pk]],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.display_message == "1 stored object(s) failed their check"


@pytest.mark.django_db
def test_same_bytes_twice_are_two_acquisitions_of_one_stored_object(investigator, workspace):
    first = add_item(investigator, workspace, [b"same"], filename="one.txt")
    second = add_item(investigator, workspace, [b"same"], filename="two.txt")
    third = add_item(investigator, workspace, [b"same"], filename="three.txt")
    assert first.duplicate_of is None
    assert second.duplicate_of == first.item
    assert third.duplicate_of == first.item
    assert Item.objects.count() == 3
    assert Blob.objects.count() == 1


@pytest.mark.django_db
def test_same_bytes_in_two_workspaces_are_stored_once(investigator, workspace, other_workspace):
    a = add_item(investigator, workspace, [b"shared"], filename="a.txt").item
    b = add_item(investigator, other_workspace, [b"shared"], filename="b.txt").item
    assert a.pk != b.pk
    assert a.blob_id == b.blob_id
    assert Blob.objects.count() == 1


@pytest.mark.django_db
def test_upload_over_the_limit_is_refused_and_nothing_is_recorded(
    investigator, workspace, settings
):
    settings.TESTIMONIA_MAX_UPLOAD_BYTES = 10
    with pytest.raises(UploadTooLarge, match="upload limit of 10 bytes"):
        add_item(investigator, workspace, [b"x" * 11], filename="big.bin")
    assert Item.objects.count() == 0
    assert Blob.objects.count() == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("name\x00with\x07controls.txt", "namewithcontrols.txt"),
        ("", "unnamed"),
        ("صورة.jpg", "صورة.jpg"),
    ],
)
def test_file_names_keep_only_their_base_name(given, kept):
    assert clean_filename(given) == kept
