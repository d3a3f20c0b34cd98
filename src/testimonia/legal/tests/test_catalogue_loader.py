"""Loading: malformed data is refused with a message naming the problem; lookups by id or
article; unknown references come with suggestions."""

from __future__ import annotations

import json
import shutil

import pytest

from testimonia.legal import catalogue
from testimonia.legal.catalogue import CatalogueError, UnknownEntry, load_catalogue


@pytest.fixture
def data_dir(tmp_path):
    for name in (catalogue.CRIMES_FILE, catalogue.MODES_FILE):
        shutil.copy(catalogue.DATA / name, tmp_path / name)
    return tmp_path


def edit(directory, name, change):
    path = directory / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def crime_entry(data, crime_id):
    return next(c for c in data["crimes"] if c["id"] == crime_id)


def test_the_shipped_data_loads(data_dir):
    loaded = load_catalogue(data_dir)
    assert len(loaded.crimes) == 103


def test_invalid_json_is_named_with_its_position(data_dir):
    (data_dir / "crimes.json").write_text('{"version": ', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"crimes\.json: not valid JSON at line 1"):
        load_catalogue(data_dir)


def test_a_missing_file_is_named(data_dir):
    (data_dir / "modes.json").unlink()
    with pytest.raises(CatalogueError, match=r"modes\.json: cannot be read"):
        load_catalogue(data_dir)


def test_a_version_other_than_the_code_s_is_refused(data_dir):
    edit(data_dir, "crimes.json", lambda d: d.update(version="1999.1"))
    with pytest.raises(CatalogueError, match=r"version '1999\.1' does not match"):
        load_catalogue(data_dir)


def test_an_unknown_element_kind_names_the_crime_and_element(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-7-1-f")["elements"][0].update(kind="physical"),
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data_dir)
    message = str(caught.value)
    assert "(RS-7-1-f)" in message
    assert "elements[0]" in message
    assert "kind 'physical' is not one of material, mental, contextual" in message


def test_elements_out_of_sequence_are_refused(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-6-a")["elements"][1].update(number=3),
    )
    with pytest.raises(CatalogueError, match="element number 3 out of sequence: expected 2"):
        load_catalogue(data_dir)


def test_an_unknown_shared_block_is_refused(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-7-1-a")["elements"][1].update(block="CAH-NOTHING"),
    )
    with pytest.raises(CatalogueError, match="unknown shared block 'CAH-NOTHING'"):
        load_catalogue(data_dir)


def test_a_block_reworded_without_a_reason_is_refused(data_dir):
    def reword(d):
        element = crime_entry(d, "RS-7-1-b")["elements"][2]
        element["text"] = "The conduct was part of an attack."

    edit(data_dir, "crimes.json", reword)
    with pytest.raises(CatalogueError, match="wording differs from block CAH-ATTACK"):
        load_catalogue(data_dir)


def test_an_id_that_does_not_match_its_article_is_refused(data_dir):
    edit(data_dir, "crimes.json", lambda d: crime_entry(d, "RS-7-1-a").update(article="7(1)(b)"))
    with pytest.raises(
        CatalogueError, match="id 'RS-7-1-a' does not match article '7\\(1\\)\\(b\\)'"
    ):
        load_catalogue(data_dir)


def test_an_article_not_numbered_as_in_the_elements_is_refused(data_dir):
    edit(data_dir, "crimes.json", lambda d: crime_entry(d, "RS-6-a").update(article="6 (a)"))
    with pytest.raises(CatalogueError, match="not numbered as in the Elements of Crimes"):
        load_catalogue(data_dir)


def test_a_bad_roman_numeral_is_refused(data_dir):
    def rename(d):
        entry = crime_entry(d, "RS-8-2-b-iv")
        entry.update(id="RS-8-2-b-iiii", article="8(2)(b)(iiii)")

    edit(data_dir, "crimes.json", rename)
    with pytest.raises(CatalogueError, match="'iiii' is not a roman numeral"):
        load_catalogue(data_dir)


