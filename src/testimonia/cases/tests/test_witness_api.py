"""The witnesses API: pseudonyms everywhere, the identity only to a protection officer."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.cases.models import Interview, Witness
from testimonia.custody.models import LogEntry
from testimonia.incidents import services as records

from .conftest import CANARY, CANARY_CONTACT, leaks

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/test-ws/witnesses"


class Api:
    def __init__(self, user):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)[0]}"}

    def get(self, path, **params):
        return self.client.get(path, params, **self.auth)

    def post(self, path, body=None, **kw):
        if "data" in kw:  # multipart
            return self.client.post(path, kw["data"], **self.auth)
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", **self.auth
        )

    def patch(self, path, body):
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", **self.auth
        )


@pytest.fixture
def apis(personas):
    return {name: Api(user) for name, user in personas.items()}


def intake(api, **extra):
    response = api.post(BASE, {"name": CANARY, "contacts": CANARY_CONTACT, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def test_intake_answers_the_pseudonym_only(apis):
    body = intake(apis["investigator"], consent=["icc"], consent_form="written")
    assert body["pseudonym"] == "W-0001"
    assert body["risk_level"] == "unassessed"
    assert body["created_by"] == "investigator"
    assert set(body) == {
        "pseudonym",
        "risk_level",
        "protection_measures",
        "risk_assessed_at",
        "risk_assessed_by",
        "created_by",
        "created_at",
        "interviews",
        "testimonies",
    }
    listed = apis["analyst"].get(BASE).json()
    assert [w["pseudonym"] for w in listed] == ["W-0001"]
    assert apis["legal_officer"].get(BASE + "/W-0001").json()["pseudonym"] == "W-0001"


def test_intake_with_an_unknown_consent_form_or_mechanism_writes_nothing(apis):
    api = apis["investigator"]
    assert api.post(BASE, {"name": CANARY, "consent_form": "telepathy"}).status_code == 400
    assert api.post(BASE, {"name": CANARY, "consent": ["narnia"]}).status_code == 400
    assert api.post(BASE, {"name": "   "}).status_code == 400
    assert not Witness.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "legal_officer", "administrator", "reviewer"])
def test_only_investigators_and_protection_officers_take_witnesses_in(apis, role):
    response = apis[role].post(BASE, {"name": CANARY})
    assert response.status_code == 403
    assert leaks(response.content, CANARY) == []
    assert not Witness.objects.exists()


def test_a_protection_officer_sees_the_identity_with_a_reason_on_record(apis):
    intake(apis["investigator"])
    response = apis["protection_officer"].post(
        BASE + "/W-0001/identity/reveal", {"reason": "safety check before the hearing"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "pseudonym": "W-0001",
        "name": CANARY,
        "contacts": CANARY_CONTACT,
        "details": "",
        "risk_notes": "",
    }
    event = LogEntry.objects.get(action="identity_reveal")
    assert json.loads(event.payload)["reason"] == "safety check before the hearing"
    assert leaks(event.payload, CANARY, CANARY_CONTACT) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("investigator", 403),
        ("analyst", 403),
        ("legal_officer", 403),
        ("administrator", 403),
        ("reviewer", 403),
        ("outsider", 404),
    ],
)
def test_reveal_is_refused_to_every_other_role(apis, role, status):
    intake(apis["investigator"])
    response = apis[role].post(BASE + "/W-0001/identity/reveal", {"reason": "x"})
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert leaks(response.content, CANARY) == []
    assert not LogEntry.objects.filter(action="identity_reveal").exists()


def test_reveal_needs_a_reason_without_the_name(apis):
    intake(apis["investigator"])
    officer = apis["protection_officer"]
    missing = officer.post(BASE + "/W-0001/identity/reveal", {})
    assert missing.status_code == 422
    blank = officer.post(BASE + "/W-0001/identity/reveal", {"reason": "  "})
    assert blank.status_code == 400
    named = officer.post(BASE + "/W-0001/identity/reveal", {"reason": f"phone {CANARY}"})
    assert named.status_code == 400
    assert leaks(named.content, CANARY) == []
    assert not LogEntry.objects.filter(action="identity_reveal").exists()


def test_a_protection_officer_corrects_the_identity_and_assesses_the_risk(apis):
    intake(apis["investigator"])
    officer = apis["protection_officer"]
    changed = officer.patch(
        BASE + "/W-0001/identity", {"reason": "new number", "contacts": "+1 555 0100"}
    )
    assert changed.json() == {"pseudonym": "W-0001", "changed": ["contacts"]}
    assessed = officer.patch(
        BASE + "/W-0001/protection",
        {
            "risk_level": "high",
            "protection_measures": ["voice_distortion", "redaction"],
            "risk_notes": f"{CANARY} lives near the checkpoint",
        },
    )
    assert assessed.status_code == 200
    assert assessed.json()["risk_level"] == "high"
    assert assessed.json()["protection_measures"] == ["voice_distortion", "redaction"]
    assert leaks(assessed.content, CANARY) == []
    shown = officer.post(BASE + "/W-0001/identity/reveal", {"reason": "review"}).json()
    assert shown["contacts"] == "+1 555 0100"
    assert shown["risk_notes"] == f"{CANARY} lives near the checkpoint"
    refused = apis["investigator"].patch(BASE + "/W-0001/protection", {"risk_level": "low"})
    assert refused.status_code == 403
    bad = officer.patch(BASE + "/W-0001/protection", {"risk_level": "apocalyptic"})
    assert bad.status_code == 400


def test_consent_is_recorded_listed_and_checked_per_mechanism(apis):
    intake(apis["investigator"])
    api = apis["investigator"]
    given = api.post(
        BASE + "/W-0001/consent",
        {
            "scope": "share",
            "decision": "granted",
            "form": "written",
            "mechanism": "icc",
            "effective_at": "2024-05-01T10:00:00Z",
        },
    )
    assert given.status_code == 201
    assert given.json()["mechanism"] == "icc"
    coverage = apis["analyst"].get(BASE + "/W-0001/consent/coverage", mechanism="icc").json()
    assert coverage["covered"] is True
    assert coverage["identified"] is False
    withdrawn = api.post(
        BASE + "/W-0001/consent",
        {"scope": "share", "decision": "withdrawn", "form": "oral", "mechanism": "icc"},
    )
    assert withdrawn.status_code == 201
    state = api.get(BASE + "/W-0001/consent").json()
    assert [c["decision"] for c in state["history"]] == ["granted", "withdrawn"]
    assert [c["decision"] for c in state["current"]] == ["withdrawn"]
    now = api.get(BASE + "/W-0001/consent/coverage", mechanism="icc").json()
    assert now["covered"] is False
    before = api.get(
        BASE + "/W-0001/consent/coverage", mechanism="icc", at="2024-06-01T00:00:00Z"
    ).json()
    assert before["covered"] is True
    unknown = api.get(BASE + "/W-0001/consent/coverage", mechanism="narnia")
    assert unknown.status_code == 400
    refused = apis["analyst"].post(
        BASE + "/W-0001/consent",
        {"scope": "record", "decision": "granted", "form": "oral"},
    )
    assert refused.status_code == 403


def test_interviews_and_testimony_uploads(apis, workspace, investigator):
    intake(apis["investigator"])
    incident = records.create_incident(investigator, workspace, title="Market")
    api = apis["investigator"]
    interview = api.post(
        BASE + "/W-0001/interviews",
        {
            "conducted_on": "2024-05-02",
            "language": "ar",
            "place": "Field office",
            "interpreter": "Interpreter 2",
            "summary": "W-0001 describes the strike.",
            "incidents": [incident.pk],
        },
    )
    assert interview.status_code == 201, interview.content
    interview_id = interview.json()["id"]
    assert interview.json()["interviewer"] == "investigator"
    upload = api.post(
        BASE + "/W-0001/testimonies",
        data={
            "file": SimpleUploadedFile(f"{CANARY}.mp3", b"ID3 audio"),
            "kind": "recording",
            "interview": interview_id,
            "language": "ar",
        },
    )
    assert upload.status_code == 201, upload.content
    recording = upload.json()
    assert recording["filename"] == "W-0001-recording.mp3"
    assert recording["interview"] == interview_id
    transcript = api.post(
        BASE + "/W-0001/testimonies",
        data={
            "file": SimpleUploadedFile("t.txt", b"text"),
            "kind": "transcript",
            "derived_from": recording["item"],
        },
    ).json()
    assert transcript["derived_from"] == recording["item"]
    assert transcript["derivation"] == "transcript"
    shown = apis["analyst"].get(BASE + f"/W-0001/interviews/{interview_id}").json()
    assert [t["item"] for t in shown["testimonies"]] == [recording["item"], transcript["item"]]
    assert shown["incidents"] == [incident.pk]
    listed = apis["legal_officer"].get(BASE + "/W-0001/testimonies").json()
    assert len(listed) == 2
    (summary,) = apis["analyst"].get(BASE).json()
    assert summary["interviews"] == 1
    assert summary["testimonies"] == 2
    item_coverage = (
        apis["analyst"]
        .get(f"/api/v1/workspaces/test-ws/items/{transcript['item']}/consent", mechanism="icc")
        .json()
    )
    assert item_coverage["covered"] is False
    assert "W-0001 has not consented" in item_coverage["reason"]


def test_the_registry_is_served_with_its_requirements(apis):
    rows = apis["reviewer"].get("/api/v1/mechanisms").json()
    icc = next(r for r in rows if r["slug"] == "icc")
    assert icc["kind"] == "icc"
    assert any(f["name"] == "ern" for f in icc["requirements"]["metadata_fields"])
    german = next(r for r in rows if r["slug"] == "national-de")
    assert german["parent"] == "national"


def test_an_unknown_pseudonym_and_an_unavailable_key_answer_in_the_one_error_shape(
    apis, settings, tmp_path
):
    missing = apis["analyst"].get(BASE + "/W-0099")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    settings.TESTIMONIA_IDENTITY_KEY_FILE = tmp_path / "absent.key"
    refused = apis["investigator"].post(BASE, {"name": CANARY})
    assert refused.status_code == 503
    assert str(tmp_path) not in refused.json()["error"]["message"]
    assert leaks(refused.content, CANARY) == []


def test_a_tampered_identity_answers_a_generic_server_error(apis, caplog):
    from testimonia.cases.models import WitnessIdentity

    intake(apis["investigator"])
    intake(apis["investigator"])
    first, second = WitnessIdentity.objects.order_by("pk")
    WitnessIdentity.objects.filter(pk=first.pk).update(ciphertext=bytes(second.ciphertext))
    response = apis["protection_officer"].post(BASE + "/W-0001/identity/reveal", {"reason": "x"})
    assert response.status_code == 500
    assert set(response.json()["error"]) == {"code", "message", "error_id"}
    assert "W-0001" in caplog.text  # the log names the witness damaged, by pseudonym
    assert leaks(caplog.text, CANARY) == []


def test_dates_of_interviews_are_checked(apis):
    intake(apis["investigator"])
    response = apis["investigator"].post(
        BASE + "/W-0001/interviews", {"conducted_on": "yesterday", "language": "ar"}
    )
    assert response.status_code == 422
    assert not Interview.objects.exists()
