"""The incident pages: list with facets, map and timeline, the record and its forms."""

import datetime as dt

import pytest

from testimonia.conftest import client_for
from testimonia.evidence.services import add_item
from testimonia.incidents.models import Incident, Organisation, Person, Place
from testimonia.incidents.services import (
    add_act,
    add_involvement,
    add_victim,
    create_incident,
    create_organisation,
    create_person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def strike(workspace, investigator):
    place = Place.objects.get(geonames_id=281124)  # Khan Yunis
    incident = create_incident(
        investigator,
        workspace,
        title="Strike on the school",
        description="A school used as a shelter was hit at noon.",
        start_date=dt.date(2024, 3, 14),
        place=place,
        translations={"ar": {"title": "قصف المدرسة", "description": ""}},
    )
    act = add_act(investigator, incident, "indiscriminate_killing")
    child = create_person(
        investigator, workspace, [("سارة", "ar")], sex="female", age_min=9, age_max=9
    )
    add_victim(investigator, act, child, "killed")
    unit = create_organisation(investigator, workspace, "75th Battalion", "armed_forces")
    add_involvement(investigator, act, organisation=unit, degree="direct", certainty="likely")
    return incident


@pytest.fixture
def raid(workspace, investigator):
    incident = create_incident(
        investigator,
        workspace,
        title="Night raid",
        start_date=dt.date(2024, 6, 1),
        status="verified",
    )
    add_act(investigator, incident, "arrest")
    return incident


def rows(page):
    return page.count('data-incident="')


def test_the_list_filters_by_every_facet_and_counts(analyst, strike, raid):
    client = client_for(analyst)
    page = client.get("/w/test-ws/incidents/").content.decode()
    assert rows(page) == 2
    page = client.get("/w/test-ws/incidents/?act_type=killing").content.decode()
    assert rows(page) == 1
    assert "Strike on the school" in page
    assert rows(client.get("/w/test-ws/incidents/?status=verified").content.decode()) == 1
    assert rows(client.get("/w/test-ws/incidents/?victim_age=child").content.decode()) == 1
    assert rows(client.get("/w/test-ws/incidents/?place=PS0270").content.decode()) == 1
    assert rows(client.get("/w/test-ws/incidents/?date_from=2024-05-01").content.decode()) == 1
    assert rows(client.get("/w/test-ws/incidents/?q=raid").content.decode()) == 1
    # a malformed facet value is ignored, not an error
    assert client.get("/w/test-ws/incidents/?date_from=yesterday").status_code == 200


def test_map_data_follows_the_same_facets(analyst, strike, raid):
    client = client_for(analyst)
    data = client.get("/w/test-ws/incidents/map.geojson").json()
    # the raid has no position: only the strike (placed by the gazetteer) is on the map
    assert [f["properties"]["id"] for f in data["features"]] == [strike.pk]
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 34.2 < lon < 34.4
    assert 31.3 < lat < 31.4
    assert client.get("/w/test-ws/incidents/map.geojson?status=verified").json()["features"] == []
    boundaries = client.get("/w/test-ws/incidents/boundaries/adm2.geojson").json()
    assert len(boundaries["features"]) == 16
    assert client.get("/w/test-ws/incidents/boundaries/secret.geojson").status_code == 404
    page = client.get("/w/test-ws/incidents/map/?act_type=killing").content.decode()
    assert "map.geojson?act_type=killing" in page


def test_the_timeline_counts_per_month(analyst, strike, raid):
    page = client_for(analyst).get("/w/test-ws/incidents/timeline/").content.decode()
    assert 'data-month="2024-03" data-count="1"' in page
    assert 'data-month="2024-06" data-count="1"' in page


def test_the_record_shows_who_did_what_to_whom_and_what_is_unsupported(analyst, strike):
    page = client_for(analyst).get(f"/w/test-ws/incidents/{strike.pk}/").content.decode()
    assert "سارة" in page
    assert "75th Battalion" in page
    assert 'id="unsupported"' in page


def test_the_record_is_shown_in_the_reader_language(analyst, strike):
    client = client_for(analyst)
    client.cookies.load({"django_language": "ar"})
    page = client.get(
        f"/w/test-ws/incidents/{strike.pk}/", HTTP_ACCEPT_LANGUAGE="ar"
    ).content.decode()
    assert "قصف المدرسة" in page


def test_create_edit_and_history(investigator, analyst, workspace):
    client = client_for(investigator)
    response = client.post(
        "/w/test-ws/incidents/new/",
        {
            "title": "Shelling of the market",
            "language": "en",
            "start_date": "2024-02-01",
            "start_precision": "month",
            "end_precision": "day",
            "location_precision": "locality",
            "status": "draft",
            "sensitivity": "restricted",
            "place": str(Place.objects.get(geonames_id=281124).pk),
            "title_ar": "قصف السوق",
            "tags": "markets, 2024",
        },
    )
    incident = Incident.objects.get(title="Shelling of the market")
    assert response.url == f"/w/test-ws/incidents/{incident.pk}/"
    assert incident.translations["ar"]["title"] == "قصف السوق"
    assert sorted(incident.tags.values_list("name", flat=True)) == ["2024", "markets"]
    assert incident.place.geonames_id == 281124
    client_for(analyst).post(
        f"/w/test-ws/incidents/{incident.pk}/edit/",
        {
            "title": "Shelling of the central market",
            "language": "en",
            "start_date": "2024-02-01",
            "start_precision": "month",
            "end_precision": "day",
            "location_precision": "locality",
            "status": "draft",
            "sensitivity": "restricted",
            "tags": "markets, 2024",
        },
    )
    history = (
        client_for(analyst).get(f"/w/test-ws/incidents/{incident.pk}/history/").content.decode()
    )
    assert "Shelling of the market" in history
    assert "Shelling of the central market" in history
    assert ">analyst<" in history


def test_an_end_before_the_start_is_refused_with_the_reason(investigator):
    response = client_for(investigator).post(
        "/w/test-ws/incidents/new/",
        {
            "title": "Backwards",
            "language": "en",
            "start_date": "2024-02-02",
            "end_date": "2024-02-01",
            "start_precision": "day",
            "end_precision": "day",
            "location_precision": "unknown",
            "status": "draft",
            "sensitivity": "restricted",
        },
    )
    assert response.status_code == 200
    assert not Incident.objects.filter(title="Backwards").exists()


def test_acts_victims_perpetrators_citations_and_links_from_the_page(
    investigator, workspace, strike, raid
):
    client = client_for(investigator)
    base = f"/w/test-ws/incidents/{raid.pk}"
    client.post(f"{base}/acts/", {"act_type": "torture", "start_precision": "day"})
    act = raid.acts.get(act_type__code="torture")
    client.post(
        f"{base}/acts/{act.pk}/victims/",
        {
            "name": "Yusuf",
            "name_language": "en",
            "sex": "male",
            "age_min": "34",
            "status": "civilian",
            "outcome": "detained",
        },
    )
    assert act.victims.get().display_name == "Yusuf"
    unit = Organisation.objects.get(name="75th Battalion")
    client.post(
        f"{base}/acts/{act.pk}/perpetrators/",
        {"organisation": str(unit.pk), "degree": "direct", "certainty": "possible"},
    )
    assert act.involvements.get().organisation == unit
    video = add_item(investigator, workspace, [b"video"], filename="raid.mp4").item
    client.post(
        f"{base}/citations/", {"item": str(video.pk), "field": "start_date", "note": "00:42"}
    )
    assert raid.evidence.get() == video
    client.post(f"{base}/links/", {"target": str(strike.pk), "kind": "pattern"})
    assert raid.links_out.get().target == strike


def test_a_person_of_another_workspace_cannot_be_named(investigator, raid, other_workspace):
    act = add_act(investigator, raid, "torture")
    stranger = Person.objects.create(workspace=other_workspace, sex="male")
    client_for(investigator).post(
        f"/w/test-ws/incidents/{raid.pk}/acts/{act.pk}/victims/",
        {
            "person": str(stranger.pk),
            "name_language": "en",
            "sex": "male",
            "status": "civilian",
            "outcome": "detained",
        },
    )
    assert not act.victims.exists()


def test_roles_read_and_write_as_declared(strike, personas):
    assert client_for(personas["legal_officer"]).get("/w/test-ws/incidents/").status_code == 200
    response = client_for(personas["legal_officer"]).post(
        f"/w/test-ws/incidents/{strike.pk}/acts/", {"act_type": "torture"}
    )
    assert response.status_code == 403
    assert client_for(personas["reviewer"]).get("/w/test-ws/incidents/").status_code == 403
    assert (
        client_for(personas["outsider"]).get(f"/w/test-ws/incidents/{strike.pk}/").status_code
        == 404
    )


def test_bulk_edit_of_status_and_tags(analyst, strike, raid):
    client_for(analyst).post(
        "/w/test-ws/incidents/bulk/",
        {
            "ids": [str(strike.pk), str(raid.pk)],
            "status": "verified",
            "add_tags": "reviewed",
            "remove_tags": "",
        },
    )
    assert set(Incident.objects.values_list("status", flat=True)) == {"verified"}
    assert Incident.objects.filter(tags__name="reviewed").count() == 2


def test_organisations_nest(investigator):
    client = client_for(investigator)
    client.post("/w/test-ws/organisations/", {"name": "7th Brigade", "kind": "armed_forces"})
    brigade = Organisation.objects.get(name="7th Brigade")
    client.post(
        "/w/test-ws/organisations/",
        {"name": "71st Battalion", "kind": "armed_forces", "parent": str(brigade.pk)},
    )
    assert Organisation.objects.get(name="71st Battalion").parent == brigade
    page = client.get("/w/test-ws/organisations/").content.decode()
    assert page.index("7th Brigade") < page.index("71st Battalion")


def test_place_search_offers_gazetteer_places(investigator):
    page = client_for(investigator).get("/w/test-ws/places/?q=الخليل").content.decode()
    assert "Hebron" in page


def test_the_list_and_timeline_show_titles_in_the_readers_language(analyst, strike):
    client = client_for(analyst)
    for url in ("/w/test-ws/incidents/", "/w/test-ws/incidents/timeline/"):
        arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
        assert "قصف المدرسة" in arabic
        assert "Strike on the school" not in arabic
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Strike on the school" in english
