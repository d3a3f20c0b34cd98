"""Element kinds, the shared context elements, and the wording the Elements of Crimes give."""

from __future__ import annotations

import pytest

from testimonia.legal import catalogue
from testimonia.legal.catalogue import Category, ElementKind

CONTEXT_BLOCKS = {
    Category.GEN: ["GEN-PATTERN"],
    Category.CAH: ["CAH-ATTACK", "CAH-KNOWLEDGE"],
    Category.WC_GB: ["IAC-NEXUS", "IAC-AWARENESS"],
    Category.WC_IAC: ["IAC-NEXUS", "IAC-AWARENESS"],
    Category.WC_CA3: ["NIAC-NEXUS", "NIAC-AWARENESS"],
    Category.WC_NIAC: ["NIAC-NEXUS", "NIAC-AWARENESS"],
}
NO_ELEMENTS = {"RS-8-2-b-xx"}  # the Elements print none until an annex of weapons exists


def with_elements():
    return [c for c in catalogue.crimes() if c.id not in NO_ELEMENTS]


def test_every_crime_has_a_material_element_and_a_mental_or_contextual_one():
    for c in with_elements():
        kinds = {e.kind for e in c.elements}
        assert ElementKind.MATERIAL in kinds, c.id
        assert kinds & {ElementKind.MENTAL, ElementKind.CONTEXTUAL}, c.id


def test_the_annex_weapons_crime_has_no_elements_and_says_why():
    empty = catalogue.crime("8(2)(b)(xx)")
    assert empty.elements == ()
    assert "annex" in empty.notes[0].text.lower()


@pytest.mark.parametrize("category", list(CONTEXT_BLOCKS))
def test_each_crime_ends_with_the_context_elements_of_its_category(category):
    blocks = CONTEXT_BLOCKS[category]
    for c in catalogue.crimes(category):
        if c.id in NO_ELEMENTS:
            continue
        tail = c.elements[-len(blocks) :]
        assert [e.block for e in tail] == blocks, c.id
        assert all(e.kind is ElementKind.CONTEXTUAL for e in tail), c.id


def test_context_elements_are_the_only_contextual_ones():
    contextual_blocks = {b for blocks in CONTEXT_BLOCKS.values() for b in blocks}
    for c in catalogue.crimes():
        for e in c.elements:
            if e.kind is ElementKind.CONTEXTUAL:
                assert e.block in contextual_blocks, (c.id, e.number)


def test_a_shared_element_is_defined_once_and_numbered_in_each_crime():
    blocks = catalogue.catalogue().blocks
    attack = blocks["CAH-ATTACK"]
    assert attack.kind is ElementKind.CONTEXTUAL
    murder = catalogue.crime("7(1)(a)")
    apartheid = catalogue.crime("7(1)(j)")
    assert murder.elements[1].block == "CAH-ATTACK"
    assert murder.elements[1].number == 2
    assert apartheid.elements[5].block == "CAH-ATTACK"
    assert apartheid.elements[5].number == 6
    assert murder.elements[1].text == attack.text == apartheid.elements[5].text


def test_the_murder_knowledge_element_keeps_the_eoc_wording_and_says_so():
    element = catalogue.crime("RS-7-1-a").elements[2]
    assert element.block == "CAH-KNOWLEDGE"
    assert "systematic attack against a civilian population" in element.text
    assert element.variant


def test_genocide_keeps_its_specific_intent_as_a_mental_element():
    for c in catalogue.crimes(Category.GEN):
        intent = [e for e in c.elements if e.block == "GEN-INTENT"]
        assert len(intent) == 1, c.id
        assert intent[0].kind is ElementKind.MENTAL


def test_grave_breaches_require_geneva_protected_victims_or_property():
    for c in catalogue.crimes(Category.WC_GB):
        blocks = [e.block for e in c.elements]
        assert {"GB-PROTECTED-PERSONS", "GB-PROTECTED-PROPERTY"} & set(blocks), c.id
        assert "GB-AWARENESS" in blocks, c.id


def test_elements_that_state_a_state_of_mind_are_mental():
    for c in catalogue.crimes():
        for e in c.elements:
            if e.text.startswith(("The perpetrator intended", "The perpetrator knew")):
                assert e.kind in (ElementKind.MENTAL, ElementKind.CONTEXTUAL), (c.id, e.number)
            if e.text.startswith("The perpetrator was aware"):
                assert e.kind in (ElementKind.MENTAL, ElementKind.CONTEXTUAL), (c.id, e.number)


def test_conduct_elements_are_material():
    assert catalogue.crime("7(1)(a)").elements[0].kind is ElementKind.MATERIAL
    assert catalogue.crime("8(2)(b)(i)").elements[0].text == "The perpetrator directed an attack."
    assert catalogue.crime("8(2)(b)(i)").elements[0].kind is ElementKind.MATERIAL
    assert catalogue.crime("8 bis").elements[0].kind is ElementKind.MATERIAL


def test_wording_follows_the_elements_of_crimes():
    assert (
        catalogue.crime("8(2)(e)(ix)")
        .elements[0]
        .text.startswith(
            "The perpetrator invited the confidence or belief of one or more combatant adversaries"
        )
    )
    proportionality = catalogue.crime("8(2)(b)(iv)").elements[2].text
    assert "of such an extent as to be clearly excessive" in proportionality
    assert catalogue.crime("8(2)(b)(vii)-3").elements[2].text == (
        "The perpetrator knew of the prohibited nature of such use."
    )


def test_footnotes_of_the_elements_travel_with_their_element():
    extermination = catalogue.crime("7(1)(b)").elements[0]
    assert [f.number for f in extermination.footnotes] == [8, 9]
    assert "deprivation of access to food and medicine" in extermination.footnotes[1].text


def test_every_element_names_a_known_source():
    sources = catalogue.catalogue().sources
    for c in catalogue.crimes():
        for e in c.elements:
            assert e.source in sources, (c.id, e.number)
        assert set(c.sources) <= set(sources)


def test_unverified_crimes_take_their_first_element_from_the_amending_resolution():
    for c in catalogue.crimes():
        if not c.verified:
            assert c.elements[0].source == c.amendment.source


def test_article_30_is_its_own_entry_with_intent_and_knowledge():
    rule = next(r for r in catalogue.general_rules() if r.id == "RS-30")
    assert rule.article == "30"
    assert len(rule.elements) == 3
    assert all(e.kind is ElementKind.MENTAL for e in rule.elements)
    assert "intent and knowledge" in rule.statute_text


def test_modes_have_material_and_mental_elements_and_cite_their_authority():
    sources = catalogue.catalogue().sources
    for m in catalogue.modes():
        kinds = {e.kind for e in m.elements}
        assert ElementKind.MATERIAL in kinds, m.id
        assert ElementKind.MENTAL in kinds, m.id
        assert m.statute_text, m.id
        for a in m.authorities:
            assert a.source in sources, m.id


def test_commander_responsibility_keeps_the_should_have_known_standard():
    commander = catalogue.mode("RS-28-a")
    superior = catalogue.mode("28(b)")
    assert any("should have known" in e.text for e in commander.elements)
    assert any("consciously disregarded" in e.text for e in superior.elements)
    assert {a.source for a in commander.authorities} >= {"BEMBA-DCC", "BEMBA-TJ", "BEMBA-AJ"}
