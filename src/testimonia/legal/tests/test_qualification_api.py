"""Legal qualification through the JSON API: who may do what, the error shape, the matrix and
the indicators."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.evidence.services import add_item
from testimonia.incidents import services as records
from testimonia.legal import services
from testimonia.legal.models import ElementSupport, Liability, Qualification

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

WS = "/api/v1/workspaces/test-ws"


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)[0]}")


def body(response):
    return json.loads(response.content)


def send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def act_url(facts):
    return f"{WS}/incidents/{facts['incident'].pk}/acts/{facts['act'].pk}"


@pytest.fixture
def lawyer(legal_officer):
    return api_for(legal_officer)


@pytest.fixture
def murder(facts, legal_officer):
    return services.qualify(legal_officer, facts["act"], "RS-7-1-a", "Killed in the market.")


def test_a_legal_officer_qualifies_an_act_and_reads_it_back(facts, lawyer):
    created = send(
        lawyer, "post", act_url(facts) + "/qualifications", {"crime": "7(1)(a)", "reasoning": "r"}
    )
    assert created.status_code == 201, created.content
    q = body(created)
    assert q["crime_id"] == "RS-7-1-a"
    assert q["article"] == "7(1)(a)"
    assert q["status"] == "candidate"
    assert q["origin"] == "user"
    assert q["proposed_by"] == "legal_officer"
    assert q["target"] == {
        "type": "act",
        "id": facts["act"].pk,
        "incident": facts["incident"].pk,
        "label": f"act {facts['act'].pk}: Killing in incident {facts['incident'].pk} "
        "(Strike on the market)",
    }
    assert [e["number"] for e in q["elements"]] == [1, 2, 3]
    assert q["gaps"] == 3
    again = lawyer.get(f"{WS}/qualifications/{q['id']}")
    assert body(again)["id"] == q["id"]
    listed = body(lawyer.get(f"{WS}/incidents/{facts['incident'].pk}/qualifications"))
    assert [x["id"] for x in listed] == [q["id"]]
    page = body(lawyer.get(f"{WS}/qualifications?crime=7(1)(a)&status=candidate"))
    assert page["count"] == 1


def test_an_incident_is_qualified_as_a_whole(facts, lawyer):
    created = send(
        lawyer,
        "post",
        f"{WS}/incidents/{facts['incident'].pk}/qualifications",
        {"crime": "RS-7-1-b"},
    )
    assert created.status_code == 201
    assert body(created)["target"]["type"] == "incident"


@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer"])
def test_other_internal_roles_read_but_may_not_qualify(facts, personas, murder, role):
    client = api_for(personas[role])
    refused = send(client, "post", act_url(facts) + "/qualifications", {"crime": "RS-7-1-b"})
    assert refused.status_code == 403
    assert body(refused)["error"]["code"] == "forbidden"
    for url, data in (
        (f"{WS}/qualifications/{murder.pk}/accept", {"reasoning": "x"}),
        (
            f"{WS}/qualifications/{murder.pk}/elements/1/supports",
            {"kind": "finding", "text": "x", "strength": "weak"},
        ),
        (act_url(facts) + "/suggestions", None),
    ):
        assert send(client, "post", url, data).status_code == 403
    assert (
        send(
            client, "put", f"{WS}/qualifications/{murder.pk}/elements/1", {"strength": "weak"}
        ).status_code
        == 403
    )
    assert client.get(f"{WS}/qualifications/{murder.pk}").status_code == 200
    assert client.get(f"{WS}/matrix?incident={facts['incident'].pk}").status_code == 200
    murder.refresh_from_db()
    assert murder.status == "candidate"
    assert not ElementSupport.objects.exists()


def test_reviewers_and_outsiders_see_nothing(facts, reviewer, outsider, murder):
    assert api_for(reviewer).get(f"{WS}/qualifications/{murder.pk}").status_code == 403
    stranger = api_for(outsider)
    assert stranger.get(f"{WS}/qualifications/{murder.pk}").status_code == 404
    assert (
        send(
            stranger, "post", act_url(facts) + "/qualifications", {"crime": "RS-7-1-b"}
        ).status_code
        == 404
    )


def test_records_of_another_workspace_answer_404(facts, lawyer, other_workspace, outsider, murder):
    theirs_incident = records.create_incident(outsider, other_workspace, title="theirs")
    theirs_act = records.add_act(outsider, theirs_incident, "killing")
    url = f"{WS}/incidents/{theirs_incident.pk}/acts/{theirs_act.pk}/qualifications"
    assert send(lawyer, "post", url, {"crime": "RS-7-1-a"}).status_code == 404
    theirs_q = services.qualify(outsider, theirs_act, "RS-7-1-a", "")
    assert lawyer.get(f"{WS}/qualifications/{theirs_q.pk}").status_code == 404
    item = add_item(outsider, other_workspace, [png_bytes((5, 5, 5))], filename="t.png").item
    linked = send(
        lawyer,
        "post",
        f"{WS}/qualifications/{murder.pk}/elements/1/supports",
        {"kind": "item", "id": item.pk, "strength": "strong"},
    )
    assert linked.status_code == 404
    assert body(linked) == {"error": {"code": "not_found", "message": "No such resource."}}


def test_decisions_are_recorded_with_reasons_and_shown_in_the_history(murder, lawyer):
    url = f"{WS}/qualifications/{murder.pk}"
    missing = send(lawyer, "post", url + "/accept", {})
    assert missing.status_code == 422
    accepted = send(lawyer, "post", url + "/accept", {"reasoning": "Part of the attack."})
    assert accepted.status_code == 200
    assert body(accepted)["status"] == "accepted"
    assert body(accepted)["decided_by"] == "legal_officer"
    assert body(accepted)["decision_reasoning"] == "Part of the attack."
    twice = send(lawyer, "post", url + "/accept", {"reasoning": "again"})
    assert twice.status_code == 409
    assert body(twice)["error"]["code"] == "conflict"
    send(lawyer, "post", url + "/reject", {"reasoning": "Not widespread."})
    history = body(lawyer.get(url + "/history"))
    assert [v["type"] for v in history] == ["changed", "changed", "created"]
    assert history[0]["user"] == "legal_officer"
    status_change = next(c for c in history[0]["changes"] if c["field"] == "status")
    assert status_change == {"field": "status", "old": "accepted", "new": "rejected"}
    refused = send(lawyer, "put", url + "/elements/1", {"strength": "strong"})
    assert refused.status_code == 409
    assert "reopen" in body(refused)["error"]["message"]


def test_elements_are_assessed_and_supported(facts, murder, lawyer):
    url = f"{WS}/qualifications/{murder.pk}/elements"
    assessed = send(lawyer, "put", url + "/1", {"strength": "moderate", "note": "video"})
    assert assessed.status_code == 200
    elements = body(assessed)["elements"]
    assert [e["number"] for e in elements] == [1, 2, 3]  # all unsupported: in order
    first = elements[0]
    assert first["assessed"] == "moderate"
    assert first["state"] == "unsupported"  # assessed, but nothing linked yet
    item = send(
        lawyer,
        "post",
        url + "/1/supports",
        {"kind": "item", "id": facts["item"].pk, "strength": "strong", "note": "minute 2"},
    )
    assert item.status_code == 201, item.content
    assert body(item)["kind"] == "item"
    assert body(item)["ref"] == facts["item"].pk
    finding = send(
        lawyer,
        "post",
        url + "/1/supports",
        {"kind": "finding", "text": "Seen by three witnesses.", "strength": "weak"},
    )
    assert body(finding)["label"] == "Seen by three witnesses."
    indicators = send(
        lawyer,
        "post",
        url + "/2/supports",
        {
            "kind": "indicators",
            "query": {"filter": {"act_types": ["killing"]}},
            "strength": "moderate",
        },
    )
    assert indicators.status_code == 201, indicators.content
    assert body(indicators)["indicators"]["query"]["incident_ids"] == [facts["incident"].pk]
    wrong = send(
        lawyer,
        "post",
        url + "/1/supports",
        {"kind": "indicators", "query": {"incident_ids": []}, "strength": "weak"},
    )
    assert wrong.status_code == 400
    twice = send(
        lawyer,
        "post",
        url + "/1/supports",
        {"kind": "item", "id": facts["item"].pk, "strength": "weak"},
    )
    assert twice.status_code == 409
    no_such = send(lawyer, "put", url + "/7", {"strength": "weak"})
    assert no_such.status_code == 400
    assert "has no element 7" in body(no_such)["error"]["message"]
    support_id = body(finding)["id"]
    changed = send(lawyer, "patch", f"{WS}/supports/{support_id}", {"strength": "strong"})
    assert body(changed)["strength"] == "strong"
    assert lawyer.delete(f"{WS}/supports/{support_id}").status_code == 204
    q = body(lawyer.get(f"{WS}/qualifications/{murder.pk}"))
    assert [(e["number"], e["state"]) for e in q["elements"]] == [
        (3, "unsupported"),
        (1, "supported"),
        (2, "supported"),
    ]


def test_suspects_liability_is_added_assessed_and_removed(facts, murder, lawyer):
    url = f"{WS}/qualifications/{murder.pk}/liabilities"
    both = send(
        lawyer,
        "post",
        url,
        {"person": facts["commander"].pk, "organisation": facts["unit"].pk, "mode": "RS-28-a"},
    )
    assert both.status_code == 400
    added = send(
        lawyer,
        "post",
        url,
        {"person": facts["commander"].pk, "mode": "RS-28-a", "reasoning": "commander"},
    )
    assert added.status_code == 201, added.content
    liability = body(added)
    assert liability["suspect"]["type"] == "person"
    assert liability["mode_name"] == "Responsibility of military commanders"
    assert liability["gaps"] == 6
    one = f"{WS}/liabilities/{liability['id']}"
    assessed = send(lawyer, "put", one + "/elements/2", {"strength": "strong"})
    assert assessed.status_code == 200
    linked = send(
        lawyer,
        "post",
        one + "/elements/2/supports",
        {"kind": "source", "id": facts["source"].pk, "strength": "strong"},
    )
    assert linked.status_code == 201
    q = body(lawyer.get(f"{WS}/qualifications/{murder.pk}"))
    assert q["liabilities"][0]["gaps"] == 5
    assert lawyer.delete(one).status_code == 204
    assert not Liability.objects.exists()


def test_suggestions_for_an_act_are_candidates_and_not_repeated(facts, lawyer):
    first = send(lawyer, "post", act_url(facts) + "/suggestions")
    assert first.status_code == 200, first.content
    data = body(first)
    assert [q["crime_id"] for q in data["created"]] == ["RS-7-1-a", "RS-8-2-c-i-1", "RS-6-a"]
    assert {q["origin"] for q in data["created"]} == {"suggestion"}
    assert data["context"]["conflicts"] == ["non-international"]
    assert data["context"]["child_victim"] is True
    again = body(send(lawyer, "post", act_url(facts) + "/suggestions"))
    assert again["created"] == []
    assert len(again["existing"]) == 3
    assert Qualification.objects.count() == 3


def test_the_matrix_as_json_csv_and_pdf(facts, murder, lawyer, legal_officer):
    services.link_support(legal_officer, murder, 1, facts["item"], "strong")
    url = f"{WS}/matrix?incident={facts['incident'].pk}"
    data = body(lawyer.get(url))
    assert data["format"] == "testimonia.case-matrix/1"
    assert data["gaps"] == 2
    assert [r["number"] for r in data["sections"][0]["rows"]] == [2, 3, 1]
    as_csv = lawyer.get(url + "&format=csv")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in as_csv["Content-Disposition"]
    assert as_csv.content.decode("utf-8").startswith("\ufeffscope,scope_id,section")
    as_pdf = lawyer.get(url + "&format=pdf&language=ar")
    assert as_pdf["Content-Type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF-")
    by_crime = body(lawyer.get(f"{WS}/matrix?crime=7(1)(a)"))
    assert by_crime["scope_id"] == "RS-7-1-a"
    by_suspect = body(lawyer.get(f"{WS}/matrix?person={facts['commander'].pk}"))
    assert by_suspect["sections"] == []
    for bad in ("", "?incident=1&crime=RS-7-1-a", "?crime=7(1)(zz)", "?crime=RS-7-1-a&language=xx"):
        refused = lawyer.get(f"{WS}/matrix{bad}")
        assert refused.status_code == 400, bad
        assert set(body(refused)["error"]) == {"code", "message"}


def test_indicators_for_a_set_of_incidents(facts, lawyer, outsider, other_workspace):
    data = body(lawyer.get(f"{WS}/indicators?ids={facts['incident'].pk}"))
    assert data["incidents"] == 1
    assert data["civilians"] == 1
    assert data["query"]["parameters"] == {"incident_ids": [facts["incident"].pk]}
    by_facet = body(lawyer.get(f"{WS}/indicators?act_type=killing"))
    assert by_facet["query"]["description"] == "the incidents with an act of type killing"
    theirs = records.create_incident(outsider, other_workspace, title="theirs")
    assert lawyer.get(f"{WS}/indicators?ids={theirs.pk}").status_code == 404
    assert lawyer.get(f"{WS}/indicators?act_type=kiling").status_code == 400
