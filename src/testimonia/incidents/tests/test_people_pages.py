"""The pages of persons and organisations: list, record, forms, history, and who may see them."""

import datetime as dt

import pytest

from testimonia.conftest import client_for
from testimonia.incidents.models import Organisation, Person, PersonName, Source
from testimonia.incidents.services import (
    add_act,
    add_involvement,
    add_victim,
    cite,
    create_incident,
    create_organisation,
    create_person,
    set_parent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(workspace, investigator):
    brigade = create_organisation(investigator, workspace, "7th Brigade", "armed_forces")
    battalion = create_organisation(
        investigator, workspace, "71st Battalion", "armed_forces", parent=brigade
    )
    company = create_organisation(
        investigator, workspace, "Company B", "armed_forces", parent=battalion
    )
    return {"brigade": brigade, "battalion": battalion, "company": company}


@pytest.fixture
def documented(workspace, investigator, units):
    """A girl killed in a strike (names in Arabic and English, her sex cited, her age not)
    and a commander alleged to have ordered it, with his battalion."""
    incident = create_incident(
        investigator, workspace, title="Strike on the school", start_date=dt.date(2024, 3, 14)
    )
    act = add_act(investigator, incident, "indiscriminate_killing")
    girl = create_person(
        investigator,
        workspace,
        [("سارة أحمد", "ar"), ("Sara Ahmad", "en")],
        sex="female",
        age_min=9,
        age_max=9,
        status="civilian",
    )
    add_victim(investigator, act, girl, "killed")
    commander = create_person(
        investigator,
        workspace,
        [("Yoav Commander", "en")],
        sex="male",
        age_min=40,
        age_max=40,
        status="combatant",
        affiliation=units["battalion"],
    )
    add_involvement(
        investigator, act, person=commander, degree="ordered", certainty="likely", role="commander"
    )
    add_involvement(investigator, act, organisation=units["battalion"], degree="direct")
    report = Source.objects.create(workspace=workspace, title="Hospital register", kind="official")
    cite(investigator, girl, source=report, field="sex", note="line 12")
    return {"incident": incident, "act": act, "girl": girl, "commander": commander}


def person_rows(page):
    return page.count('data-person="')


# ---------------------------------------------------------------------------------------------
# The person's record


def test_the_person_page_shows_names_attributes_acts_and_support(analyst, documented):
    girl = documented["girl"]
    page = client_for(analyst).get(f"/w/test-ws/persons/{girl.pk}/").content.decode()
    assert 'lang="ar" class="name">سارة أحمد</bdi>' in page
    assert 'lang="en" class="name">Sara Ahmad</bdi>' in page
    assert 'id="child-flag"' in page
    # the killing, with a link to its incident
    assert f'href="/w/test-ws/incidents/{documented["incident"].pk}/#act-' in page
    assert "Strike on the school" in page
    # her sex is cited (and the note shown with it); her age, status and names are not
    assert "Hospital register" in page
    assert "line 12" in page
    assert 'data-unsupported="sex"' not in page
    assert 'data-unsupported="age_min"' in page
    assert 'data-unsupported="status"' in page
    assert 'id="unsupported"' in page
    assert f'href="/w/test-ws/persons/{girl.pk}/history/"' in page


def test_the_person_page_lists_acts_as_alleged_perpetrator_and_the_unit(analyst, documented):
    commander = documented["commander"]
    page = client_for(analyst).get(f"/w/test-ws/persons/{commander.pk}/").content.decode()
    assert "commander" in page
    assert "71st Battalion" in page
    assert f'data-act="{documented["act"].pk}"' in page
    assert 'id="child-flag"' not in page


def test_whole_record_support_clears_every_unsupported_mark(analyst, documented, workspace):
    girl = documented["girl"]
    source = Source.objects.create(workspace=workspace, title="Family statement", kind="victim")
    cite(None, girl, source=source)
    page = client_for(analyst).get(f"/w/test-ws/persons/{girl.pk}/").content.decode()
    assert "data-unsupported=" not in page
    assert 'id="unsupported"' not in page
    assert "Family statement" in page


def test_an_attribute_is_cited_from_the_page(investigator, documented, workspace):
    girl = documented["girl"]
    source = Source.objects.create(workspace=workspace, title="Birth record", kind="official")
    client = client_for(investigator)
    client.post(
        f"/w/test-ws/persons/{girl.pk}/citations/",
        {"source": str(source.pk), "field": "age_min", "note": "p. 2"},
    )
    page = client.get(f"/w/test-ws/persons/{girl.pk}/").content.decode()
    assert 'data-unsupported="age_min"' not in page
    assert "Birth record" in page


# ---------------------------------------------------------------------------------------------
# The persons list


def test_the_list_finds_persons_by_a_spelling_variant_of_a_name(analyst, documented):
    client = client_for(analyst)
    page = client.get("/w/test-ws/persons/").content.decode()
    assert person_rows(page) == 2
    # taa marbuta typed as haa, alef with hamza typed bare
    page = client.get("/w/test-ws/persons/", {"q": "ساره احمد"}).content.decode()
    assert person_rows(page) == 1
    assert f'data-person="{documented["girl"].pk}"' in page


def test_the_list_filters_by_sex_age_group_and_status(analyst, documented, workspace):
    create_person(None, workspace, [("Unknown man", "en")], sex="male")
    client = client_for(analyst)

    def shown(**params):
        page = client.get("/w/test-ws/persons/", params).content.decode()
        return person_rows(page)

    assert shown(sex="female") == 1
    assert shown(sex="male") == 2
    assert shown(age="child") == 1
    assert shown(age="adult") == 1
    assert shown(age="unknown") == 1
    assert shown(status="combatant") == 1
    assert shown(sex="male", age="adult") == 1
    # a value that is no choice is ignored, not an error
    assert shown(sex="robot") == 3


def test_the_list_is_paginated(analyst, workspace):
    Person.objects.bulk_create([Person(workspace=workspace) for _ in range(55)])
    client = client_for(analyst)
    first = client.get("/w/test-ws/persons/").content.decode()
    assert person_rows(first) == 50
    assert 'rel="next"' in first
    second = client.get("/w/test-ws/persons/", {"page": "2"}).content.decode()
    assert person_rows(second) == 5


def test_a_query_without_words_explains_itself(analyst, documented):
    page = client_for(analyst).get("/w/test-ws/persons/", {"q": "?!"}).content.decode()
    assert person_rows(page) == 0
    assert 'id="search-problem"' in page


# ---------------------------------------------------------------------------------------------
# Confidential persons: never found by a name search (the search index never holds them);
# shown, marked, to members who may view records, as the API does; never to anyone else.


@pytest.fixture
def witness(workspace):
    return create_person(
        None, workspace, [("Witness Nadia", "en")], sex="female", sensitivity="confidential"
    )


@pytest.mark.parametrize("role", ["analyst", "protection_officer", "investigator"])
def test_a_name_search_never_finds_a_confidential_person(personas, witness, role):
    page = client_for(personas[role]).get("/w/test-ws/persons/", {"q": "nadia"}).content.decode()
    assert person_rows(page) == 0
    assert "Witness Nadia" not in page
    assert 'id="confidential-note"' in page


def test_a_confidential_person_is_marked_where_shown(analyst, witness):
    client = client_for(analyst)
    page = client.get(f"/w/test-ws/persons/{witness.pk}/").content.decode()
    assert 'id="confidential"' in page
    listed = client.get("/w/test-ws/persons/").content.decode()
    assert 'class="badge confidential"' in listed


def test_those_without_access_to_records_see_no_name(personas, witness, documented):
    for url in (
        "/w/test-ws/persons/",
        f"/w/test-ws/persons/{witness.pk}/",
        f"/w/test-ws/persons/{witness.pk}/history/",
    ):
        reviewer = client_for(personas["reviewer"]).get(url)
        assert reviewer.status_code == 403
        assert b"Nadia" not in reviewer.content
        outsider = client_for(personas["outsider"]).get(url)
        assert outsider.status_code == 404
        assert b"Nadia" not in outsider.content


def test_a_person_of_another_workspace_is_not_found(analyst, other_workspace):
    stranger = create_person(None, other_workspace, [("Stranger", "en")])
    assert client_for(analyst).get(f"/w/test-ws/persons/{stranger.pk}/").status_code == 404
    response = client_for(analyst).get(f"/w/test-ws/persons/{stranger.pk}/edit/")
    assert response.status_code == 404


def test_readers_may_view_but_not_edit(personas, documented):
    girl = documented["girl"]
    reader = client_for(personas["legal_officer"])
    assert reader.get(f"/w/test-ws/persons/{girl.pk}/").status_code == 200
    assert reader.get(f"/w/test-ws/persons/{girl.pk}/edit/").status_code == 403
    response = reader.post(f"/w/test-ws/persons/{girl.pk}/edit/", {"sex": "male"})
    assert response.status_code == 403
    girl.refresh_from_db()
    assert girl.sex == "female"
    page = reader.get(f"/w/test-ws/persons/{girl.pk}/").content.decode()
    assert f'href="/w/test-ws/persons/{girl.pk}/edit/"' not in page


# ---------------------------------------------------------------------------------------------
# The person forms


def person_form(**fields):
    data = {
        "kind": "individual",
        "sex": "unknown",
        "date_of_birth_precision": "day",
        "status": "unknown",
        "sensitivity": "restricted",
        "names-TOTAL_FORMS": "0",
        "names-INITIAL_FORMS": "0",
        "names-MIN_NUM_FORMS": "0",
        "names-MAX_NUM_FORMS": "50",
    }
    data.update(fields)
    return data


def names_data(rows, initial=0):
    data = {"names-TOTAL_FORMS": str(len(rows)), "names-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"names-{index}-{key}"] = value
    return data


def test_a_new_person_is_recorded_with_names_in_two_scripts(investigator, workspace):
    response = client_for(investigator).post(
        "/w/test-ws/persons/new/",
        person_form(
            sex="male",
            age_min="15",
            status="civilian",
            **names_data(
                [
                    {"text": "محمد علي", "language": "ar"},
                    {"text": "Mohammed Ali", "language": "en", "kind": "transliteration"},
                    {"text": "", "language": "ar"},  # an empty row is ignored
                ]
            ),
        ),
    )
    assert response.status_code == 302
    person = Person.objects.get(workspace=workspace)
    assert response["Location"] == f"/w/test-ws/persons/{person.pk}/"
    assert [(n.text, n.language, n.primary) for n in person.names.all()] == [
        ("محمد علي", "ar", True),
        ("Mohammed Ali", "en", False),
    ]
    # "to" left empty: the age is exact
    assert (person.age_min, person.age_max) == (15, 15)
    assert person.is_child is True
    assert person.history.get().history_user == investigator


def test_names_are_added_changed_and_removed(investigator, documented):
    girl = documented["girl"]
    arabic, english = girl.names.all()
    response = client_for(investigator).post(
        f"/w/test-ws/persons/{girl.pk}/edit/",
        person_form(
            sex="female",
            age_min="9",
            age_max="9",
            status="civilian",
            **names_data(
                [
                    {"id": str(arabic.pk), "text": "سارة أحمد", "language": "ar"},
                    {
                        "id": str(english.pk),
                        "text": "Sara Ahmad",
                        "language": "en",
                        "DELETE": "on",
                    },
                    {"text": "Sarah Ahmed", "language": "en", "primary": "on"},
                ],
                initial=2,
            ),
        ),
    )
    assert response.status_code == 302
    names = [(n.text, n.primary) for n in girl.names.order_by("pk")]
    assert names == [("سارة أحمد", False), ("Sarah Ahmed", True)]
    removed = PersonName.history.get(id=english.pk, history_type="-")
    assert removed.history_user == investigator


def test_an_age_range_that_ends_before_it_starts_is_refused(investigator, documented):
    girl = documented["girl"]
    response = client_for(investigator).post(
        f"/w/test-ws/persons/{girl.pk}/edit/",
        person_form(sex="male", age_min="30", age_max="20", status="combatant"),
    )
    assert response.status_code == 200
    assert 'id="form-errors"' in response.content.decode()
    girl.refresh_from_db()
    assert (girl.sex, girl.age_min, girl.age_max, girl.status) == ("female", 9, 9, "civilian")


def test_two_primary_names_are_refused(investigator, documented):
    girl = documented["girl"]
    arabic, english = girl.names.all()
    response = client_for(investigator).post(
        f"/w/test-ws/persons/{girl.pk}/edit/",
        person_form(
            sex="female",
            age_min="9",
            age_max="9",
            **names_data(
                [
                    {"id": str(arabic.pk), "text": "سارة", "language": "ar", "primary": "on"},
                    {"id": str(english.pk), "text": "Sara", "language": "en", "primary": "on"},
                ],
                initial=2,
            ),
        ),
    )
    assert response.status_code == 200
    assert 'id="name-errors"' in response.content.decode()
    assert sorted(girl.names.values_list("text", flat=True)) == ["Sara Ahmad", "سارة أحمد"]


def test_a_name_of_another_person_cannot_be_edited_through_this_one(investigator, documented):
    girl, commander = documented["girl"], documented["commander"]
    his_name = commander.names.get()
    response = client_for(investigator).post(
        f"/w/test-ws/persons/{girl.pk}/edit/",
        person_form(
            sex="female",
            **names_data([{"id": str(his_name.pk), "text": "Changed", "language": "en"}], 1),
        ),
    )
    assert response.status_code == 200
    his_name.refresh_from_db()
    assert his_name.text == "Yoav Commander"
    girl.refresh_from_db()
    assert girl.age_min == 9


def test_the_history_shows_who_changed_what(investigator, analyst, documented):
    girl = documented["girl"]
    client_for(investigator).post(
        f"/w/test-ws/persons/{girl.pk}/edit/",
        person_form(
            sex="female",
            age_min="10",
            age_max="11",
            status="civilian",
            **names_data(
                [
                    {"id": str(n.pk), "text": n.text, "language": n.language}
                    for n in girl.names.all()
                ]
                + [{"text": "Um Sara", "language": "en", "kind": "alias"}],
                initial=2,
            ),
        ),
    )
    page = client_for(analyst).get(f"/w/test-ws/persons/{girl.pk}/history/").content.decode()
    assert "Um Sara" in page
    assert "age (to)" in page
    assert "<bdi>11</bdi>" in page
    assert "investigator" in page


# ---------------------------------------------------------------------------------------------
# Organisations


def test_the_unit_page_shows_its_place_in_the_hierarchy_and_its_acts(analyst, documented, units):
    battalion = units["battalion"]
    page = client_for(analyst).get(f"/w/test-ws/organisations/{battalion.pk}/").content.decode()
    chain = page[page.index('id="chain-of-command"') : page.index('id="units"')]
    assert f'data-organisation="{units["brigade"].pk}"' in chain
    below = page[page.index('id="units-below"') : page.index('id="involvements"')]
    assert f'data-organisation="{units["company"].pk}"' in below
    assert f'data-act="{documented["act"].pk}"' in page
    assert "Yoav Commander" in page  # a member of the battalion
    top = client_for(analyst).get(f"/w/test-ws/organisations/{units['brigade'].pk}/")
    below_top = top.content.decode().split('id="units-below"')[1]
    assert 'data-depth="2"' in below_top  # the company, two levels down


def test_a_unit_is_renamed_and_moved(investigator, units):
    company = units["company"]
    response = client_for(investigator).post(
        f"/w/test-ws/organisations/{company.pk}/edit/",
        {
            "name": "Company C",
            "other_names": "Charlie\n\n Coy C ",
            "kind": "armed_forces",
            "parent": str(units["brigade"].pk),
        },
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.parent) == ("Company C", units["brigade"])
    assert company.other_names == ["Charlie", "Coy C"]
    assert company.history.latest().history_user == investigator


def test_a_unit_cannot_be_placed_under_a_unit_below_it(investigator, units):
    brigade = units["brigade"]
    response = client_for(investigator).post(
        f"/w/test-ws/organisations/{brigade.pk}/edit/",
        {"name": "Renamed", "kind": "police", "parent": str(units["company"].pk)},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="parent-errors"' in page
    assert "7th Brigade" in page  # the error names the units
    brigade.refresh_from_db()
    assert (brigade.name, brigade.kind, brigade.parent) == ("7th Brigade", "armed_forces", None)


def test_a_unit_cannot_be_its_own_parent(investigator, units):
    brigade = units["brigade"]
    response = client_for(investigator).post(
        f"/w/test-ws/organisations/{brigade.pk}/edit/",
        {"name": "7th Brigade", "kind": "armed_forces", "parent": str(brigade.pk)},
    )
    assert response.status_code == 200
    brigade.refresh_from_db()
    assert brigade.parent is None


def test_units_of_another_workspace_are_not_found(personas, other_workspace, units):
    foreign = create_organisation(None, other_workspace, "Elsewhere", "police")
    analyst = client_for(personas["analyst"])
    assert analyst.get(f"/w/test-ws/organisations/{foreign.pk}/").status_code == 404
    response = analyst.post(
        f"/w/test-ws/organisations/{units['brigade'].pk}/edit/",
        {"name": "7th Brigade", "kind": "armed_forces", "parent": str(foreign.pk)},
    )
    assert response.status_code == 200
    assert Organisation.objects.get(pk=units["brigade"].pk).parent is None
    outsider = client_for(personas["outsider"])
    assert outsider.get(f"/w/test-ws/organisations/{units['brigade'].pk}/").status_code == 404
    assert (
        client_for(personas["reviewer"])
        .get(f"/w/test-ws/organisations/{units['brigade'].pk}/")
        .status_code
        == 403
    )


def test_the_navigation_links_persons_and_units(analyst, units):
    client = client_for(analyst)
    listing = client.get("/w/test-ws/incidents/").content.decode()
    assert 'href="/w/test-ws/persons/"' in listing
    organisations = client.get("/w/test-ws/organisations/").content.decode()
    assert 'href="/w/test-ws/persons/"' in organisations
    assert f'href="/w/test-ws/organisations/{units["brigade"].pk}/"' in organisations


def test_set_parent_refusal_is_the_message_shown(investigator, units):
    """The page shows the service's own reason (not a generic one)."""
    from testimonia.incidents.services import DocumentationError

    with pytest.raises(DocumentationError) as refused:
        set_parent(None, units["brigade"], units["company"])
    response = client_for(investigator).post(
        f"/w/test-ws/organisations/{units['brigade'].pk}/edit/",
        {"name": "7th Brigade", "kind": "armed_forces", "parent": str(units["company"].pk)},
    )
    from django.utils.html import escape

    assert escape(str(refused.value)) in response.content.decode()
