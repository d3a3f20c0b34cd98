"""The cases API: dossiers built by legal officers and administrators, disclosures refused
with every reason when consent does not cover them, a reviewer who sees only what went to
their mechanism, and the package downloadable as a zip."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.cases import api_cases
from testimonia.cases.models import Case, Disclosure
from testimonia.incidents import services as documentation
from testimonia.jobs.models import Job

from .casetools import grant, make_dossier, withdraw
from .conftest import CANARY, leaks

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/test-ws"


class Api:
    def __init__(self, user):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)[0]}"}

    def get(self, path, **params):
        return self.client.get(BASE + path, params, **self.auth)

    def post(self, path, body=None):
        return self.client.post(
            BASE + path, json.dumps(body or {}), content_type="application/json", **self.auth
        )

    def patch(self, path, body):
        return self.client.patch(
            BASE + path, json.dumps(body), content_type="application/json", **self.auth
        )

    def delete(self, path):
        return self.client.delete(BASE + path, **self.auth)


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    """A home of the test's own: the server keeps the packages it makes there."""
    settings.TESTIMONIA_HOME = tmp_path / "home"
    settings.TESTIMONIA_HOME.mkdir()
    return settings.TESTIMONIA_HOME


@pytest.fixture
def apis(personas):
    return {name: Api(user) for name, user in personas.items()}


@pytest.fixture
def dossier(workspace, investigator, legal_officer, witness):
    return make_dossier(workspace, investigator, legal_officer, witness)


def test_a_legal_officer_builds_a_case(apis, workspace, investigator):
    lawyer = apis["legal_officer"]
    response = lawyer.post(
        "/cases", {"title": "Hospital strikes", "mechanism": "icc", "language": "ar"}
    )
    assert response.status_code == 201, response.content
    case = response.json()
    assert (case["mechanism"], case["status"], case["restricted"]) == ("icc", "open", False)
    path = f"/cases/{case['id']}"
    unit = documentation.create_organisation(investigator, workspace, "Brigade 7", "armed_forces")
    suspect = lawyer.post(path + "/suspects", {"organisation": unit.pk})
    assert suspect.status_code == 201, suspect.content
    assert suspect.json()["label"] == f"unit {unit.pk}: Brigade 7"
    charge = lawyer.post(
        path + "/charges",
        {"crime": "RS-7-1-a", "mode": "RS-28-a", "suspect": suspect.json()["id"]},
    )
    assert charge.status_code == 201, charge.content
    assert charge.json()["crime"] == "7(1)(a) Murder"
    incident = documentation.create_incident(investigator, workspace, title="Strike")
    assert lawyer.post(path + "/incidents", {"incidents": [incident.pk]}).status_code == 201
    patched = lawyer.patch(path, {"status": "in_preparation", "summary": "Three strikes"})
    assert patched.json()["status"] == "in_preparation"
    detail = apis["analyst"].get(path).json()
    assert (detail["suspects"], detail["charges"], detail["incidents"]) == (1, 1, 1)
    matrix = apis["analyst"].get(path + "/matrix").json()
    assert matrix["scope"] == "case"
    assert matrix["sections"][0]["crime_id"] == "RS-7-1-a"
    assert matrix["gaps"] > 0


def test_bad_input_answers_in_the_one_error_shape(apis, dossier):
    lawyer = apis["legal_officer"]
    response = lawyer.post("/cases", {"title": "x", "mechanism": "hague"})
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}
    assert "unknown mechanism" in response.json()["error"]["message"]
    charge = lawyer.post(f"/cases/{dossier.case.pk}/charges", {"crime": "RS-99", "mode": "RS-28-a"})
    assert charge.status_code == 400
    items = lawyer.post(f"/cases/{dossier.case.pk}/items", {"items": [99999]})
    assert items.status_code == 400
    assert "99999" in items.json()["error"]["message"]
    assert lawyer.get("/cases/99999").status_code == 404


@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer", "reviewer"])
def test_only_legal_officers_and_administrators_build_and_disclose(apis, dossier, role):
    api = apis[role]
    path = f"/cases/{dossier.case.pk}"
    assert api.post("/cases", {"title": "x"}).status_code == 403
    assert api.patch(path, {"title": "y"}).status_code == 403
    assert api.post(path + "/items", {"items": [dossier.photo.pk]}).status_code == 403
    assert api.post(path + "/disclosures", {"mechanism": "icc"}).status_code == 403
    assert api.delete(path + f"/items/{dossier.photo.pk}").status_code == 403
    assert Case.objects.get().title == "Strike on the market"


def test_an_outsider_learns_nothing(apis, dossier):
    api = apis["outsider"]
    path = f"/cases/{dossier.case.pk}"
    for response in (
        api.get("/cases"),
        api.get(path),
        api.post("/cases", {"title": "x"}),
        api.post(path + "/disclosures", {"mechanism": "icc"}),
        api.get("/disclosures"),
    ):
        assert response.status_code == 404


