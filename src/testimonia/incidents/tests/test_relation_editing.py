"""Relationship editing on an incident's page: edit and remove acts, victims, alleged
perpetrators and links, with the rules of removal.py (drafts only) shown to the user."""

import datetime as dt

import pytest

from testimonia.conftest import client_for
from testimonia.incidents.models import (
    Act,
    Incident,
    IncidentLink,
    Involvement,
    Person,
    Place,
    Victimisation,
)
from testimonia.incidents.services import (
    add_act,
    add_involvement,
    add_victim,
    create_incident,
    create_organisation,
    create_person,
    link_incidents,
    save,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace, investigator):
    """A draft incident with one act, its victim and alleged perpetrator, and a link."""
    incident = create_incident(
        investigator, workspace, title="Shelling of the market", start_date=dt.date(2024, 5, 2)
    )
    act = add_act(investigator, incident, "killing", start_date=dt.date(2024, 5, 2))
    person = create_person(investigator, workspace, [("Khalil", "en")], sex="male")
    unit = create_organisation(investigator, workspace, "Artillery Battery 3", "armed_forces")
    other = create_incident(investigator, workspace, title="Second shelling")
    return {
        "incident": incident,
        "act": act,
        "person": person,
        "victim": add_victim(investigator, act, person, "killed"),
        "involvement": add_involvement(investigator, act, organisation=unit, degree="direct"),
        "link": link_incidents(investigator, incident, other, "same_attack"),
        "other": other,
    }


def base(data):
    return f"/w/test-ws/incidents/{data['incident'].pk}"


def follow_page(client, response):
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


# ---------------------------------------------------------------------------------------------
# The incident page offers the actions to editors only


def test_the_incident_page_offers_edit_and_remove_to_editors(personas, draft):
    page = client_for(personas["analyst"]).get(base(draft) + "/").content.decode()
    act = draft["act"]
    assert f'{base(draft)}/acts/{act.pk}/edit/"' in page
    assert f'{base(draft)}/acts/{act.pk}/remove/"' in page
    assert f'{base(draft)}/acts/{act.pk}/victims/{draft["victim"].pk}/remove/"' in page
    involvement = draft["involvement"].pk
    assert f'{base(draft)}/acts/{act.pk}/perpetrators/{involvement}/edit/"' in page
    assert f'{base(draft)}/acts/{act.pk}/perpetrators/{involvement}/remove/"' in page
    assert f'{base(draft)}/links/{draft["link"].pk}/remove/"' in page
    # the victim and the unit link to their own pages
    assert f'href="/w/test-ws/persons/{draft["person"].pk}/"' in page
    reader = client_for(personas["legal_officer"]).get(base(draft) + "/").content.decode()
    assert 'data-action="remove-act"' not in reader
    assert 'data-action="edit-involvement"' not in reader
    assert f'href="/w/test-ws/persons/{draft["person"].pk}/"' in reader


# ---------------------------------------------------------------------------------------------
# Removal: asked first, then done through removal.py


def test_removing_a_victim_asks_first_then_keeps_the_person(analyst, draft):
    client = client_for(analyst)
    url = f"{base(draft)}/acts/{draft['act'].pk}/victims/{draft['victim'].pk}/remove/"
    question = client.get(url)
    assert question.status_code == 200
    assert "Khalil" in question.content.decode()
    assert Victimisation.objects.filter(pk=draft["victim"].pk).exists()  # asking removes nothing
    page = follow_page(client, client.post(url))
    assert not Victimisation.objects.filter(pk=draft["victim"].pk).exists()
    assert Person.objects.filter(pk=draft["person"].pk).exists()
    assert 'class="message success"' in page
    deleted = Victimisation.history.get(id=draft["victim"].pk, history_type="-")
    assert deleted.history_user == analyst


def test_removing_an_alleged_perpetrator(analyst, draft):
    client = client_for(analyst)
    url = f"{base(draft)}/acts/{draft['act'].pk}/perpetrators/{draft['involvement'].pk}/remove/"
    assert "Artillery Battery 3" in client.get(url).content.decode()
    client.post(url)
    assert not Involvement.objects.filter(pk=draft["involvement"].pk).exists()


def test_removing_a_link_from_either_incident(analyst, draft):
    client = client_for(analyst)
    # the link goes out of the market shelling; it can be removed from the other one too
    url = f"/w/test-ws/incidents/{draft['other'].pk}/links/{draft['link'].pk}/remove/"
    assert "Shelling of the market" in client.get(url).content.decode()
    client.post(url)
    assert not IncidentLink.objects.exists()


def test_removing_an_act_takes_its_victims_and_perpetrators(analyst, draft):
    client = client_for(analyst)
    client.post(f"{base(draft)}/acts/{draft['act'].pk}/remove/")
    assert not Act.objects.filter(pk=draft["act"].pk).exists()
    assert not Victimisation.objects.exists()
    assert not Involvement.objects.exists()
    assert Person.objects.filter(pk=draft["person"].pk).exists()


@pytest.mark.parametrize("what", ["act", "victim", "involvement", "link"])
def test_nothing_is_removed_from_a_verified_incident_and_the_reason_is_shown(analyst, draft, what):
    save(None, draft["incident"], status=Incident.Status.VERIFIED)
    act = draft["act"].pk
    url = {
        "act": f"{base(draft)}/acts/{act}/remove/",
        "victim": f"{base(draft)}/acts/{act}/victims/{draft['victim'].pk}/remove/",
        "involvement": f"{base(draft)}/acts/{act}/perpetrators/{draft['involvement'].pk}/remove/",
        "link": f"{base(draft)}/links/{draft['link'].pk}/remove/",
    }[what]
    client = client_for(analyst)
    page = follow_page(client, client.post(url))
    assert 'class="message error"' in page
    assert "back to draft" in page  # removal.py's reason, as it gave it
    assert Act.objects.filter(pk=act).exists()
    assert Victimisation.objects.filter(pk=draft["victim"].pk).exists()
    assert Involvement.objects.filter(pk=draft["involvement"].pk).exists()
    assert IncidentLink.objects.filter(pk=draft["link"].pk).exists()


