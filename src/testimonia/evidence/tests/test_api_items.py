import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testimonia.accounts.services import create_api_token


@pytest.fixture
def api(investigator):
    token = create_api_token(investigator)[0]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_upload_by_api_returns_the_item_with_its_hash(api, workspace):
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = api.post(
        f"/api/v1/workspaces/{workspace.slug}/items",
        {"file": SimpleUploadedFile("../x/capture.png", data), "source": "Telegram channel"},
    )
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    assert body["sha256"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert body["filename"] == "capture.png"
    assert body["media_type"] == "image/png"
    assert body["size"] == len(data)
    assert body["source"] == "Telegram channel"
    assert body["duplicate_of"] is None

    listed = json.loads(api.get(f"/api/v1/workspaces/{workspace.slug}/items").content)
    assert [i["id"] for i in listed] == [body["id"]]
    one = json.loads(api.get(f"/api/v1/workspaces/{workspace.slug}/items/{body['id']}").content)
    assert one["sha256"] == body["sha256"]


@pytest.mark.django_db
def test_uploading_the_same_bytes_again_is_a_new_acquisition_of_the_first(api, workspace):
    url = f"/api/v1/workspaces/{workspace.slug}/items"
    first = json.loads(api.post(url, {"file": SimpleUploadedFile("a.txt", b"same")}).content)
    response = api.post(url, {"file": SimpleUploadedFile("b.txt", b"same")})
    assert response.status_code == 201
    second = json.loads(response.content)
    assert second["duplicate_of"] == first["id"]
    assert second["sha256"] == first["sha256"]


@pytest.mark.django_db
def test_items_of_another_workspace_are_not_found(api, investigator, other_workspace):
    from testimonia.evidence.services import add_item

    other = add_item(None, other_workspace, [b"theirs"], filename="t.txt").item
    response = api.get(f"/api/v1/workspaces/test-ws/items/{other.pk}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_openapi_schema_is_served_and_lists_the_operations():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/workspaces/{workspace}/items" in schema["paths"]
    assert schema["info"]["title"] == "Testimonia API"


def _zip(members):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_archive_is_stored_and_its_members_too(api, workspace):
    data = _zip([("a.txt", b"alpha"), ("../evil.txt", b"x")])
    response = api.post(
        f"/api/v1/workspaces/{workspace.slug}/items", {"file": SimpleUploadedFile("dump.zip", data)}
    )
    assert response.status_code == 201
    archive = json.loads(response.content)
    assert archive["media_type"] == "application/zip"
    listed = json.loads(api.get(f"/api/v1/workspaces/{workspace.slug}/items").content)
    members = [i for i in listed if i["container"] == archive["id"]]
    assert [m["filename"] for m in members] == ["a.txt"]
    assert members[0]["original_path"] == "dump.zip!/a.txt"


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_413_in_the_error_shape(api, workspace, settings):
    settings.TESTIMONIA_MAX_UPLOAD_BYTES = 4
    response = api.post(
        f"/api/v1/workspaces/{workspace.slug}/items",
        {"file": SimpleUploadedFile("big.bin", b"12345")},
    )
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "too_large"


@pytest.mark.django_db
def test_an_empty_upload_is_400_with_the_reason(api, workspace):
    response = api.post(
        f"/api/v1/workspaces/{workspace.slug}/items", {"file": SimpleUploadedFile("empty.txt", b"")}
    )
    assert response.status_code == 400, response.content
    assert "empty file (0 bytes)" in json.loads(response.content)["error"]["message"]
