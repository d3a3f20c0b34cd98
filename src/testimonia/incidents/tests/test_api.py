"""The documentation database through the JSON API: create, read, change and delete each kind
of record, filter and page, stay inside the workspace, answer by role, keep the history."""

import datetime as dt
import json

import pytest
from django.test import Client

from testimonia.accounts.services import create_api_token
from testimonia.evidence.services import add_item
from testimonia.incidents.models import Act, Incident, Place, Source, Victimisation
from testimonia.incidents.services import (
    add_act,
    add_involvement,
    add_victim,
    cite,
    create_incident,
    create_organisation,
    create_person,
    save,
)

pytestmark = pytest.mark.django_db

WS = "/api/v1/workspaces/test-ws"


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)[0]}")


def body(response):
    return json.loads(response.content)


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def api(investigator):
    return api_for(investigator)


@pytest.fixture
def khan_yunis(db):
    return Place.objects.get(geonames_id=281124)


# ---------------------------------------------------------------------------------------------
# Incidents


def test_an_incident_round_trips_through_create_get_patch_and_delete(api, khan_yunis):
    created = post(
        api,
        f"{WS}/incidents",
        {
            "title": "Strike on the school",
            "description": "Two strikes at dawn.",
            "translations": {"ar": {"title": "قصف المدرسة", "description": "غارتان فجراً"}},
            "start_date": "2024-03-14",
            "start_time": "05:40:00",
            "start_precision": "exact",
            "place": khan_yunis.pk,
            "latitude": 31.3462271,
            "longitude": 34.3063,
            "location_precision": "exact",
            "tags": ["schools", "airstrike"],
        },
    )
    assert created.status_code == 201, created.content
    incident = body(created)
    assert incident["title"] == "Strike on the school"
    assert incident["translations"]["ar"]["title"] == "قصف المدرسة"
    assert incident["place"]["id"] == khan_yunis.pk
    assert incident["latitude"] == pytest.approx(31.346227)  # stored to 6 decimals
    assert incident["tags"] == ["airstrike", "schools"]
    assert incident["status"] == "draft"
    assert incident["created_by"] == "investigator"
    assert incident["acts"] == []
    assert incident["unsupported"] == ["start_date", "place", "latitude", "longitude"]

    url = f"{WS}/incidents/{incident['id']}"
    fetched = body(api.get(url))
    assert fetched["start_time"] == "05:40:00"
    assert fetched["description"] == "Two strikes at dawn."

    changed = patch(api, url, {"title": "Strikes on the school", "tags": ["schools"]})
    assert changed.status_code == 200, changed.content
    assert body(changed)["title"] == "Strikes on the school"
    assert body(changed)["tags"] == ["schools"]
    assert body(changed)["description"] == "Two strikes at dawn."  # untouched by the PATCH

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert not Incident.objects.filter(pk=incident["id"]).exists()
    # The history outlives the record, with the author of the deletion.
    last = Incident.history.filter(id=incident["id"]).latest("history_date")
    assert last.history_type == "-"
    assert last.history_user.username == "investigator"


