"""/api/v1/crimes, /api/v1/modes-of-liability: reference data for any authenticated user."""

from __future__ import annotations

import pytest
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.conftest import client_for


@pytest.fixture
def api(investigator):
    token, _ = create_api_token(investigator)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_list_gives_every_crime_with_its_elements(api):
    response = api.get("/api/v1/crimes")
    assert response.status_code == 200
    crimes = response.json()
    assert len(crimes) == 103
    assert crimes[0]["id"] == "RS-6-a"
    assert crimes[0]["elements"][0] == {
        "number": 1,
        "text": "The perpetrator killed one or more persons.",
        "kind": "material",
        "block": None,
        "source": "EOC",
        "footnotes": [
            {
                "number": 2,
                "text": "The term “killed” is interchangeable with the term “caused death”.",
            }
        ],
    }
    assert sum(not c["verified"] for c in crimes) == 7


def test_the_list_filters_by_category(api):
    crimes = api.get("/api/v1/crimes", {"category": "WC-CA3"}).json()
    assert [c["article"] for c in crimes][:2] == ["8(2)(c)(i)-1", "8(2)(c)(i)-2"]
    assert len(crimes) == 7


def test_an_unknown_category_is_a_validation_error(api):
    response = api.get("/api/v1/crimes", {"category": "XYZ"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_one_crime_by_id_or_article(api):
    by_id = api.get("/api/v1/crimes/RS-8-2-e-xix")
    assert by_id.status_code == 200
    crime = by_id.json()
    assert crime["amendment"] == "2019 ICC-ASP/18/Res.5"
    assert crime["verified"] is False
    assert crime["verification_note"]
    by_article = api.get("/api/v1/crimes/8(2)(e)(xix)")
    assert by_article.json() == crime


def test_an_unknown_crime_is_404_in_the_error_shape(api):
    response = api.get("/api/v1/crimes/RS-9-z")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "RS-9-z" in error["message"]


def test_modes_of_liability(api):
    response = api.get("/api/v1/modes-of-liability")
    assert response.status_code == 200
    ids = [m["id"] for m in response.json()]
    assert "RS-25-3-c" in ids
    assert "RS-28-a" in ids


def test_general_rules(api):
    response = api.get("/api/v1/general-rules")
    assert response.status_code == 200
    assert response.json()[0]["id"] == "RS-30"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/crimes",
        "/api/v1/crimes/RS-7-1-a",
        "/api/v1/modes-of-liability",
        "/api/v1/general-rules",
    ],
)
def test_anonymous_callers_get_401(path):
    response = Client().get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_any_authenticated_user_may_read_even_one_in_no_workspace(reviewer):
    from testimonia.accounts.services import create_user
    from testimonia.conftest import PASSWORD

    nobody = create_user("nobody", PASSWORD, validate=False)
    for user in (nobody, reviewer):
        response = client_for(user).get("/api/v1/crimes/7(1)(a)")
        assert response.status_code == 200
        assert response.json()["id"] == "RS-7-1-a"
