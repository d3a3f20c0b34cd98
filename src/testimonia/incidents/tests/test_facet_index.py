"""The facet index follows every change that alters an incident's facets, and a rebuild
gives the same rows as the changes did."""

import datetime as dt

import pytest

from testimonia.incidents import facet_index
from testimonia.incidents.models import FacetValue, Incident, Place, Term
from testimonia.incidents.removal import delete_act, delete_incident, delete_victimisation
from testimonia.incidents.services import (
    AgeGroup,
    IncidentFilter,
    add_act,
    add_involvement,
    add_victim,
    create_incident,
    create_organisation,
    create_person,
    facet_counts,
    save,
    set_parent,
)

pytestmark = pytest.mark.django_db


def rows(incident):
    return sorted(
        (f, v)
        for f, v in FacetValue.objects.filter(incident=incident).values_list("facet", "value")
    )


def facet(incident, name):
    return sorted(v for f, v in rows(incident) if f == name)


def all_rows():
    return sorted(FacetValue.objects.values_list("workspace_id", "incident_id", "facet", "value"))


@pytest.fixture
def units(workspace, investigator):
    army = create_organisation(investigator, workspace, "Army", "armed_forces")
    brigade = create_organisation(
        investigator, workspace, "7th Brigade", "armed_forces", parent=army
    )
    battalion = create_organisation(
        investigator, workspace, "75th Battalion", "armed_forces", parent=brigade
    )
    return {"army": army, "brigade": brigade, "battalion": battalion}


@pytest.fixture
def strike(workspace, investigator, units):
    """A strike in Khan Yunis: a killing of a girl of 9 by a battalion of the brigade."""
    incident = create_incident(
        investigator,
        workspace,
        title="Strike",
        start_date=dt.date(2024, 3, 14),
        place=Place.objects.get(geonames_id=281124),
    )
    act = add_act(investigator, incident, "indiscriminate_killing")
    girl = create_person(
        investigator, workspace, [("Sara", "en")], sex="female", age_min=9, age_max=9
    )
    add_victim(investigator, act, girl, "killed")
    add_involvement(investigator, act, organisation=units["battalion"], degree="direct")
    return incident


def test_an_incident_is_indexed_with_the_hierarchies_above_its_values(strike, units):
    assert facet(strike, "act_type") == ["indiscriminate_killing", "killing"]
    assert facet(strike, "perpetrator") == sorted(str(u.pk) for u in units.values())
    assert facet(strike, "victim_sex") == ["female"]
    assert facet(strike, "victim_age") == ["child"]
    khan_yunis = Place.objects.get(geonames_id=281124)
    adm2 = Place.objects.get(pcode=khan_yunis.parent_pcode)
    assert facet(strike, "adm2") == [adm2.pcode]
    assert adm2.pcode in facet(strike, "area")
    assert adm2.parent_pcode in facet(strike, "area")


def test_filters_on_a_parent_find_the_incidents_of_what_is_below_it(strike, units, workspace):
    def found(**kw):
        return list(IncidentFilter(**kw).apply(workspace))

    assert found(perpetrator=units["army"].pk) == [strike]
    assert found(act_types=["killing"]) == [strike]
    khan_yunis = Place.objects.get(geonames_id=281124)
    adm1 = Place.objects.get(pcode=khan_yunis.parent_pcode).parent_pcode
    assert found(place=adm1) == [strike]
    assert found(act_types=["arrest"]) == []


def test_the_age_at_the_time_of_the_act_decides_the_age_group(workspace, investigator):
    incident = create_incident(investigator, workspace, title="Detention in 2010")
    act = add_act(investigator, incident, "arrest")
    # An adult today, 16 when detained: a child victim of that act.
    man = create_person(
        investigator, workspace, [("Omar", "en")], sex="male", age_min=30, age_max=30
    )
    add_victim(investigator, act, man, "detained", age_at_time=16)
    assert facet(incident, "victim_age") == ["child"]
    assert list(IncidentFilter(victim_age=AgeGroup.CHILD).apply(workspace)) == [incident]