def test_records_of_another_incident_are_not_found_under_this_one(analyst, draft, workspace):
    elsewhere = create_incident(None, workspace, title="Elsewhere")
    foreign_act = add_act(None, elsewhere, "arrest")
    foreign_victim = add_victim(None, foreign_act, draft["person"])
    client = client_for(analyst)
    act = draft["act"].pk
    assert client.post(f"{base(draft)}/acts/{foreign_act.pk}/remove/").status_code == 404
    url = f"{base(draft)}/acts/{act}/victims/{foreign_victim.pk}/remove/"
    assert client.post(url).status_code == 404
    unrelated = link_incidents(None, elsewhere, draft["other"], "related")
    assert client.post(f"{base(draft)}/links/{unrelated.pk}/remove/").status_code == 404
    assert Act.objects.filter(pk=foreign_act.pk).exists()
    assert Victimisation.objects.filter(pk=foreign_victim.pk).exists()
    assert IncidentLink.objects.filter(pk=unrelated.pk).exists()


def test_only_editors_remove_and_outsiders_see_nothing(personas, draft):
    url = f"{base(draft)}/acts/{draft['act'].pk}/remove/"
    assert client_for(personas["legal_officer"]).post(url).status_code == 403
    assert client_for(personas["reviewer"]).get(url).status_code == 403
    assert client_for(personas["outsider"]).post(url).status_code == 404
    assert Act.objects.filter(pk=draft["act"].pk).exists()


# ---------------------------------------------------------------------------------------------
# Editing an act and an involvement


def act_form(**fields):
    data = {"act_type": "killing", "start_precision": "day"}
    data.update(fields)
    return data


def test_an_act_is_edited(analyst, draft):
    hebron = Place.objects.get(geonames_id=285066)
    client = client_for(analyst)
    url = f"{base(draft)}/acts/{draft['act'].pk}/edit/"
    form = client.get(url).content.decode()
    assert 'value="2024-05-02"' in form
    response = client.post(
        url,
        act_form(
            act_type="torture",
            description="Beaten during the arrest",
            start_date="2024-05-02",
            end_date="2024-05-04",
            method="rifle butts",
            place=str(hebron.pk),
        ),
    )
    assert response.status_code == 302
    act = Act.objects.get(pk=draft["act"].pk)
    assert act.act_type.code == "torture"
    assert (act.end_date, act.method, act.place) == (dt.date(2024, 5, 4), "rifle butts", hebron)
    assert act.history.latest().history_user == analyst
    page = client.get(response["Location"]).content.decode()
    assert "rifle butts" in page


def test_an_act_that_ends_before_it_starts_is_refused(analyst, draft):
    response = client_for(analyst).post(
        f"{base(draft)}/acts/{draft['act'].pk}/edit/",
        act_form(act_type="torture", start_date="2024-05-02", end_date="2024-05-01"),
    )
    assert response.status_code == 200
    assert 'id="form-errors"' in response.content.decode()
    act = Act.objects.get(pk=draft["act"].pk)
    assert (act.act_type.code, act.end_date) == ("killing", None)


def test_an_unknown_place_is_refused(analyst, draft, other_workspace):
    site = Place.objects.create(workspace=other_workspace, kind="site", names={"en": "Camp"})
    response = client_for(analyst).post(
        f"{base(draft)}/acts/{draft['act'].pk}/edit/",
        act_form(method="changed", place=str(site.pk)),
    )
    assert response.status_code == 200
    act = Act.objects.get(pk=draft["act"].pk)
    assert (act.method, act.place) == ("", None)


def test_an_involvement_is_edited(analyst, draft):
    client = client_for(analyst)
    url = f"{base(draft)}/acts/{draft['act'].pk}/perpetrators/{draft['involvement'].pk}/edit/"
    assert "Artillery Battery 3" in client.get(url).content.decode()
    response = client.post(
        url, {"degree": "ordered", "certainty": "confirmed", "role": "fire control"}
    )
    assert response.status_code == 302
    involvement = Involvement.objects.get(pk=draft["involvement"].pk)
    assert (involvement.degree, involvement.certainty, involvement.role) == (
        "ordered",
        "confirmed",
        "fire control",
    )


def test_an_involvement_with_an_unknown_degree_is_refused(analyst, draft):
    response = client_for(analyst).post(
        f"{base(draft)}/acts/{draft['act'].pk}/perpetrators/{draft['involvement'].pk}/edit/",
        {"degree": "mastermind", "certainty": "confirmed"},
    )
    assert response.status_code == 200
    assert Involvement.objects.get(pk=draft["involvement"].pk).degree == "direct"


def test_readers_cannot_edit_acts(personas, draft):
    url = f"{base(draft)}/acts/{draft['act'].pk}/edit/"
    response = client_for(personas["legal_officer"]).post(url, act_form(act_type="torture"))
    assert response.status_code == 403
    assert client_for(personas["outsider"]).get(url).status_code == 404
    assert Act.objects.get(pk=draft["act"].pk).act_type.code == "killing"