def test_a_category_that_does_not_fit_the_article_is_refused(data_dir):
    edit(
        data_dir, "crimes.json", lambda d: crime_entry(d, "RS-8-2-c-iii").update(category="WC-IAC")
    )
    with pytest.raises(
        CatalogueError, match="category WC-IAC does not fit article 8\\(2\\)\\(c\\)"
    ):
        load_catalogue(data_dir)


def test_an_unverified_crime_without_a_reason_is_refused(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-8-2-e-xix").pop("verification_note"),
    )
    with pytest.raises(CatalogueError, match="unverified crime needs a 'verification_note'"):
        load_catalogue(data_dir)


def test_a_duplicate_crime_is_refused(data_dir):
    edit(data_dir, "crimes.json", lambda d: d["crimes"].append(d["crimes"][0]))
    with pytest.raises(CatalogueError, match="the id 'RS-6-a' appears twice"):
        load_catalogue(data_dir)


def test_an_unknown_source_is_refused(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-6-c")["elements"][0].update(source="WIKIPEDIA"),
    )
    with pytest.raises(CatalogueError, match="unknown source 'WIKIPEDIA'"):
        load_catalogue(data_dir)


def test_an_unknown_amendment_is_refused(data_dir):
    edit(
        data_dir,
        "crimes.json",
        lambda d: crime_entry(d, "RS-8-2-e-xix").update(amendment="ICC-ASP/99"),
    )
    with pytest.raises(CatalogueError, match="unknown amendment 'ICC-ASP/99'"):
        load_catalogue(data_dir)


def test_a_mode_with_a_contextual_element_is_refused(data_dir):
    def contextual(d):
        d["modes"][0]["elements"][0]["kind"] = "contextual"

    edit(data_dir, "modes.json", contextual)
    with pytest.raises(CatalogueError, match="modes of liability have material and mental"):
        load_catalogue(data_dir)


def test_a_non_object_entry_is_refused(data_dir):
    edit(data_dir, "crimes.json", lambda d: d["crimes"].insert(0, "RS-6-a"))
    with pytest.raises(CatalogueError, match=r"crimes\[0\]: expected an object, found str"):
        load_catalogue(data_dir)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("RS-7-1-a", "RS-7-1-a"),
        ("rs-7-1-a", "RS-7-1-a"),
        ("7(1)(a)", "RS-7-1-a"),
        ("7 (1) (a)", "RS-7-1-a"),
        ("Art. 7(1)(j)", "RS-7-1-j"),
        ("article 8(2)(b)(xxii)-1", "RS-8-2-b-xxii-1"),
        ("8 bis", "RS-8bis"),
        ("8bis", "RS-8bis"),
        ("8-2-e-xix", "RS-8-2-e-xix"),
    ],
)
def test_a_crime_is_found_by_id_or_article(reference, expected):
    assert catalogue.crime(reference).id == expected


def test_an_unknown_crime_names_close_ids():
    with pytest.raises(UnknownEntry) as caught:
        catalogue.crime("RS-7-1-z")
    assert caught.value.suggestions
    assert all(s.startswith("RS-7-1-") for s in caught.value.suggestions)
    assert "no crime 'RS-7-1-z' in the catalogue; did you mean" in str(caught.value)


def test_a_mode_is_found_by_id_or_unique_article():
    assert catalogue.mode("rs-25-3-c").id == "RS-25-3-c"
    assert catalogue.mode("28(a)").id == "RS-28-a"
    with pytest.raises(UnknownEntry):
        catalogue.mode("25(3)(a)")  # four forms share it: ask by id


def test_crimes_filter_by_category():
    assert {c.category for c in catalogue.crimes("AGG")} == {catalogue.Category.AGG}
    with pytest.raises(ValueError, match="'XYZ'"):
        catalogue.crimes("XYZ")


def test_the_catalogue_is_loaded_once():
    assert catalogue.catalogue() is catalogue.catalogue()