def test_a_person_whose_sex_or_age_changes_moves_their_incidents(strike, investigator):
    girl = strike.acts.get().victims.get()
    save(investigator, girl, sex="unknown", age_min=None, age_max=None)
    assert facet(strike, "victim_sex") == ["unknown"]
    assert facet(strike, "victim_age") == ["unknown"]


def test_a_unit_moved_in_the_hierarchy_moves_its_incidents(strike, units, investigator, workspace):
    other = create_organisation(investigator, workspace, "Police", "police")
    set_parent(investigator, units["brigade"], other)
    assert str(other.pk) in facet(strike, "perpetrator")
    assert str(units["army"].pk) not in facet(strike, "perpetrator")


def test_a_term_moved_in_the_vocabulary_moves_its_incidents(strike):
    term = Term.objects.get(vocabulary="act_type", code="indiscriminate_killing")
    term.parent = Term.objects.get(vocabulary="act_type", code="arrest")
    term.save()
    assert facet(strike, "act_type") == ["arbitrary_detention", "arrest", "indiscriminate_killing"]


def test_a_new_place_moves_the_incident(strike, investigator):
    hebron = Place.objects.get(geonames_id=285066)
    save(investigator, strike, place=hebron)
    assert facet(strike, "adm2") == [hebron.parent_pcode]


def test_removing_victims_acts_and_incidents_removes_their_rows(strike, investigator, workspace):
    act = strike.acts.get()
    delete_victimisation(investigator, act.victimisations.get())
    assert facet(strike, "victim_sex") == []
    assert facet(strike, "act_type") == ["indiscriminate_killing", "killing"]
    delete_act(investigator, act)
    assert [f for f, _ in rows(strike)] == ["adm2", "area", "area", "status"]
    delete_incident(investigator, strike)
    assert not FacetValue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_an_incident_with_acts_commits(strike, investigator):
    """The cascade must not write rows for the incident it is deleting (they would fail the
    foreign key at commit)."""
    delete_incident(investigator, strike)
    assert not Incident.objects.exists()
    assert not FacetValue.objects.exists()


def test_a_rebuild_gives_the_rows_the_changes_gave(strike, workspace, investigator, units):
    second = create_incident(investigator, workspace, title="Raid")
    act = add_act(investigator, second, "arrest")
    add_involvement(investigator, act, organisation=units["army"])
    before = all_rows()
    assert before
    FacetValue.objects.all().delete()
    assert facet_index.rebuild() == len(before)
    assert all_rows() == before
    facet_index.rebuild(workspace)
    assert all_rows() == before


def test_migrate_rebuilds_an_index_built_by_other_rules(strike):
    from testimonia.incidents.models import FacetIndexState

    before = all_rows()
    FacetValue.objects.all().delete()
    facet_index.ensure_index()
    assert all_rows() == []  # built by these rules: left to the signals
    FacetIndexState.objects.update(version=facet_index.INDEX_VERSION - 1)
    facet_index.ensure_index()
    assert all_rows() == before
    assert FacetIndexState.objects.get().version == facet_index.INDEX_VERSION


def test_counts_of_a_filtered_list_count_only_its_incidents(strike, workspace, investigator):
    raid = create_incident(investigator, workspace, title="Raid", status="verified")
    add_act(investigator, raid, "arrest")
    everything = facet_counts(workspace)
    assert dict(everything["act_type"])["arrest"] == 1
    assert dict(everything["status"]) == {"draft": 1, "verified": 1}
    verified = IncidentFilter(status=["verified"]).apply(workspace)
    counts = facet_counts(workspace, verified)
    assert dict(counts["act_type"]) == {"arrest": 1, "arbitrary_detention": 1}
    assert dict(counts["status"]) == {"verified": 1}
    assert counts["victim_sex"] == []


def test_other_workspaces_rows_are_never_counted(strike, other_workspace):
    assert facet_counts(other_workspace)["act_type"] == []
    assert list(IncidentFilter(act_types=["killing"]).apply(other_workspace)) == []


def _both_ways(workspace, ids=None):
    facets = facet_index.COUNTED
    return (
        facet_index.counts(workspace.pk, facets, ids, by_masks=True),
        facet_index.counts(workspace.pk, facets, ids, by_masks=False),
    )


