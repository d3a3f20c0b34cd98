import pytest

from testimonia.conftest import client_for
from testimonia.custody.models import LogEntry
from testimonia.evidence.services import add_item, blob_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(investigator, workspace):
    return add_item(
        investigator,
        workspace,
        [b"<html><script>alert(1)</script></html>"],
        filename="page.html",
        source="web",
    ).item


def test_the_item_page_shows_hashes_provenance_and_custody(analyst, item):
    page = client_for(analyst).get(f"/w/test-ws/evidence/{item.pk}/").content.decode()
    assert item.blob.sha256 in page
    assert 'id="item-custody"' in page
    assert ">ingest<" in page


def test_download_records_a_custody_event_with_the_reason(analyst, item):
    response = client_for(analyst).post(
        f"/w/test-ws/evidence/{item.pk}/download/", {"reason": "for the legal team"}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"
    event = LogEntry.objects.get(workspace=item.workspace, action="download")
    assert event.object_digest == item.blob.sha256
    assert '"reason":"for the legal team"' in event.payload
    assert f'"actor":"analyst#{analyst.pk}"' in event.payload


def test_downloads_never_render_in_the_application_origin(analyst, item):
    response = client_for(analyst).post(f"/w/test-ws/evidence/{item.pk}/download/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox"


def test_download_is_refused_when_the_stored_bytes_changed(analyst, item):
    path = blob_store().path_for(item.blob.sha256)
    path.chmod(0o644)
    path.write_bytes(b"<html>tampered</html>")
    response = client_for(analyst).post(f"/w/test-ws/evidence/{item.pk}/download/")
    assert response.status_code == 302
    assert not LogEntry.objects.filter(action="download").exists()


def test_download_by_get_is_not_allowed(analyst, item):
    assert client_for(analyst).get(f"/w/test-ws/evidence/{item.pk}/download/").status_code == 405


def test_the_custody_page_lists_events_and_the_key_fingerprint(analyst, item):
    from testimonia.custody.services import sign_checkpoint

    sign_checkpoint(item.workspace)
    page = client_for(analyst).get("/w/test-ws/custody/").content.decode()
    assert 'data-seq="0"' in page
    assert "BEGIN PUBLIC KEY" in page
    assert 'id="checkpoints"' in page


def test_items_of_another_workspace_are_not_found(outsider, item):
    assert client_for(outsider).get(f"/w/test-ws/evidence/{item.pk}/").status_code == 404
