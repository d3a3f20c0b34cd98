"""The case matrix computed from crafted assessments: states, gaps first, strongest first."""

from __future__ import annotations

import pytest

from testimonia.legal import catalogue
from testimonia.legal.catalogue import Element, ElementKind
from testimonia.legal.matrix import (
    Assessment,
    ElementState,
    Strength,
    Support,
    SupportKind,
    build_rows,
    judge,
    strongest,
)

ELEMENTS = (
    Element(1, "The perpetrator killed one or more persons.", ElementKind.MATERIAL, "EOC"),
    Element(2, "Attack.", ElementKind.CONTEXTUAL, "EOC", block="CAH-ATTACK"),
    Element(3, "Knowledge.", ElementKind.CONTEXTUAL, "EOC", block="CAH-KNOWLEDGE"),
    Element(4, "Intent.", ElementKind.MENTAL, "EOC"),
)


def link(pk, strength, kind=SupportKind.ITEM):
    return Support(id=pk, kind=kind, label=f"thing {pk}", strength=Strength(strength))


def numbers(rows):
    return [r.number for r in rows]


def test_with_nothing_recorded_every_element_is_an_unsupported_gap_in_order():
    rows = build_rows(ELEMENTS, {})
    assert numbers(rows) == [1, 2, 3, 4]
    assert {r.state for r in rows} == {ElementState.UNSUPPORTED}
    assert all(r.is_gap for r in rows)


def test_unsupported_elements_come_first_then_weak_then_supported():
    rows = build_rows(
        ELEMENTS,
        {
            1: Assessment(1, supports=(link(1, "strong"),)),
            2: Assessment(2, supports=(link(2, "weak"),)),
            4: Assessment(4, supports=(link(3, "none"),)),
        },
    )
    assert numbers(rows) == [3, 4, 2, 1]
    assert [r.state for r in rows] == [
        ElementState.UNSUPPORTED,
        ElementState.UNSUPPORTED,
        ElementState.WEAK,
        ElementState.SUPPORTED,
    ]
    assert [r.is_gap for r in rows] == [True, True, True, False]


@pytest.mark.parametrize(
    ("assessed", "links", "state"),
    [
        (None, [], ElementState.UNSUPPORTED),
        (None, ["none"], ElementState.UNSUPPORTED),
        (None, ["none", "weak"], ElementState.WEAK),
        (None, ["weak", "moderate"], ElementState.SUPPORTED),
        (None, ["strong"], ElementState.SUPPORTED),
        # The legal officer's assessment wins over the links ...
        ("weak", ["strong"], ElementState.WEAK),
        ("none", ["strong"], ElementState.WEAK),
        ("strong", ["weak"], ElementState.SUPPORTED),
        # ... but never makes up for linked proof that is missing.
        ("strong", [], ElementState.UNSUPPORTED),
        ("strong", ["none"], ElementState.UNSUPPORTED),
    ],
)
def test_an_element_is_judged_by_its_links_and_its_assessment(assessed, links, state):
    supports = [link(i, s) for i, s in enumerate(links)]
    assert judge(None if assessed is None else Strength(assessed), supports) is state


def test_the_row_keeps_the_assessment_the_strongest_link_and_orders_links_strongest_first():
    rows = build_rows(
        ELEMENTS[:1],
        {
            1: Assessment(
                1,
                strength=Strength.MODERATE,
                note="two witnesses",
                supports=(link(7, "weak"), link(3, "strong"), link(5, "strong"), link(9, "none")),
            )
        },
    )
    row = rows[0]
    assert row.assessed is Strength.MODERATE
    assert row.support is Strength.STRONG
    assert row.note == "two witnesses"
    assert [s.id for s in row.supports] == [3, 5, 7, 9]


def test_indicators_belong_beside_the_widespread_or_systematic_attack_only():
    indicators = link(4, "moderate", SupportKind.INDICATORS)
    rows = {r.number: r for r in build_rows(ELEMENTS, {2: Assessment(2, supports=(indicators,))})}
    assert rows[2].shows_indicators
    assert not rows[1].shows_indicators
    assert not rows[3].shows_indicators
    assert rows[2].indicators == (indicators,)


def test_an_assessment_of_an_element_the_catalogue_no_longer_has_is_kept_and_marked():
    rows = build_rows(ELEMENTS[:2], {9: Assessment(9, supports=(link(1, "strong"),))})
    unknown = next(r for r in rows if r.number == 9)
    assert not unknown.known
    assert unknown.state is ElementState.SUPPORTED
    assert numbers(rows) == [1, 2, 9]


def test_the_real_elements_of_murder_as_a_crime_against_humanity():
    murder = catalogue.crime("7(1)(a)")
    rows = build_rows(murder.elements, {1: Assessment(1, supports=(link(1, "strong"),))})
    assert numbers(rows) == [2, 3, 1]
    assert rows[0].block == "CAH-ATTACK"
    assert rows[0].shows_indicators


def test_strongest_and_the_dict_shape():
    assert strongest([]) is None
    assert strongest([Strength.WEAK, Strength.STRONG, Strength.NONE]) is Strength.STRONG
    row = build_rows(ELEMENTS[:1], {1: Assessment(1, supports=(link(1, "weak"),))})[0]
    assert row.as_dict() == {
        "number": 1,
        "kind": "material",
        "text": "The perpetrator killed one or more persons.",
        "block": None,
        "state": "weak",
        "gap": True,
        "assessed": None,
        "support": "weak",
        "note": "",
        "known": True,
        "shows_indicators": False,
        "supports": [
            {
                "id": 1,
                "kind": "item",
                "ref": None,
                "label": "thing 1",
                "strength": "weak",
                "note": "",
                "indicators": None,
                "created_by": None,
            }
        ],
    }