def test_the_masks_count_what_the_rows_count(strike, workspace, investigator, units):
    raid = create_incident(
        investigator, workspace, title="Raid", place=Place.objects.get(geonames_id=285066)
    )
    act = add_act(investigator, raid, "arrest")
    man = create_person(investigator, workspace, [("Omar", "en")], sex="male")
    add_victim(investigator, act, man, "detained")
    add_act(investigator, strike, "arrest")
    by_masks, by_rows = _both_ways(workspace)
    assert by_masks == by_rows
    assert dict(by_masks["act_type"])["arrest"] == 2
    males = IncidentFilter(victim_sex="male").apply(workspace).values("pk")
    by_masks, by_rows = _both_ways(workspace, males)
    assert by_masks == by_rows
    assert dict(by_masks["act_type"]) == {"arrest": 1, "arbitrary_detention": 1}


def test_a_removed_value_leaves_the_masks(strike, workspace, investigator):
    delete_act(investigator, strike.acts.get())
    by_masks, by_rows = _both_ways(workspace)
    assert by_masks == by_rows
    assert by_masks["act_type"] == []


def test_the_highest_bits_of_a_word_count_too(strike, workspace):
    """Bit 63 makes the stored word negative; it must still count as one."""
    from testimonia.incidents import facet_masks
    from testimonia.incidents.models import FacetBit

    FacetBit.objects.filter(workspace=workspace).delete()
    for bit in range(62):
        FacetBit.objects.create(workspace=workspace, facet="filler", value=str(bit), bit=bit)
    facet_index.rebuild(workspace)
    assert max(facet_masks.bits_of(workspace.pk).values()) >= 63
    by_masks, by_rows = _both_ways(workspace)
    assert by_masks == by_rows
    assert dict(by_masks["victim_sex"]) == {"female": 1}


def test_a_workspace_past_the_capacity_is_counted_from_the_rows(strike, workspace):
    from testimonia.incidents import facet_masks
    from testimonia.incidents.models import FacetBit

    FacetBit.objects.filter(workspace=workspace).delete()
    FacetBit.objects.bulk_create(
        FacetBit(workspace=workspace, facet="filler", value=str(bit), bit=bit)
        for bit in range(facet_masks.CAPACITY)
    )
    facet_index.rebuild(workspace)
    assert facet_masks.counts(workspace.pk, facet_index.COUNTED, None) is None
    by_masks, by_rows = _both_ways(workspace)
    assert by_masks == by_rows
    assert dict(by_masks["act_type"]) == {"indiscriminate_killing": 1, "killing": 1}


def test_a_bit_taken_by_a_concurrent_writer_is_not_shared(workspace, monkeypatch):
    """The writer that loses the race for a bit takes the next one."""
    from testimonia.incidents import facet_masks
    from testimonia.incidents.models import FacetBit

    real = facet_masks.bits_of
    calls = []

    def stale_then_real(workspace_id):
        calls.append(1)
        if len(calls) == 1:  # read before the other writer committed
            FacetBit.objects.create(workspace=workspace, facet="act_type", value="other", bit=0)
            return {}
        return real(workspace_id)

    monkeypatch.setattr(facet_masks, "bits_of", stale_then_real)
    bits = facet_masks._assign(workspace.pk, {("act_type", "killing")})
    assert bits == {("act_type", "other"): 0, ("act_type", "killing"): 1}


def test_the_masks_count_the_incidents_and_their_statuses(strike, workspace, investigator):
    from testimonia.incidents import facet_masks

    create_incident(investigator, workspace, title="Nothing known yet")  # no act, no place
    save(investigator, strike, status="verified")
    found, total = facet_masks.counts(workspace.pk, facet_index.COUNTED, None)
    assert total == 2
    assert dict(found["status"]) == {"draft": 1, "verified": 1}
    verified = IncidentFilter(status=["verified"]).apply(workspace).values("pk")
    found, total = facet_masks.counts(workspace.pk, facet_index.COUNTED, verified)
    assert total == 1
    assert dict(found["status"]) == {"verified": 1}
