"""The catalogue holds every crime of the Elements of Crimes, numbered as the Elements number them.

The expected numbers are written out here, from the official numbering, independently of the
data file: a crime lost, added or renumbered in the data fails these tests.
"""

from __future__ import annotations

import re
from collections import Counter

from testimonia.legal import catalogue
from testimonia.legal.catalogue import Category

# Number of numbered elements per crime in the Elements of Crimes (context elements included).
EXPECTED_ELEMENTS = {
    "6(a)": 4, "6(b)": 4, "6(c)": 5, "6(d)": 5, "6(e)": 7, "7(1)(a)": 3, "7(1)(b)": 4,
    "7(1)(c)": 3, "7(1)(d)": 5, "7(1)(e)": 5, "7(1)(f)": 5, "7(1)(g)-1": 4, "7(1)(g)-2": 4,
    "7(1)(g)-3": 4, "7(1)(g)-4": 3, "7(1)(g)-5": 4, "7(1)(g)-6": 5, "7(1)(h)": 6, "7(1)(i)": 8,
    "7(1)(j)": 7, "7(1)(k)": 5, "8(2)(a)(i)": 5, "8(2)(a)(ii)-1": 6, "8(2)(a)(ii)-2": 5,
    "8(2)(a)(ii)-3": 7, "8(2)(a)(iii)": 5, "8(2)(a)(iv)": 7, "8(2)(a)(v)": 5, "8(2)(a)(vi)": 5,
    "8(2)(a)(vii)-1": 5, "8(2)(a)(vii)-2": 5, "8(2)(a)(viii)": 7, "8(2)(b)(i)": 5,
    "8(2)(b)(ii)": 5, "8(2)(b)(iii)": 7, "8(2)(b)(iv)": 5, "8(2)(b)(v)": 5, "8(2)(b)(vi)": 5,
    "8(2)(b)(vii)-1": 7, "8(2)(b)(vii)-2": 7, "8(2)(b)(vii)-3": 7, "8(2)(b)(vii)-4": 7,
    "8(2)(b)(viii)": 3, "8(2)(b)(ix)": 5, "8(2)(b)(x)-1": 6, "8(2)(b)(x)-2": 6,
    "8(2)(b)(xi)": 7, "8(2)(b)(xii)": 5, "8(2)(b)(xiii)": 7, "8(2)(b)(xiv)": 5,
    "8(2)(b)(xv)": 4, "8(2)(b)(xvi)": 5, "8(2)(b)(xvii)": 4, "8(2)(b)(xviii)": 4,
    "8(2)(b)(xix)": 5, "8(2)(b)(xx)": 0, "8(2)(b)(xxi)": 4, "8(2)(b)(xxii)-1": 4,
    "8(2)(b)(xxii)-2": 4, "8(2)(b)(xxii)-3": 4, "8(2)(b)(xxii)-4": 3, "8(2)(b)(xxii)-5": 4,
    "8(2)(b)(xxii)-6": 5, "8(2)(b)(xxiii)": 4, "8(2)(b)(xxiv)": 4, "8(2)(b)(xxv)": 4,
    "8(2)(b)(xxvi)": 5, "8(2)(b)(xxvii)": 3, "8(2)(b)(xxviii)": 3, "8(2)(b)(xxix)": 3,
    "8(2)(c)(i)-1": 5, "8(2)(c)(i)-2": 6, "8(2)(c)(i)-3": 5, "8(2)(c)(i)-4": 6,
    "8(2)(c)(ii)": 6, "8(2)(c)(iii)": 7, "8(2)(c)(iv)": 7, "8(2)(e)(i)": 5, "8(2)(e)(ii)": 4,
    "8(2)(e)(iii)": 7, "8(2)(e)(iv)": 5, "8(2)(e)(v)": 5, "8(2)(e)(vi)-1": 4,
    "8(2)(e)(vi)-2": 4, "8(2)(e)(vi)-3": 4, "8(2)(e)(vi)-4": 3, "8(2)(e)(vi)-5": 4,
    "8(2)(e)(vi)-6": 5, "8(2)(e)(vii)": 5, "8(2)(e)(viii)": 5, "8(2)(e)(ix)": 7,
    "8(2)(e)(x)": 5, "8(2)(e)(xi)-1": 6, "8(2)(e)(xi)-2": 6, "8(2)(e)(xii)": 7,
    "8(2)(e)(xiii)": 4, "8(2)(e)(xiv)": 4, "8(2)(e)(xv)": 5, "8(2)(e)(xvi)": 3,
    "8(2)(e)(xvii)": 3, "8(2)(e)(xviii)": 3, "8(2)(e)(xix)": 4, "8 bis": 6,
}  # fmt: skip

ROMAN = [
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv",
    "xv", "xvi", "xvii", "xviii", "xix", "xx", "xxi", "xxii", "xxiii", "xxiv", "xxv", "xxvi",
    "xxvii", "xxviii", "xxix",
]  # fmt: skip

AMENDED = {
    "RS-8-2-e-xiii": "2010 RC/Res.5",
    "RS-8-2-e-xiv": "2010 RC/Res.5",
    "RS-8-2-e-xv": "2010 RC/Res.5",
    "RS-8bis": "2010 RC/Res.6",
    "RS-8-2-b-xxvii": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-b-xxviii": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-b-xxix": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-e-xvi": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-e-xvii": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-e-xviii": "2017 ICC-ASP/16/Res.4",
    "RS-8-2-e-xix": "2019 ICC-ASP/18/Res.5",
}
# Not checked against the official annexes of ICC-ASP/16/Res.4 and ICC-ASP/18/Res.5.
UNVERIFIED = {
    "RS-8-2-b-xxvii",
    "RS-8-2-b-xxviii",
    "RS-8-2-b-xxix",
    "RS-8-2-e-xvi",
    "RS-8-2-e-xvii",
    "RS-8-2-e-xviii",
    "RS-8-2-e-xix",
}


