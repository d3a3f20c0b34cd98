"""Pattern indicators over a chosen set of incidents, with the query that produced them."""

from __future__ import annotations

import datetime as dt

import pytest

from testimonia.incidents import services as records
from testimonia.incidents.models import Place
from testimonia.legal.indicators import (
    ActFact,
    IncidentFacts,
    PerpetratorFact,
    Selection,
    SelectionError,
    VictimFact,
    compute,
    distance_km,
    indicators_for,
)

BRIGADE = PerpetratorFact("unit:1", "3rd Brigade")
MILITIA = PerpetratorFact("unit:2", "Militia")
SELECTION = Selection("crafted", {"incident_ids": [1, 2, 3, 4]}, (1, 2, 3, 4))


def crafted():
    return [
        IncidentFacts(
            1,
            start=dt.date(2024, 1, 10),
            place="place:7",
            area="PS0101",
            latitude=31.30,
            longitude=34.25,
            acts=(
                ActFact(
                    "killing",
                    (BRIGADE,),
                    (VictimFact(1, "civilian", child=True), VictimFact(2, "combatant")),
                ),
            ),
        ),
        IncidentFacts(
            2,
            start=dt.date(2024, 1, 20),
            end=dt.date(2024, 2, 2),
            place="place:7",
            area="PS0101",
            latitude=31.50,
            longitude=34.45,
            acts=(
                ActFact("killing", (BRIGADE,), (VictimFact(1, "civilian", child=True),)),
                ActFact("destruction_of_property", (MILITIA,), ()),
            ),
        ),
        IncidentFacts(
            3,
            start=dt.date(2024, 3, 5),
            place="name:beit lahia",
            area="PS0102",
            acts=(
                ActFact(
                    "massacre",
                    (MILITIA,),
                    (VictimFact(3, "unknown", count=10),),
                    broader=("killing",),
                ),
            ),
        ),
        IncidentFacts(4),  # undated, unlocated, no acts
    ]


def test_counts_time_and_place():
    result = compute(SELECTION, crafted())
    assert result.incidents == 4
    assert result.first_date == dt.date(2024, 1, 10)
    assert result.last_date == dt.date(2024, 3, 5)
    assert result.span_days == 56  # 10 January to 5 March 2024, both days included
    assert result.undated == 1
    assert result.by_month == (("2024-01", 2), ("2024-03", 1))
    assert result.places == 2
    assert result.areas == 2
    assert result.located == 2
    assert result.bounding_box == {"south": 31.30, "west": 34.25, "north": 31.50, "east": 34.45}
    assert result.extent_km == round(distance_km(31.30, 34.25, 31.50, 34.45), 3)
    assert 28 < result.extent_km < 30


def test_victims_are_counted_once_groups_by_their_size():
    result = compute(SELECTION, crafted())
    assert result.victim_records == 3  # person 1 is a victim in two incidents
    assert result.victims == 12  # 1 + 1 + a group of 10
    assert result.civilians == 1
    assert result.status_unknown == 10
    assert result.civilian_share == round(1 / 12, 4)
    assert result.civilian_share_of_known == 0.5
    assert result.children == 1


def test_recurrence_is_the_same_act_type_by_the_same_perpetrator_in_several_incidents():
    result = compute(SELECTION, crafted())
    assert [r.as_dict() for r in result.recurrences] == [
        {
            "act_type": "killing",
            "perpetrator": "unit:1",
            "label": "3rd Brigade",
            "incidents": 2,
            "incident_ids": [1, 2],
        }
    ]
    assert result.act_types == (("killing", 3), ("destruction_of_property", 1), ("massacre", 1))


def test_no_incidents_give_empty_indicators_not_errors():
    result = compute(Selection("none", {"incident_ids": []}, ()), [])
    assert result.incidents == 0
    assert result.span_days is None
    assert result.bounding_box is None
    assert result.civilian_share is None
    assert result.as_dict()["query"] == {
        "description": "none",
        "parameters": {"incident_ids": []},
        "incident_ids": [],
    }


@pytest.mark.django_db
def test_indicators_from_the_database_carry_their_query(
    facts, workspace, investigator, outsider, other_workspace
):
    khan_yunis = Place.objects.get(geonames_id=281124)
    second = records.create_incident(
        investigator,
        workspace,
        title="Second strike",
        start_date=dt.date(2024, 3, 20),
        place=khan_yunis,
    )
    act = records.add_act(investigator, second, "massacre")
    records.add_involvement(investigator, act, organisation=facts["unit"])
    records.add_victim(investigator, act, facts["victim"])
    records.create_incident(
        investigator, workspace, title="Unrelated", start_date=dt.date(2023, 1, 1)
    )

    by_ids = indicators_for(workspace, {"incident_ids": [second.pk, facts["incident"].pk]})
    assert by_ids.query.incident_ids == tuple(sorted([facts["incident"].pk, second.pk]))
    assert by_ids.query.description.startswith("the incidents with ids ")
    assert by_ids.incidents == 2
    assert by_ids.span_days == 7
    assert by_ids.victim_records == 1
    assert by_ids.located == 1
    assert by_ids.bounding_box["north"] == pytest.approx(khan_yunis.latitude)
    # A massacre is a killing: the brigade's killings recur in both incidents.
    assert [(r.act_type, r.label) for r in by_ids.recurrences] == [("killing", "3rd Brigade")]
    assert dict(by_ids.act_types) == {"killing": 2, "massacre": 1}

    by_filter = indicators_for(workspace, {"filter": {"act_types": ["killing"]}})
    assert by_filter.query.parameters == {"filter": {"act_types": ["killing"]}}
    assert by_filter.query.description == "the incidents with an act of type killing"
    assert set(by_filter.query.incident_ids) == {facts["incident"].pk, second.pk}
    assert [r.label for r in by_filter.recurrences] == ["3rd Brigade"]

    foreign = records.create_incident(outsider, other_workspace, title="elsewhere")
    with pytest.raises(SelectionError, match=f"no incident {foreign.pk}"):
        indicators_for(workspace, {"incident_ids": [foreign.pk]})
    with pytest.raises(SelectionError, match="unknown type of act"):
        indicators_for(workspace, {"filter": {"act_types": ["kiling"]}})