def test_only_a_draft_incident_can_be_deleted(api, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Raid", status="verified")
    response = api.delete(f"{WS}/incidents/{incident.pk}")
    assert response.status_code == 409
    assert "Set it back to draft" in body(response)["error"]["message"]
    assert body(response)["error"]["code"] == "conflict"
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_deleting_a_draft_takes_its_acts_and_citations_but_not_its_people(
    api, workspace, investigator
):
    incident = create_incident(investigator, workspace, title="Raid")
    act = add_act(investigator, incident, "arrest")
    person = create_person(investigator, workspace, [("Yusuf", "en")])
    victim = add_victim(investigator, act, person, "detained")
    source = Source.objects.create(workspace=workspace, title="Report", kind="report")
    cite(investigator, act, source=source)
    cite(investigator, victim, source=source)
    cite(investigator, person, source=source)
    save(investigator, incident, status="published")
    url = f"{WS}/incidents/{incident.pk}"
    assert api.delete(url).status_code == 409
    assert patch(api, url, {"status": "draft"}).status_code == 200

    assert api.delete(url).status_code == 204
    assert not Act.objects.filter(pk=act.pk).exists()
    assert not Victimisation.objects.filter(pk=victim.pk).exists()
    # Only the person's own citation is left; the person stays (others may name them).
    assert [c.object_id for c in source.citations.all()] == [person.pk]
    assert body(api.get(f"{WS}/persons/{person.pk}"))["names"][0]["text"] == "Yusuf"
    deleted_act = Act.history.filter(id=act.pk).latest("history_date")
    assert deleted_act.history_type == "-"
    assert deleted_act.history_user.username == "investigator"


def test_an_invalid_incident_is_refused_with_the_reason(api):
    response = post(
        api,
        f"{WS}/incidents",
        {"title": "Raid", "start_date": "2024-05-02", "end_date": "2024-05-01"},
    )
    assert response.status_code == 400
    assert body(response)["error"]["message"]
    bad_choice = post(api, f"{WS}/incidents", {"title": "Raid", "status": "finished"})
    assert bad_choice.status_code == 400
    assert "status" in body(bad_choice)["error"]["message"]
    assert Incident.objects.count() == 0


def test_the_list_filters_by_facets_and_counts_every_match(api, workspace, investigator):
    for day in range(1, 6):
        incident = create_incident(
            investigator,
            workspace,
            title=f"Shelling {day}",
            start_date=dt.date(2024, 1, day),
            tags=["shelling"] if day % 2 else [],
        )
        add_act(investigator, incident, "indiscriminate_killing" if day <= 2 else "arrest")
    create_incident(investigator, workspace, title="Undated", status="verified")

    page = body(api.get(f"{WS}/incidents?limit=2"))
    assert page["count"] == 6
    assert [i["title"] for i in page["items"]] == ["Shelling 5", "Shelling 4"]
    second = body(api.get(f"{WS}/incidents?limit=2&offset=4"))
    assert [i["title"] for i in second["items"]] == ["Shelling 1", "Undated"]  # undated last

    killing = body(api.get(f"{WS}/incidents?act_type=killing"))
    assert killing["count"] == 2
    assert killing["items"][0]["act_types"] == ["indiscriminate_killing"]
    both = body(api.get(f"{WS}/incidents?act_type=killing&act_type=arbitrary_detention"))
    assert both["count"] == 5
    assert body(api.get(f"{WS}/incidents?tag=shelling"))["count"] == 3
    assert body(api.get(f"{WS}/incidents?status=verified"))["count"] == 1
    assert body(api.get(f"{WS}/incidents?status=verified&status=draft"))["count"] == 6
    period = body(api.get(f"{WS}/incidents?date_from=2024-01-02&date_to=2024-01-03"))
    assert sorted(i["title"] for i in period["items"]) == ["Shelling 2", "Shelling 3"]

    assert api.get(f"{WS}/incidents?limit=0").status_code == 400
    assert api.get(f"{WS}/incidents?limit=1001").status_code == 400
    unknown = api.get(f"{WS}/incidents?status=closed")
    assert unknown.status_code == 400
    assert "closed" in body(unknown)["error"]["message"]
    assert api.get(f"{WS}/incidents?act_type=bombing").status_code == 400


def test_the_history_names_who_changed_what(api, analyst, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Raid", tags=["night"])
    patch(api_for(analyst), f"{WS}/incidents/{incident.pk}", {"title": "Night raid"})
    patch(api_for(analyst), f"{WS}/incidents/{incident.pk}", {"tags": ["night", "raids"]})

    versions = body(api.get(f"{WS}/incidents/{incident.pk}/history"))
    assert [v["type"] for v in versions] == ["changed", "changed", "changed", "created"]
    assert [v["user"] for v in versions] == ["analyst", "analyst", "investigator", "investigator"]
    tags, title, first_tags, created = versions
    assert tags["changes"] == [{"field": "tags", "old": ["night"], "new": ["night", "raids"]}]
    assert title["changes"] == [{"field": "title", "old": "Raid", "new": "Night raid"}]
    assert first_tags["changes"] == [{"field": "tags", "old": [], "new": ["night"]}]
    assert {"field": "title", "old": None, "new": "Raid"} in created["changes"]


# ---------------------------------------------------------------------------------------------
# Acts, victims, perpetrators, links


def test_acts_with_victims_and_perpetrators_nest_under_their_incident(api, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Strike")
    child = create_person(investigator, workspace, [("سارة", "ar")], age_min=9, age_max=9)
    unit = create_organisation(investigator, workspace, "75th Battalion", "armed_forces")
    acts_url = f"{WS}/incidents/{incident.pk}/acts"

    created = post(api, acts_url, {"act_type": "indiscriminate_killing", "method": "airstrike"})
    assert created.status_code == 201, created.content
    act = body(created)
    assert act["act_type"]["code"] == "indiscriminate_killing"
    assert act["act_type"]["labels"]["ar"] == "قتل عشوائي (مثل القصف)"
    assert act["act_type"]["parent"] == "killing"
    act_url = f"{acts_url}/{act['id']}"

    victim = post(api, f"{act_url}/victims", {"person": child.pk, "outcome": "killed"})
    assert victim.status_code == 201, victim.content
    perpetrator = post(
        api,
        f"{act_url}/involvements",
        {"organisation": unit.pk, "degree": "direct", "certainty": "likely"},
    )
    assert perpetrator.status_code == 201, perpetrator.content
    nobody = post(api, f"{act_url}/involvements", {"degree": "direct"})
    assert nobody.status_code == 400

    detail = body(api.get(f"{WS}/incidents/{incident.pk}"))
    (nested,) = detail["acts"]
    assert nested["victims"][0]["person"] == child.pk
    assert nested["victims"][0]["outcome"] == "killed"
    assert nested["involvements"][0]["organisation"] == unit.pk
    assert nested["involvements"][0]["certainty"] == "likely"
    assert nested["unsupported"] == ["act_type", "method"]

    retyped = patch(api, act_url, {"act_type": "massacre", "description": "in the courtyard"})
    assert body(retyped)["act_type"]["code"] == "massacre"
    assert patch(api, act_url, {"act_type": "bombing"}).status_code == 400
    assert [a["id"] for a in body(api.get(acts_url))] == [act["id"]]

    victim_url = f"{act_url}/victims/{body(victim)['id']}"
    assert api.delete(victim_url).status_code == 204
    involvement_url = f"{act_url}/involvements/{body(perpetrator)['id']}"
    assert api.delete(involvement_url).status_code == 204
    assert api.delete(act_url).status_code == 204
    assert not Act.objects.filter(pk=act["id"]).exists()


def test_nothing_is_removed_from_a_verified_incident(api, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Strike")
    act = add_act(investigator, incident, "killing")
    person = create_person(investigator, workspace, [("Sara", "en")])
    victim = add_victim(investigator, act, person, "killed")
    save(investigator, incident, status="verified")
    act_url = f"{WS}/incidents/{incident.pk}/acts/{act.pk}"
    assert api.delete(f"{act_url}/victims/{victim.pk}").status_code == 409
    assert api.delete(act_url).status_code == 409
    assert Victimisation.objects.filter(pk=victim.pk).exists()


def test_links_join_two_incidents_of_the_workspace(api, workspace, investigator):
    first = create_incident(investigator, workspace, title="Strike")
    second = create_incident(investigator, workspace, title="Second strike")
    made = post(
        api, f"{WS}/incidents/{first.pk}/links", {"target": second.pk, "kind": "same_attack"}
    )
    assert made.status_code == 201, made.content
    link = body(made)
    assert link["direction"] == "out"
    assert link["incident"] == second.pk
    seen_from_second = body(api.get(f"{WS}/incidents/{second.pk}"))["links"]
    assert seen_from_second == [
        {
            "id": link["id"],
            "direction": "in",
            "kind": "same_attack",
            "incident": first.pk,
            "note": "",
        }
    ]
    itself = post(api, f"{WS}/incidents/{first.pk}/links", {"target": first.pk, "kind": "related"})
    assert itself.status_code == 400
    assert api.delete(f"{WS}/incidents/{second.pk}/links/{link['id']}").status_code == 204
    assert body(api.get(f"{WS}/incidents/{first.pk}"))["links"] == []


# ---------------------------------------------------------------------------------------------
# Persons, organisations, sources, citations, places, vocabularies


def test_persons_are_found_by_a_normalised_name_prefix(api):
    made = post(
        api,
        f"{WS}/persons",
        {
            "sex": "male",
            "age_min": 34,
            "names": [{"text": "أحمد محمود", "language": "ar"}, {"text": "Ahmad Mahmoud"}],
        },
    )
    assert made.status_code == 201, made.content
    person = body(made)
    assert [n["primary"] for n in person["names"]] == [True, False]
    post(api, f"{WS}/persons", {"names": [{"text": "Saʿīd Khalil", "language": "en"}]})

    # Without hamza, and the start of a word: the project's normalisation on both sides.
    assert [p["id"] for p in body(api.get(f"{WS}/persons?q=احمد"))["items"]] == [person["id"]]
    assert body(api.get(f"{WS}/persons?q=mahm"))["count"] == 1
    assert body(api.get(f"{WS}/persons?q=said"))["count"] == 1
    assert body(api.get(f"{WS}/persons?q=hmad"))["count"] == 0
    assert body(api.get(f"{WS}/persons"))["count"] == 2

    _arabic, latin = person["names"]
    changed = patch(
        api,
        f"{WS}/persons/{person['id']}",
        {
            "occupation": "teacher",
            "names": [
                {"id": latin["id"], "text": "Ahmed Mahmoud", "primary": True},
                {"text": "Abu Khaled", "kind": "kunya"},
            ],
        },
    )
    assert changed.status_code == 200, changed.content
    names = body(changed)["names"]
    assert [(n["text"], n["primary"]) for n in names] == [
        ("Ahmed Mahmoud", True),
        ("Abu Khaled", False),
    ]
    assert names[0]["id"] == latin["id"]
    assert body(changed)["occupation"] == "teacher"
    assert body(changed)["age_min"] == 34
    assert body(api.get(f"{WS}/persons?q=احمد"))["count"] == 0  # the Arabic name was removed


def test_a_unit_cannot_be_placed_under_itself(api):
    brigade = body(
        post(api, f"{WS}/organisations", {"name": "7th Brigade", "kind": "armed_forces"})
    )
    battalion = body(
        post(
            api,
            f"{WS}/organisations",
            {"name": "75th Battalion", "kind": "armed_forces", "parent": brigade["id"]},
        )
    )
    assert battalion["chain_of_command"] == [battalion["id"], brigade["id"]]
    cycle = patch(api, f"{WS}/organisations/{brigade['id']}", {"parent": battalion["id"]})
    assert cycle.status_code == 409
    assert "already above it" in body(cycle)["error"]["message"]
    renamed = patch(api, f"{WS}/organisations/{brigade['id']}", {"name": "7th Armoured Brigade"})
    assert body(renamed)["name"] == "7th Armoured Brigade"
    assert body(renamed)["parent"] is None
    listed = body(api.get(f"{WS}/organisations?q=75"))
    assert [u["id"] for u in listed["items"]] == [battalion["id"]]


def test_sources_and_citations_support_facts(api, workspace, investigator):
    incident = create_incident(
        investigator, workspace, title="Strike", start_date=dt.date(2024, 3, 14)
    )
    act = add_act(investigator, incident, "killing")
    video = add_item(investigator, workspace, [b"video"], filename="v.mp4").item
    made = post(api, f"{WS}/sources", {"title": "UN OCHA flash update", "kind": "report"})
    assert made.status_code == 201, made.content
    source = body(made)
    source_url = f"{WS}/sources/{source['id']}"
    assert body(patch(api, source_url, {"reliability": "high"}))["reliability"] == "high"

    by_item = post(
        api,
        f"{WS}/citations",
        {
            "record_type": "incident",
            "record_id": incident.pk,
            "field": "start_date",
            "item": video.pk,
            "note": "timestamp 00:12",
        },
    )
    assert by_item.status_code == 201, by_item.content
    assert body(by_item)["item_sha256"] == video.blob.sha256
    by_source = post(
        api, f"{WS}/citations", {"record_type": "act", "record_id": act.pk, "source": source["id"]}
    )
    assert by_source.status_code == 201, by_source.content
    nothing = post(api, f"{WS}/citations", {"record_type": "act", "record_id": act.pk})
    assert nothing.status_code == 400

    detail = body(api.get(f"{WS}/incidents/{incident.pk}"))
    assert detail["unsupported"] == []
    assert detail["citations"][0]["note"] == "timestamp 00:12"
    assert detail["acts"][0]["citations"][0]["source"] == source["id"]
    listed = body(api.get(f"{WS}/citations?record_type=act&record_id={act.pk}"))
    assert [c["id"] for c in listed["items"]] == [body(by_source)["id"]]

    # A cited source stays until its citations are withdrawn.
    assert api.delete(source_url).status_code == 409
    assert api.delete(f"{WS}/citations/{body(by_source)['id']}").status_code == 204
    assert api.delete(source_url).status_code == 204
    assert not Source.objects.filter(pk=source["id"]).exists()


def test_places_are_searched_and_sites_added(api, khan_yunis):
    found = body(api.get(f"{WS}/places?q=خان يونس"))
    assert khan_yunis.pk in [p["id"] for p in found]
    assert all(p["workspace_site"] is False for p in found)
    site = post(
        api,
        f"{WS}/places",
        {
            "names": {"en": "Al-Amal school", "ar": "مدرسة الأمل"},
            "latitude": 31.34,
            "longitude": 34.30,
        },
    )
    assert site.status_code == 201, site.content
    assert body(site)["workspace_site"] is True
    assert body(site)["kind"] == "site"
    assert [p["id"] for p in body(api.get(f"{WS}/places?q=مدرسه الامل"))] == [body(site)["id"]]
    assert post(api, f"{WS}/places", {"names": {"en": ""}}).status_code == 400
    far = post(api, f"{WS}/places", {"names": {"en": "x"}, "latitude": 91})
    assert far.status_code == 400


def test_the_act_type_vocabulary_is_open_to_every_signed_in_user(reviewer):
    terms = body(api_for(reviewer).get("/api/v1/vocabularies/act_type"))
    by_code = {t["code"]: t for t in terms}
    assert by_code["summary_execution"]["parent"] == "killing"
    assert by_code["killing"]["labels"] == {"en": "Killing", "ar": "قتل", "he": "הריגה"}
    assert by_code["killing"]["huridocs"] == "010101"
    assert terms[0]["code"] == "killing"  # in the vocabulary's own order
    assert Client().get("/api/v1/vocabularies/act_type").status_code == 401
    assert api_for(reviewer).get("/api/v1/vocabularies/weapons").status_code == 404


# ---------------------------------------------------------------------------------------------
# Access


def test_records_of_another_workspace_are_not_found(api, investigator, other_workspace, workspace):
    theirs = create_incident(None, other_workspace, title="Theirs")
    their_act = add_act(None, theirs, "killing")
    their_person = create_person(None, other_workspace, [("Hidden", "en")])
    their_unit = create_organisation(None, other_workspace, "Their unit", "armed_forces")
    their_site = Place.objects.create(workspace=other_workspace, kind="site", names={"en": "S"})
    their_item = add_item(None, other_workspace, [b"theirs"], filename="t.txt").item
    their_citation = cite(None, theirs, item=their_item)
    mine = create_incident(investigator, workspace, title="Mine")
    my_act = add_act(investigator, mine, "killing")
    act_url = f"{WS}/incidents/{mine.pk}/acts/{my_act.pk}"

    assert api.get(f"{WS}/incidents/{theirs.pk}").status_code == 404
    assert patch(api, f"{WS}/incidents/{theirs.pk}", {"title": "x"}).status_code == 404
    assert api.delete(f"{WS}/incidents/{theirs.pk}").status_code == 404
    assert api.get(f"{WS}/incidents/{theirs.pk}/history").status_code == 404
    assert api.get(f"{WS}/incidents/{theirs.pk}/acts/{their_act.pk}").status_code == 404
    assert api.get(f"{WS}/incidents/{mine.pk}/acts/{their_act.pk}").status_code == 404
    assert api.get(f"{WS}/persons/{their_person.pk}").status_code == 404
    assert api.get(f"{WS}/organisations/{their_unit.pk}").status_code == 404
    assert patch(api, f"{WS}/incidents/{mine.pk}", {"place": their_site.pk}).status_code == 404
    assert post(api, f"{act_url}/victims", {"person": their_person.pk}).status_code == 404
    assert post(api, f"{act_url}/involvements", {"organisation": their_unit.pk}).status_code == 404
    link = {"target": theirs.pk, "kind": "related"}
    assert post(api, f"{WS}/incidents/{mine.pk}/links", link).status_code == 404
    cite_theirs = {"record_type": "incident", "record_id": mine.pk, "item": their_item.pk}
    assert post(api, f"{WS}/citations", cite_theirs).status_code == 404
    assert api.delete(f"{WS}/citations/{their_citation.pk}").status_code == 404
    assert body(api.get(f"{WS}/incidents"))["count"] == 1
    assert body(api.get(f"{WS}/places?q=S"))  # the gazetteer, never their site:
    assert their_site.pk not in [p["id"] for p in body(api.get(f"{WS}/places?q=S&limit=100"))]
    # Nothing of theirs was changed.
    assert Incident.objects.get(pk=theirs.pk).title == "Theirs"
    assert mine.place_id is None


def test_reading_and_writing_follow_the_roles(personas, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Strike")
    url = f"{WS}/incidents/{incident.pk}"
    legal = api_for(personas["legal_officer"])
    assert legal.get(url).status_code == 200
    assert patch(legal, url, {"title": "x"}).status_code == 403
    assert post(legal, f"{WS}/incidents", {"title": "x"}).status_code == 403
    assert api_for(personas["reviewer"]).get(url).status_code == 403
    assert (
        api_for(personas["reviewer"]).get(f"{WS}/exports/incidents?format=csv").status_code == 403
    )
    analyst = api_for(personas["analyst"])
    assert post(analyst, f"{WS}/incidents", {"title": "By the analyst"}).status_code == 201
    assert patch(analyst, url, {"title": "Strike (checked)"}).status_code == 200
    assert api_for(personas["outsider"]).get(url).status_code == 404
    assert Incident.objects.get(pk=incident.pk).title == "Strike (checked)"


def test_the_web_session_can_use_the_api_too(analyst, workspace):
    from testimonia.conftest import client_for

    response = post(client_for(analyst), f"{WS}/incidents", {"title": "From the web UI"})
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(title="From the web UI")
    assert incident.history.latest("history_date").history_user == analyst


def test_the_involvement_of_a_person_is_recorded(api, workspace, investigator):
    incident = create_incident(investigator, workspace, title="Arrest")
    act = add_act(investigator, incident, "arrest")
    officer = create_person(investigator, workspace, [("Officer Y", "en")])
    response = post(
        api,
        f"{WS}/incidents/{incident.pk}/acts/{act.pk}/involvements",
        {"person": officer.pk, "degree": "ordered", "role": "commander"},
    )
    assert response.status_code == 201, response.content
    assert body(response)["person"] == officer.pk
    assert body(response)["role"] == "commander"
    assert act.involvements.get().degree == "ordered"
    add_involvement(
        investigator,
        act,
        organisation=create_organisation(investigator, workspace, "Police", "police"),
    )
    nested = body(api.get(f"{WS}/incidents/{incident.pk}/acts/{act.pk}"))["involvements"]
    assert [i["degree"] for i in nested] == ["ordered", "unknown"]