def articles(prefix: str) -> list[str]:
    return [c.article for c in catalogue.crimes() if c.article.startswith(prefix)]


def test_the_catalogue_holds_103_crimes_in_the_order_of_the_elements():
    assert [c.article for c in catalogue.crimes()] == list(EXPECTED_ELEMENTS)


def test_each_crime_has_the_number_of_elements_the_elements_of_crimes_give_it():
    counts = {c.article: len(c.elements) for c in catalogue.crimes()}
    assert counts == EXPECTED_ELEMENTS


def test_element_numbers_run_from_one_without_gaps():
    for c in catalogue.crimes():
        assert [e.number for e in c.elements] == list(range(1, len(c.elements) + 1)), c.id


def test_article_6_has_five_acts_of_genocide():
    assert articles("6(") == ["6(a)", "6(b)", "6(c)", "6(d)", "6(e)"]


def test_article_7_has_eleven_letters_and_six_forms_of_sexual_violence():
    found = articles("7(1)")
    letters = {re.match(r"7\(1\)\(([a-k])\)", a).group(1) for a in found}
    assert letters == set("abcdefghijk")
    assert [a for a in found if a.startswith("7(1)(g)")] == [f"7(1)(g)-{n}" for n in range(1, 7)]
    assert len(found) == 16


def test_grave_breaches_number_eleven_crimes_from_eight_items():
    assert articles("8(2)(a)") == [
        "8(2)(a)(i)",
        "8(2)(a)(ii)-1",
        "8(2)(a)(ii)-2",
        "8(2)(a)(ii)-3",
        "8(2)(a)(iii)",
        "8(2)(a)(iv)",
        "8(2)(a)(v)",
        "8(2)(a)(vi)",
        "8(2)(a)(vii)-1",
        "8(2)(a)(vii)-2",
        "8(2)(a)(viii)",
    ]


def test_article_8_2_b_runs_to_xxix_with_its_subtypes():
    found = articles("8(2)(b)")
    items = [re.match(r"8\(2\)\(b\)\(([ivx]+)\)", a).group(1) for a in found]
    assert list(dict.fromkeys(items)) == ROMAN[:29]
    subtypes = Counter(items)
    assert subtypes["vii"] == 4
    assert subtypes["x"] == 2
    assert subtypes["xxii"] == 6
    assert len(found) == 38


def test_common_article_3_has_seven_crimes():
    assert articles("8(2)(c)") == [
        "8(2)(c)(i)-1",
        "8(2)(c)(i)-2",
        "8(2)(c)(i)-3",
        "8(2)(c)(i)-4",
        "8(2)(c)(ii)",
        "8(2)(c)(iii)",
        "8(2)(c)(iv)",
    ]


def test_article_8_2_e_runs_to_xix_with_its_subtypes():
    found = articles("8(2)(e)")
    items = [re.match(r"8\(2\)\(e\)\(([ivx]+)\)", a).group(1) for a in found]
    assert list(dict.fromkeys(items)) == ROMAN[:19]
    subtypes = Counter(items)
    assert subtypes["vi"] == 6
    assert subtypes["xi"] == 2
    assert len(found) == 25


def test_aggression_is_one_crime():
    assert articles("8 bis") == ["8 bis"]


def test_counts_per_category():
    counts = Counter(c.category for c in catalogue.crimes())
    assert counts == {
        Category.GEN: 5,
        Category.CAH: 16,
        Category.WC_GB: 11,
        Category.WC_IAC: 38,
        Category.WC_CA3: 7,
        Category.WC_NIAC: 25,
        Category.AGG: 1,
    }


def test_ids_are_unique_and_follow_the_article():
    ids = [c.id for c in catalogue.crimes()]
    assert len(ids) == len(set(ids))
    for c in catalogue.crimes():
        assert re.fullmatch(
            r"RS-(6-[a-e]|7-1-[a-k](-[1-6])?|8-2-[abce]-[ivx]+(-[1-6])?|8bis)", c.id
        )
        expected = "RS-" + re.sub(r"[()]+", "-", c.article).strip("-").replace("--", "-")
        assert c.id == (expected if c.article != "8 bis" else "RS-8bis")


def test_amendments_are_marked_on_exactly_the_amended_crimes():
    marked = {c.id: c.amendment.label for c in catalogue.crimes() if c.amendment is not None}
    assert marked == AMENDED


def test_exactly_the_crimes_not_checked_against_the_official_text_are_unverified():
    unverified = {c.id for c in catalogue.crimes() if not c.verified}
    assert unverified == UNVERIFIED
    for c in catalogue.crimes():
        if not c.verified:
            assert c.verification_note
            assert "not checked" in c.verification_note.lower()


def test_the_catalogue_version_is_the_code_version():
    assert catalogue.catalogue().version == catalogue.CATALOGUE_VERSION


def test_modes_of_liability_cover_articles_25_3_and_28():
    found = {m.article for m in catalogue.modes()}
    assert found == {
        "25(3)(a)",
        "25(3)(b)",
        "25(3)(c)",
        "25(3)(d)",
        "25(3)(e)",
        "25(3)(f)",
        "28(a)",
        "28(b)",
    }
    forms = [m.id for m in catalogue.modes() if m.article == "25(3)(a)"]
    assert forms == [
        "RS-25-3-a-direct",
        "RS-25-3-a-joint",
        "RS-25-3-a-indirect",
        "RS-25-3-a-indirect-joint",
    ]