def test_an_administrator_discloses_and_downloads_the_package(apis, dossier, investigator, home):
    grant(investigator, dossier.witness, "share", "icc")
    response = apis["administrator"].post(
        f"/cases/{dossier.case.pk}/disclosures", {"mechanism": "icc", "recipient": "ICC OTP"}
    )
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["stored"] is True
    assert (home / Disclosure.objects.get().stored_at / "bagit.txt").is_file()
    assert made["recipient"] == "ICC OTP"
    assert {i["item"] for i in made["items"]} == {dossier.redacted.pk, dossier.photo.pk}
    download = apis["legal_officer"].client.get(
        f"{BASE}/disclosures/{made['id']}/bag", **apis["legal_officer"].auth
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = set(archive.namelist())
    prefix = made["bag_name"]
    assert f"{prefix}/bagit.txt" in names
    assert f"{prefix}/disclosure/index.csv" in names
    assert f"{prefix}/data/items/{dossier.redacted.pk}/W-0001-statement-redacted.txt" in names
    for name in names:
        assert leaks(archive.read(name), CANARY) == []


def test_a_refused_disclosure_names_every_item_and_writes_nothing(apis, dossier, home):
    response = apis["legal_officer"].post(
        f"/cases/{dossier.case.pk}/disclosures", {"mechanism": "un-coi"}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "consent_refused"
    assert error["refused"] == [
        {
            "item": dossier.statement.pk,
            "reason": "W-0001 has not consented to be shared with a mechanism: un-coi",
        }
    ]
    assert not (home / "disclosures").exists()
    assert Disclosure.objects.count() == 0
    check = apis["analyst"].get(f"/cases/{dossier.case.pk}/disclosure-check", mechanism="un-coi")
    assert check.json()["refused"] == error["refused"]


def test_a_large_package_is_built_by_a_background_job(
    apis, dossier, investigator, monkeypatch, django_capture_on_commit_callbacks
):
    grant(investigator, dossier.witness, "share", "icc")
    monkeypatch.setattr(api_cases, "BACKGROUND_BYTES", 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = apis["legal_officer"].post(
            f"/cases/{dossier.case.pk}/disclosures", {"mechanism": "icc"}
        )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.display_message
    made = Disclosure.objects.get()
    assert job.message_args == {"id": made.pk}
    assert made.disclosed_by.username == "legal_officer"
    assert made.stored_at


def test_a_reviewer_sees_only_what_went_to_their_mechanism(
    apis, dossier, investigator, legal_officer, reviewer
):
    from testimonia.cases.dossiers import add_member, create_case

    grant(investigator, dossier.witness, "share", "icc")
    grant(investigator, dossier.witness, "share", "un-coi")
    lawyer = apis["legal_officer"]
    path = f"/cases/{dossier.case.pk}"
    to_icc = lawyer.post(path + "/disclosures", {"mechanism": "icc"}).json()
    to_un = lawyer.post(path + "/disclosures", {"mechanism": "un-coi"}).json()
    create_case(legal_officer, dossier.case.workspace, "Unrelated")
    api = apis["reviewer"]
    assert api.get("/cases").json() == []  # not on any team yet
    assert api.get(path).status_code == 404
    assert api.get(f"/disclosures/{to_icc['id']}").status_code == 404
    add_member(legal_officer, dossier.case, reviewer, "reviewer", mechanism_slug="icc")
    cases = api.get("/cases").json()
    assert [c["id"] for c in cases] == [dossier.case.pk]
    assert cases[0]["restricted"] is True
    assert cases[0]["summary"] == ""
    assert cases[0]["items"] is None
    assert cases[0]["disclosures"] == 1
    assert [d["id"] for d in api.get("/disclosures").json()] == [to_icc["id"]]
    assert api.get(f"/disclosures/{to_icc['id']}").status_code == 200
    assert api.get(f"/disclosures/{to_un['id']}").status_code == 404
    assert api.client.get(f"{BASE}/disclosures/{to_icc['id']}/bag", **api.auth).status_code == 200
    # The working contents are not theirs.
    for sub in ("/items", "/suspects", "/charges", "/matrix", "/team", "/incidents"):
        assert api.get(path + sub).status_code == 403


def test_a_receipt_is_recorded_and_a_withdrawal_reports_the_disclosure(apis, dossier, investigator):
    from django.utils import timezone

    grant(investigator, dossier.witness, "share", "icc")
    made = (
        apis["legal_officer"]
        .post(f"/cases/{dossier.case.pk}/disclosures", {"mechanism": "icc"})
        .json()
    )
    today = timezone.localdate().isoformat()
    receipt = apis["legal_officer"].post(
        f"/disclosures/{made['id']}/receipt", {"received_on": today, "reference": "OTP-42"}
    )
    assert receipt.status_code == 200, receipt.content
    assert receipt.json()["receipt"]["reference"] == "OTP-42"
    assert (
        apis["investigator"]
        .post(f"/disclosures/{made['id']}/receipt", {"received_on": today, "reference": "x"})
        .status_code
        == 403
    )
    withdrawn = apis["investigator"].client.post(
        f"{BASE}/witnesses/W-0001/consent",
        json.dumps(
            {"scope": "share", "decision": "withdrawn", "form": "written", "mechanism": "icc"}
        ),
        content_type="application/json",
        **apis["investigator"].auth,
    )
    assert withdrawn.status_code == 201, withdrawn.content
    affected = withdrawn.json()["affected_disclosures"]
    assert [d["id"] for d in affected] == [made["id"]]
    assert affected[0]["mechanism"] == "icc"
    withdraw(investigator, dossier.witness, "share", "un-coi")  # nothing went there


def test_a_closed_case_refuses_changes_with_409(apis, dossier, investigator):
    grant(investigator, dossier.witness, "share", "icc")
    lawyer = apis["legal_officer"]
    path = f"/cases/{dossier.case.pk}"
    assert lawyer.patch(path, {"status": "closed"}).status_code == 200
    response = lawyer.delete(path + f"/items/{dossier.photo.pk}")
    assert response.status_code == 409
    assert "closed" in response.json()["error"]["message"]
    refused = lawyer.post(path + "/disclosures", {"mechanism": "icc"})
    assert refused.status_code == 409
    assert "closed" in refused.json()["error"]["message"]
