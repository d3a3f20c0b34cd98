"""One JSON error shape for every API error, pinned here."""

import json

import pytest
from django.test import Client

from testimonia.accounts.services import create_api_token

SHAPE_KEYS = {"code", "message"}


def error_of(response):
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) >= SHAPE_KEYS, body
    assert all(isinstance(body["error"][k], str) for k in SHAPE_KEYS)
    return body["error"]


@pytest.fixture
def token(investigator):
    return create_api_token(investigator)[0]


@pytest.mark.django_db
def test_missing_authentication_is_401_in_the_error_shape():
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_bad_token_is_401_in_the_error_shape():
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer tsm_wrong")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_unknown_api_path_is_404_in_the_error_shape():
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "No such resource."}


@pytest.mark.django_db
def test_other_workspace_is_404_not_403(token, other_workspace):
    response = Client().get(
        f"/api/v1/workspaces/{other_workspace.slug}/items", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db
def test_role_without_capability_is_403_in_the_error_shape(reviewer, workspace):
    token = create_api_token(reviewer)[0]
    response = Client().get(
        f"/api/v1/workspaces/{workspace.slug}/items", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.django_db
def test_validation_errors_list_their_details(token, workspace):
    response = Client().get(
        f"/api/v1/workspaces/{workspace.slug}/items/not-a-number",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    err = error_of(response)
    assert err["code"] == "validation_error"
    assert err["details"][0]["loc"] == ["path", "item_id"]


@pytest.mark.django_db
def test_bad_paging_is_400_in_the_error_shape(token, workspace):
    response = Client().get(
        f"/api/v1/workspaces/{workspace.slug}/items?limit=0", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.django_db
def test_wrong_method_is_405_in_the_error_shape(token):
    response = Client().delete("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_server_errors_show_an_error_id_and_no_detail(token, monkeypatch):
    from testimonia.accounts import api as accounts_api

    def explode(*args, **kwargs):
        raise RuntimeError("/secret/path/witness-name.txt")

    monkeypatch.setattr(accounts_api.Membership.objects, "filter", explode)
    response = Client(raise_request_exception=False).get(
        "/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 500
    err = error_of(response)
    assert err["code"] == "server_error"
    assert len(err["error_id"]) == 12
    assert b"secret" not in response.content
    assert b"witness" not in response.content
