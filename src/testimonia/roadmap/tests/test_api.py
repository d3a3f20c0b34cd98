"""The roadmap API: CRUD, filters and pagination, status changes, scorecard, import, exports,
and who may do what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.roadmap import services
from testimonia.roadmap.models import Actor, Recommendation, StatusChange

D = dt.date
pytestmark = pytest.mark.django_db
BASE = "/api/v1/workspaces/test-ws/roadmap"


class Api:
    def __init__(self, user):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)[0]}"}

    def get(self, path, **params):
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path, body):
        return self.client.post(
            BASE + path, json.dumps(body), content_type="application/json", **self.headers
        )

    def patch(self, path, body):
        return self.client.patch(
            BASE + path, json.dumps(body), content_type="application/json", **self.headers
        )

    def delete(self, path):
        return self.client.delete(BASE + path, **self.headers)

    def upload(self, path, data, name, **fields):
        return self.client.post(
            BASE + path, {"file": SimpleUploadedFile(name, data), **fields}, **self.headers
        )


@pytest.fixture
def api(analyst):
    return Api(analyst)


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_create_a_recommendation_and_record_its_status(api, roadmap):
    created = api.post(
        "/recommendations",
        {
            "text": "Lift the restrictions on human rights organisations.",
            "addressees": [roadmap.beta.pk],
            "themes": ["human_rights_defenders"],
            "source": roadmap.resolution.pk,
            "issued_on": "2024-09-18",
            "deadline": "2025-09-18",
        },
    )
    assert created.status_code == 201, created.content
    rec = created.json()
    assert rec["status"] == "not_started"
    assert rec["themes"][0]["code"] == "human_rights_defenders"
    change = api.post(
        f"/recommendations/{rec['id']}/status-changes",
        {"status": "partial", "date": "2025-02-03", "source": roadmap.resolution.pk},
    )
    assert change.status_code == 201, change.content
    assert change.json()["recorded_by"] == "analyst"
    again = api.get(f"/recommendations/{rec['id']}").json()
    assert again["status"] == "partial"
    assert again["status_date"] == "2025-02-03"
    history = api.get(f"/recommendations/{rec['id']}/status-changes").json()
    assert [h["status"] for h in history] == ["partial"]


def test_filters_by_actor_theme_status_and_overdue(api, roadmap, analyst):
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="implemented",
        date=D(2025, 2, 1),
        actor=roadmap.alpha,
        note="x",
    )
    r = roadmap
    assert ids(api.get("/recommendations", actor=r.alpha.pk)) == {r.arrests.pk, r.cooperation.pk}
    assert ids(api.get("/recommendations", theme="icc_cooperation")) == {r.cooperation.pk}
    assert ids(api.get("/recommendations", status="implemented", actor=r.alpha.pk)) == {
        r.arrests.pk
    }
    assert ids(api.get("/recommendations", status="implemented")) == set()  # beta has not
    overdue = api.get("/recommendations", overdue="true", actor=r.beta.pk, as_of="2025-06-01")
    assert ids(overdue) == {r.arrests.pk}
    assert ids(api.get("/recommendations", overdue="true", as_of="2025-01-01")) == set()
    assert ids(api.get("/recommendations", q="hostage")) == {r.hostages.pk}


def test_pagination_counts_everything_and_returns_a_page(api, roadmap):
    page = api.get("/recommendations", limit=2, offset=0).json()
    assert page["count"] == 3
    assert len(page["items"]) == 2
    rest = api.get("/recommendations", limit=2, offset=2).json()
    assert len(rest["items"]) == 1
    assert {i["id"] for i in page["items"] + rest["items"]} == {
        roadmap.arrests.pk,
        roadmap.cooperation.pk,
        roadmap.hostages.pk,
    }
    bad = api.get("/recommendations", limit=0)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "bad_request"


def test_an_unknown_status_is_a_validation_error(api, roadmap):
    response = api.get("/recommendations", status="done")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_actors_and_sources_crud(api, roadmap):
    created = api.post("/actors", {"name": "Gammaland", "kind": "state", "country_code": "gm"})
    assert created.status_code == 201
    actor = created.json()
    assert actor["country_code"] == "GM"
    renamed = api.patch(f"/actors/{actor['id']}", {"description": "A state."})
    assert renamed.json()["description"] == "A state."
    assert api.delete(f"/actors/{actor['id']}").status_code == 204
    in_use = api.delete(f"/actors/{roadmap.alpha.pk}")
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "conflict"
    duplicate = api.post("/actors", {"name": "alphaland"})
    assert duplicate.status_code == 409
    source = api.post(
        "/sources",
        {"title": "Concluding observations", "kind": "treaty_body", "reference": "CAT/C/ISR/CO/6"},
    )
    assert source.status_code == 201
    assert api.get("/sources", q="CAT/C").json()["count"] == 1
    assert api.delete(f"/sources/{roadmap.warrant.pk}").status_code == 409


def test_services_refusals_are_400(api, roadmap):
    response = api.post(
        f"/recommendations/{roadmap.cooperation.pk}/status-changes",
        {"status": "regressed", "date": "2025-01-01", "note": "x"},
    )
    assert response.status_code == 400
    assert "regression follows progress" in response.json()["error"]["message"]
    assert not StatusChange.objects.exists()


def test_ids_of_another_workspace_answer_404(api, roadmap, other_workspace):
    stranger = services.create_actor(None, other_workspace, name="Elsewhere")
    response = api.post("/recommendations", {"text": "x", "addressees": [stranger.pk]})
    assert response.status_code == 404
    assert api.get(f"/actors/{stranger.pk}").status_code == 404
    assert Recommendation.objects.filter(workspace__slug="test-ws").count() == 3


def test_a_recommendation_with_history_is_not_deleted(api, roadmap, analyst):
    services.record_status_change(
        analyst, roadmap.hostages, status="partial", date=D(2025, 1, 1), note="x"
    )
    assert api.delete(f"/recommendations/{roadmap.hostages.pk}").status_code == 409
    assert api.delete(f"/recommendations/{roadmap.cooperation.pk}").status_code == 204


@pytest.mark.parametrize("role", ["investigator", "protection_officer"])
def test_readers_read_but_do_not_write(personas, roadmap, role):
    reader = Api(personas[role])
    assert reader.get("/recommendations").status_code == 200
    assert reader.get("/scorecard").status_code == 200
    refused = reader.post("/actors", {"name": "Gammaland"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    refused = reader.post(
        f"/recommendations/{roadmap.hostages.pk}/status-changes",
        {"status": "partial", "date": "2025-01-01", "note": "x"},
    )
    assert refused.status_code == 403
    assert not Actor.objects.filter(name="Gammaland").exists()


def test_reviewers_and_outsiders_see_nothing(personas, roadmap):
    assert Api(personas["reviewer"]).get("/recommendations").status_code == 403
    outsider = Api(personas["outsider"]).get("/recommendations")
    assert outsider.status_code == 404
    assert outsider.json()["error"]["code"] == "not_found"


def test_timeline_lists_changes_newest_first_with_filters(api, roadmap, analyst):
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="partial",
        date=D(2025, 1, 1),
        actor=roadmap.beta,
        note="x",
    )
    services.record_status_change(
        analyst, roadmap.cooperation, status="partial", date=D(2025, 3, 1), note="y"
    )
    body = api.get("/status-changes").json()
    assert [i["date"] for i in body["items"]] == ["2025-03-01", "2025-01-01"]
    alpha = api.get("/status-changes", actor=roadmap.alpha.pk).json()
    assert [i["date"] for i in alpha["items"]] == ["2025-03-01"]
    assert api.get("/status-changes", since="2025-02-01").json()["count"] == 1


def test_scorecard(api, roadmap):
    body = api.get("/scorecard", as_of="2025-06-01").json()
    assert body["as_of"] == "2025-06-01"
    beta = next(a for a in body["actors"] if a["name"] == "Betaland")
    assert beta["overdue"] == 1
    assert beta["themes"][0]["theme"] == "arrest_warrants"


def test_import_dry_run_then_import(api, roadmap):
    data = b"addressee,text,theme\nOmegaland,Join the Court.,icc_cooperation\n"
    dry = api.upload("/imports", data, "r.csv", dry_run="true")
    assert dry.status_code == 200, dry.content
    assert dry.json()["would_import"] == 1
    assert dry.json()["imported"] == 0
    assert not Actor.objects.filter(name="Omegaland").exists()
    done = api.upload("/imports", data, "r.csv")
    assert done.json()["imported"] == 1
    assert Actor.objects.filter(name="Omegaland").exists()
    bad = api.upload("/imports", b"\xff\xfe\x00", "r.xls")
    assert bad.status_code == 400


def test_exports(api, roadmap):
    csv_response = api.get("/exports/csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("addressee,text,theme,source,date,deadline,status")
    assert len(text.splitlines()) == 4
    json_response = api.get("/exports/json", theme="icc_cooperation")
    body = json.loads(b"".join(json_response.streaming_content))
    assert [r["id"] for r in body["recommendations"]] == [roadmap.cooperation.pk]
    assert api.get("/exports/pdf").status_code == 422


def test_themes_include_the_workspaces_own(api, roadmap):
    created = api.post("/themes", {"label": "Water"})
    assert created.status_code == 201
    codes = [t["code"] for t in api.get("/themes").json()]
    assert "arrest_warrants" in codes
    assert "water" in codes


def test_the_openapi_schema_describes_the_roadmap():
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    paths = schema["paths"]
    assert "/api/v1/workspaces/{workspace}/roadmap/scorecard" in paths
    listing = paths["/api/v1/workspaces/{workspace}/roadmap/recommendations"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"actor", "theme", "status", "overdue", "limit", "offset"} <= names
