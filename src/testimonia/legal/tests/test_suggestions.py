"""Suggestions propose candidate crimes with their reasons and never decide."""

from __future__ import annotations

import json

import pytest

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.incidents import services as records
from testimonia.legal import services
from testimonia.legal.models import Qualification
from testimonia.legal.suggestions import (
    Conflict,
    Context,
    SuggestionRulesError,
    candidates,
    load_rules,
    rule_book,
    suggest,
)

KILLING_OF_CIVILIANS = ["RS-7-1-a", "RS-8-2-a-i", "RS-8-2-c-i-1", "RS-6-a"]


def crimes(context):
    return [c.crime for c in candidates(context)]


# ---------------------------------------------------------------------------------------------
# The rules (pure)


def test_the_killing_of_a_civilian_proposes_murder_wilful_killing_and_genocide():
    found = candidates(Context("killing", victim_statuses=frozenset({"civilian"})))
    assert [c.crime for c in found] == KILLING_OF_CIVILIANS
    genocide = found[-1]
    assert genocide.rules == ("killing-civilian",)
    assert any("intent to destroy" in reason for reason in genocide.reasons)


def test_a_narrower_act_type_matches_the_rules_of_the_broader_one():
    found = candidates(
        Context("massacre", broader=("killing",), victim_statuses=frozenset({"civilian"}))
    )
    assert [c.crime for c in found] == [*KILLING_OF_CIVILIANS, "RS-7-1-b"]
    assert "a kind of killing" in found[0].reasons[0]


def test_a_rule_limited_to_its_own_type_does_not_match_narrower_ones():
    assert crimes(Context("rape", broader=("sexual_violence",))) == [
        "RS-7-1-g-1",
        "RS-8-2-b-xxii-1",
        "RS-8-2-e-vi-1",
    ]
    assert crimes(Context("sexual_violence")) == ["RS-7-1-g-6", "RS-8-2-b-xxii-6", "RS-8-2-e-vi-6"]


def test_a_killing_without_a_civilian_or_child_victim_proposes_nothing():
    assert crimes(Context("killing")) == []
    assert crimes(Context("killing", victim_statuses=frozenset({"combatant"}))) == []


def test_a_child_victim_is_enough_and_both_rules_are_named():
    found = candidates(
        Context("killing", victim_statuses=frozenset({"civilian"}), child_victim=True)
    )
    assert [c.crime for c in found] == KILLING_OF_CIVILIANS
    assert found[0].rules == ("killing-civilian", "killing-child")


def test_the_conflict_tags_keep_only_the_war_crimes_of_that_conflict():
    civilian = frozenset({"civilian"})
    international = Context(
        "killing", victim_statuses=civilian, conflicts=frozenset({Conflict.INTERNATIONAL})
    )
    assert crimes(international) == ["RS-7-1-a", "RS-8-2-a-i", "RS-6-a"]
    internal = Context(
        "killing", victim_statuses=civilian, conflicts=frozenset({Conflict.NON_INTERNATIONAL})
    )
    assert crimes(internal) == ["RS-7-1-a", "RS-8-2-c-i-1", "RS-6-a"]
    peace = Context("killing", victim_statuses=civilian, conflicts=frozenset({Conflict.NONE}))
    assert crimes(peace) == ["RS-7-1-a", "RS-6-a"]


def test_the_shipped_rules_load_and_name_only_catalogue_crimes():
    book = rule_book()
    assert len(book.rules) >= 20
    assert len({r.id for r in book.rules}) == len(book.rules)
    assert all(p.crime.startswith("RS-") for r in book.rules for p in r.crimes)


def _rules_file(tmp_path, rule):
    data = {"version": "x", "catalogue_version": "2026.1", "rules": [rule]}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_rule_with_an_unknown_act_type_or_crime_is_refused_by_name(tmp_path):
    bad_type = {"id": "r1", "act_types": ["kiling"], "why": "x", "crimes": ["RS-7-1-a"]}
    with pytest.raises(SuggestionRulesError, match=r"rules\[0\] \(r1\).*kiling"):
        load_rules(_rules_file(tmp_path, bad_type))
    bad_crime = {"id": "r2", "act_types": ["killing"], "why": "x", "crimes": ["7(1)(z)"]}
    with pytest.raises(SuggestionRulesError, match=r"\(r2\).*no crime '7\(1\)\(z\)'"):
        load_rules(_rules_file(tmp_path, bad_crime))


