"""Recording who did what to whom, citations, facets and bulk edits."""

import datetime as dt

import pytest

from testimonia.evidence.services import add_item
from testimonia.incidents.models import Incident, Place
from testimonia.incidents.services import (
    AgeGroup,
    DocumentationError,
    IncidentFilter,
    add_act,
    add_involvement,
    add_victim,
    bulk_update,
    cite,
    create_incident,
    create_organisation,
    create_person,
    facet_counts,
    link_incidents,
    set_parent,
    unsupported_facts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(workspace, investigator):
    """Two incidents: a strike on a school in Khan Yunis with a child killed by a unit of a
    brigade, and a detention in Hebron of an adult man."""
    khan_yunis = Place.objects.get(geonames_id=281124)
    hebron = Place.objects.get(geonames_id=285066)
    brigade = create_organisation(investigator, workspace, "7th Brigade", "armed_forces")
    battalion = create_organisation(
        investigator, workspace, "75th Battalion", "armed_forces", parent=brigade
    )
    strike = create_incident(
        investigator,
        workspace,
        title="Strike on the school",
        start_date=dt.date(2024, 3, 14),
        place=khan_yunis,
        tags=["schools"],
    )
    killing = add_act(investigator, strike, "indiscriminate_killing")
    child = create_person(
        investigator,
        workspace,
        [("سارة", "ar"), ("Sara", "en")],
        sex="female",
        age_min=9,
        age_max=9,
    )
    add_victim(investigator, killing, child, "killed", age_at_time=9)
    add_involvement(
        investigator, killing, organisation=battalion, degree="direct", certainty="likely"
    )
    detention = create_incident(
        investigator,
        workspace,
        title="Night raid and arrest",
        start_date=dt.date(2024, 6, 1),
        end_date=dt.date(2024, 6, 30),
        place=hebron,
    )
    arrest = add_act(investigator, detention, "arrest")
    man = create_person(investigator, workspace, [("Yusuf", "en")], sex="male", age_min=34)
    add_victim(investigator, arrest, man, "detained")
    return {"strike": strike, "detention": detention, "brigade": brigade, "child": child}


def ids(f, workspace):
    return sorted(i.title for i in f.apply(workspace))


def test_each_facet_selects_the_right_incidents(record, workspace):
    assert ids(IncidentFilter(act_types=["killing"]), workspace) == ["Strike on the school"]
    assert ids(IncidentFilter(act_types=["arbitrary_detention"]), workspace) == [
        "Night raid and arrest"
    ]
    # a unit's acts count for the brigade above it
    assert ids(IncidentFilter(perpetrator=record["brigade"].pk), workspace) == [
        "Strike on the school"
    ]
    assert ids(IncidentFilter(victim_age=AgeGroup.CHILD), workspace) == ["Strike on the school"]
    assert ids(IncidentFilter(victim_age=AgeGroup.ADULT), workspace) == ["Night raid and arrest"]
    assert ids(IncidentFilter(victim_sex="male"), workspace) == ["Night raid and arrest"]
    # Khan Yunis governorate (PS0270) holds the locality of the strike
    assert ids(IncidentFilter(place="PS0270"), workspace) == ["Strike on the school"]
    assert ids(IncidentFilter(place="PS02"), workspace) == ["Strike on the school"]
    assert ids(IncidentFilter(tags=["schools"]), workspace) == ["Strike on the school"]
    # the detention lasted through June: a period inside it finds it
    assert ids(
        IncidentFilter(date_from=dt.date(2024, 6, 10), date_to=dt.date(2024, 6, 12)), workspace
    ) == ["Night raid and arrest"]
    assert ids(IncidentFilter(date_to=dt.date(2024, 1, 1)), workspace) == []


def test_facet_counts(record, workspace):
    counts = facet_counts(workspace)
    # A type counts for the types above it too, as the filter on them includes it.
    assert dict(counts["act_type"]) == {
        "indiscriminate_killing": 1,
        "killing": 1,
        "arrest": 1,
        "arbitrary_detention": 1,
    }
    assert dict(counts["status"]) == {"draft": 2}
    assert dict(counts["victim_sex"]) == {"female": 1, "male": 1}


def test_facts_without_citations_are_unsupported(record, investigator, workspace):
    strike = record["strike"]
    assert unsupported_facts(strike, ["start_date", "place"]) == ["start_date", "place"]
    video = add_item(investigator, workspace, [b"video"], filename="v.mp4").item
    cite(investigator, strike, item=video, field="start_date", note="timestamp 00:12")
    assert unsupported_facts(strike, ["start_date", "place"]) == ["place"]
    cite(investigator, strike, item=video)
    assert unsupported_facts(strike, ["start_date", "place"]) == []


def test_links_and_citations_stay_inside_the_workspace(record, investigator, other_workspace):
    theirs = create_incident(None, other_workspace, title="Theirs")
    with pytest.raises(DocumentationError, match="another workspace"):
        link_incidents(investigator, record["strike"], theirs, "related")
    their_item = add_item(None, other_workspace, [b"x"], filename="x").item
    with pytest.raises(DocumentationError, match="not in this workspace"):
        cite(investigator, record["strike"], item=their_item)
    with pytest.raises(DocumentationError, match="itself"):
        link_incidents(investigator, record["strike"], record["strike"], "related")


def test_a_unit_cannot_be_placed_under_itself(record, investigator):
    battalion = record["brigade"].units.get()
    with pytest.raises(DocumentationError, match="already above it"):
        set_parent(investigator, record["brigade"], battalion)


def test_validation_errors_name_the_field(workspace, investigator):
    with pytest.raises(DocumentationError, match="status"):
        create_incident(investigator, workspace, title="x", status="final")


def test_bulk_update_sets_status_and_tags_with_history(record, workspace, analyst):
    changed = bulk_update(
        analyst,
        workspace,
        [record["strike"].pk, record["detention"].pk],
        status="verified",
        add_tags=["2024"],
        remove_tags=["schools"],
    )
    assert changed == 2
    strike = Incident.objects.get(pk=record["strike"].pk)
    assert strike.status == "verified"
    assert sorted(strike.tags.values_list("name", flat=True)) == ["2024"]
    assert strike.history.first().history_user == analyst