# ---------------------------------------------------------------------------------------------
# Suggest: stored candidates with reasons


@pytest.mark.django_db
def test_suggest_stores_the_candidates_with_the_rule_and_the_reasons(facts, legal_officer):
    # The fixture's act: a killing of a civilian child, in an incident tagged
    # conflict:non-international (so no war crimes of international armed conflict).
    result = suggest(legal_officer, facts["act"])
    assert [q.crime_id for q in result.created] == ["RS-7-1-a", "RS-8-2-c-i-1", "RS-6-a"]
    assert result.existing == ()
    murder = result.created[0]
    assert murder.status == Qualification.Status.CANDIDATE
    assert murder.origin == Qualification.Origin.SUGGESTION
    assert murder.rule == "killing-civilian"
    assert murder.proposed_by == legal_officer
    assert murder.decided_by is None
    assert "Rule killing-civilian" in murder.reasoning
    assert "a victim is recorded as civilian" in murder.reasoning
    assert "Rule killing-child" in murder.reasoning
    assert "decides nothing" in murder.reasoning


@pytest.mark.django_db
def test_suggesting_again_duplicates_nothing_and_keeps_decisions(facts, legal_officer):
    first = suggest(legal_officer, facts["act"])
    murder, _war_crime, genocide = first.created
    services.reject(legal_officer, genocide, "No evidence of intent to destroy a group.")
    services.accept(legal_officer, murder, "Part of the attack on the town.")
    again = suggest(legal_officer, facts["act"])
    assert again.created == ()
    assert sorted(q.pk for q in again.existing) == sorted(q.pk for q in first.created)
    assert Qualification.objects.filter(act=facts["act"]).count() == 3
    genocide.refresh_from_db()
    assert genocide.status == Qualification.Status.REJECTED


@pytest.mark.django_db
def test_accept_and_reject_record_who_decided_when_and_why(facts, legal_officer, administrator):
    murder = suggest(legal_officer, facts["act"]).created[0]
    services.accept(legal_officer, murder, "Shelling of a crowded market.")
    assert murder.status == "accepted"
    assert murder.decided_by == legal_officer
    assert murder.decided_at is not None
    assert murder.decision_reasoning == "Shelling of a crowded market."
    services.reject(administrator, murder, "The attack is not shown to be widespread.")
    assert murder.status == "rejected"
    assert murder.decided_by == administrator
    history = list(murder.history.order_by("history_id"))
    assert [h.status for h in history] == ["candidate", "accepted", "rejected"]
    assert [h.history_user for h in history] == [legal_officer, legal_officer, administrator]
    assert history[1].decision_reasoning == "Shelling of a crowded market."


@pytest.mark.django_db
def test_a_decision_needs_reasons_and_a_change(facts, legal_officer):
    murder = suggest(legal_officer, facts["act"]).created[0]
    with pytest.raises(services.QualificationError, match="reasons for the decision"):
        services.accept(legal_officer, murder, "  ")
    services.accept(legal_officer, murder, "yes")
    with pytest.raises(services.QualificationConflict, match="already accepted"):
        services.accept(legal_officer, murder, "again")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer", "reviewer"])
def test_only_legal_officers_and_administrators_ask_for_suggestions(facts, personas, role):
    with pytest.raises(WorkspaceAccessDenied):
        suggest(personas[role], facts["act"])
    assert not Qualification.objects.exists()


@pytest.mark.django_db
def test_an_act_no_rule_covers_gets_no_candidates(facts, legal_officer, investigator):
    act = records.add_act(investigator, facts["incident"], "other")
    result = suggest(legal_officer, act)
    assert result.created == ()
    assert result.existing == ()
