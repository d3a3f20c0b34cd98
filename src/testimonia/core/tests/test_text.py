"""Search-text normalisation (testimonia.core.text): every rule by example, then properties.

The examples pin concrete outputs, so a changed rule fails here first. The properties check what
search depends on for any input: idempotence, spelling variants of a name folding together, and
no diacritic, tatweel, final form, zero-width character or FTS syntax surviving.
"""

# The examples are look-alike letters (ا/l, ه/o, ן/l, quote marks), written as themselves.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import sqlite3
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testimonia.core import text
from testimonia.core.text import NORMALISATION_VERSION, fts_query, join_compounds, normalise, tokens

# --- characters that must never come out ---------------------------------------------------

HARAKAT = [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670"]
QURANIC = [chr(c) for c in range(0x06D6, 0x06EE) if unicodedata.category(chr(c)) != "So"]
HEBREW_POINTS = [chr(c) for c in range(0x0591, 0x05C8)]
LATIN_ACCENTS = [chr(c) for c in range(0x0300, 0x0370)]
TATWEEL = "\u0640"
ZERO_WIDTH = [
    "\u200b",  # zero width space
    "\u200c",  # ZWNJ
    "\u200d",  # ZWJ
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u061c",  # Arabic letter mark
    *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
    "\ufeff",  # BOM
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
]
FOLDED_AWAY = "أإآٱٲٳةۃىیکۀہ" + "ךםןףץ" + "׳״" + "ʼʻʾʿ’'\"ـ"
FORBIDDEN = frozenset(
    HARAKAT + QURANIC + HEBREW_POINTS + LATIN_ACCENTS + ZERO_WIDTH + [TATWEEL, *FOLDED_AWAY]
)


def assert_clean(output: str) -> None:
    """The output contract: single-spaced words of letters, digits and kept marks."""
    assert output == output.strip(" ")
    assert "  " not in output
    for char in output:
        assert char not in FORBIDDEN, f"{char!r} U+{ord(char):04X} survived in {output!r}"
        if char == " ":
            continue
        category = unicodedata.category(char)
        assert category[0] in "LNM", f"{char!r} ({category}) in {output!r}"
        if category == "Nd":
            assert char in "0123456789", f"non-ASCII digit {char!r} in {output!r}"


# --- Arabic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["أحمد", "احمد", "إحمد", "آحمد", "ٱحمد"], "احمد"),
        (["فاطمة", "فاطمه"], "فاطمه"),
        (["مصطفى", "مصطفي", "مصطفی"], "مصطفي"),
        (["مُحَمَّد", "محمد", "مـحـمـد", "مـــحَـمّـد"], "محمد"),
        (["مؤمن", "مومن"], "مومن"),
        (["عائشة", "عايشه"], "عايشه"),
        (["كريم", "کریم"], "كريم"),
        (["إِبْرَاهِيمُ", "ابراهيم"], "ابراهيم"),
        (["آمنة", "امنه", "آمِنَةٌ"], "امنه"),
    ],
)
def test_arabic_spelling_variants_fold_to_one_form(variants: list[str], expected: str) -> None:
    assert [normalise(v) for v in variants] == [expected] * len(variants)


def test_quranic_marks_and_superscript_alef_are_removed() -> None:
    # رحمٰن with superscript alef; الصلوٰة; a small high meem and the Quranic small waw/yeh.
    assert normalise("الرَّحْمَٰنِ") == "الرحمن"
    assert normalise("الصَّلَوٰةَ") == "الصلوه"
    assert normalise("يَعْلَمُۢ\u06e5") == "يعلم"


def test_arabic_and_persian_digits_become_ascii() -> None:
    assert normalise("١٢٣") == "123"
    assert normalise("۱۲۳ ۴۵۶") == "123 456"
    assert normalise("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert normalise("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert normalise("१२३") == "123"  # any decimal digit, here Devanagari


def test_arabic_punctuation_separates_words() -> None:
    assert normalise("دمشق،حلب؛ حمص؟") == "دمشق حلب حمص"
    assert normalise("«غزة» - (رفح)") == "غزه رفح"


def test_presentation_forms_and_the_allah_ligature_fold() -> None:
    assert normalise("ﻣﺤﻤﺪ") == "محمد"  # presentation forms from old PDFs
    assert normalise("ﷲ") == "الله"


def test_standalone_hamza_is_kept_but_its_spelling_after_yaa_is_not() -> None:
    # Alaa and Ola are different names; a query typed without the hamza still prefix-matches.
    assert normalise("علاء") == "علاء"
    assert normalise("علاء") != normalise("علا")
    assert normalise("علاء").startswith(normalise("علا"))
    # ىء / يء is hamza on a yaa seat written apart: the same word as ئ.
    assert normalise("شيء") == normalise("شئ") == "شي"
    assert normalise("شاطىء") == normalise("شاطئ") == "شاطي"
    # Hamza on a carrier is dropped with the carrier kept.
    assert normalise("مسؤول") == "مسوول"
    assert normalise("سائل") == "سايل"
    assert normalise("شيءء ءيء") == "شي ءي"


def test_persian_and_urdu_letters_fold() -> None:
    assert normalise("خانۀ") == normalise("خانهٔ") == "خانه"
    assert normalise("می\u200cخواهم") == "ميخواهم"  # ZWNJ removed, Farsi yeh folded
    assert normalise("پاکستان") == "پاكستان"
    assert normalise("ہم") == "هم"


# --- compound names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("عبد الله", "عبدالله"),
        ("عبدالله", "عبدالله"),
        ("عبد هللا", "عبدالله"),
        ("عبدهللا", "عبدالله"),
        ("عبدُ اللّٰه", "عبدالله"),
        ("عبـد  الله", "عبدالله"),
        ("عبد\u200c الله", "عبدالله"),
        ("عبد الرحمن", "عبدالرحمن"),
        ("عبد\u00a0الرحمن", "عبدالرحمن"),
        ("عبد العزيز", "عبدالعزيز"),
        ("عبد ربه", "عبدربه"),
        ("هللا", "الله"),
        ("محمد عبد الله عبد الرحمن", "محمد عبدالله عبدالرحمن"),
    ],
)
def test_abd_compounds_are_joined(written: str, expected: str) -> None:
    assert normalise(written) == expected


@pytest.mark.parametrize(
    "written",
    [
        "ابو بكر",  # the second word must stay searchable
        "أبو بكر",
        "محمد بن سلمان",
        "علي ابن ابي طالب",
        "عبد مملوك",  # عبد before a word without ال is left alone
        "عبد",
    ],
)
def test_other_words_are_not_joined(written: str) -> None:
    assert normalise(written).count(" ") == written.count(" ")


def test_abd_joins_once_and_only_forwards() -> None:
    assert normalise("عبد عبد الله") == "عبد عبدالله"
    assert normalise("عبد الله الله") == "عبدالله الله"
    assert normalise("عبد ال") == "عبدال"  # a half-typed query still prefix-matches


def test_join_compounds_on_its_own() -> None:
    assert join_compounds("عبد الله") == "عبدالله"
    assert join_compounds("  عبد   هللا  و  هللا ") == "عبدالله و الله"
    assert join_compounds("ابو بكر") == "ابو بكر"
    assert join_compounds(join_compounds("عبد الله عبد ربه")) == "عبدالله عبدربه"


# --- Hebrew ---------------------------------------------------------------------------------


def test_hebrew_niqqud_and_cantillation_are_removed() -> None:
    assert normalise("שָׁלוֹם") == normalise("שלום") == "שלומ"
    assert normalise("בְּרֵאשִׁ֖ית") == "בראשית"  # with a tipeha cantillation mark
    assert normalise("שּׁ") == "ש"  # presentation form with dagesh and shin dot


def test_hebrew_final_forms_fold_to_regular_letters() -> None:
    assert normalise("ךםןףץ") == "כמנפצ"
    assert normalise("יוסף כהן") == "יוספ כהנ"
    # A whole word typed as a query prefix-matches a longer indexed word.
    assert normalise("שלומית").startswith(normalise("שלום"))


def test_hebrew_maqaf_separates_and_gershayim_join() -> None:
    assert normalise("בית־ספר") == "בית ספר"
    assert normalise("בית-ספר") == "בית ספר"
    assert normalise("צה״ל") == normalise('צה"ל') == normalise("צהל") == "צהל"
    assert normalise("ג׳מיל") == normalise("ג'מיל") == "גמיל"


# --- Latin and general ----------------------------------------------------------------------


def test_latin_accents_and_case_fold() -> None:
    assert normalise("Khān") == normalise("KHAN") == normalise("khan") == "khan"
    assert normalise("Ḥusayn") == "husayn"
    assert normalise("Déjà vu, RÉSUMÉ!") == "deja vu resume"
    assert normalise("Straße") == "strasse"
    assert normalise("Łódź Kılıç Øster") == "lodz kilic oster"


def test_apostrophes_and_transliteration_marks_are_removed() -> None:
    assert normalise("O'Brien") == normalise("O’Brien") == "obrien"
    assert normalise("Saʿīd") == normalise("Sa'id") == normalise("Said") == "said"
    assert normalise("ʿAbd al-Raḥmān") == "abd al rahman"


def test_compatibility_forms_fold() -> None:
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("ﬁle x²") == "file x2"


def test_zero_width_and_bidi_controls_are_removed_inside_words() -> None:
    for char in ZERO_WIDTH:
        if char == "\u200b":
            continue
        assert normalise(f"مح{char}مد") == "محمد", repr(char)
        assert normalise(f"Kh{char}an") == "khan", repr(char)
    assert normalise("\u202bمحمد\u202c \u2067Khan\u2069") == "محمد khan"


def test_zero_width_space_separates_words() -> None:
    assert normalise("محمد\u200bعلي") == "محمد علي"


def test_whitespace_and_punctuation_collapse() -> None:
    assert normalise("  a\t\tb\n\u00a0c\u3000d  ") == "a b c d"
    assert normalise("foo_bar-baz.qux/1.5") == "foo bar baz qux 1 5"
    assert normalise("") == ""
    assert normalise(" ،؛؟!?... ") == ""


def test_scripts_with_meaningful_marks_keep_them() -> None:
    assert normalise("हैलो वर्ल्ड") == "हैलो वर्ल्ड"
    assert normalise("한국어") == "한국어"  # Hangul syllables come back composed


def test_mixed_script_sentence() -> None:
    sentence = "شهادة مُحَمَّد عبدُ اللّٰه (Muḥammad ʿAbd Allāh) — עֵדוּת ١٩٩٩/٠٣/١٢"
    assert normalise(sentence) == "شهاده محمد عبدالله muhammad abd allah עדות 1999 03 12"


def test_version_names_the_rules_and_the_unicode_database() -> None:
    assert f"1/unicode-{unicodedata.unidata_version}" == NORMALISATION_VERSION


# --- tokens and fts_query -------------------------------------------------------------------


def test_tokens_are_the_words_of_normalise() -> None:
    assert tokens("عبد الله، فاطمة  و فاطمة") == ["عبدالله", "فاطمه", "و", "فاطمه"]
    assert tokens("") == []
    assert tokens("  ؟ ") == []


def test_fts_query_strips_syntax_and_keeps_keywords_as_plain_words() -> None:
    query = 'foo AND "bar*" OR (baz) NOT NEAR/2 qux^ col:val -x +y {a b} [c]'
    assert fts_query(query) == [
        "foo", "and", "bar", "or", "baz", "not", "near", "2", "qux", "col", "val", "x", "y",
        "a", "b", "c",
    ]  # fmt: skip


def test_fts_query_drops_repeats_in_order() -> None:
    assert fts_query("Khan khān KHAN Ahmad أحمد احمد") == ["khan", "ahmad", "احمد"]
    assert fts_query("*:^()\"'") == []


def test_query_tokens_find_the_indexed_text_in_sqlite_fts5() -> None:
    """End to end through FTS5 with the ``ascii`` tokenizer (splits on the ASCII space only)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize = 'ascii')")
    bodies = [
        "حضر مُحَمَّد عبدُ اللّٰه إلى المحكمة",
        "שָׁלוֹם עֲלֵיכֶם",
        "Imran KHĀN, 1999",
    ]
    db.executemany("INSERT INTO doc(body) VALUES (?)", [(normalise(b),) for b in bodies])

    def search(query: str) -> list[int]:
        terms = " ".join(f'"{t}"*' for t in fts_query(query))
        rows = db.execute("SELECT rowid FROM doc WHERE doc MATCH ?", (terms,)).fetchall()
        return sorted(row[0] for row in rows)

    assert search("محمد عبد الله") == [1]
    assert search("عبدالله") == [1]
    assert search("عبد هللا") == [1]
    assert search("المحكمة") == [1]
    assert search("محكمة") == []  # no light stemming: the article ال is part of the word
    assert search("שלום") == [2]
    assert search("עלי") == [2]
    assert search("khan 1999") == [3]
    assert search('"imran" (khan*) ^1999') == [3]
    # Keywords are plain words: "and" must occur in the text, which it does not.
    assert search('"imran" AND (khan*)') == []
    assert search("and") == []


# --- properties -----------------------------------------------------------------------------

ARABIC_AND_HEBREW = st.characters(
    min_codepoint=0x0590, max_codepoint=0x08FF, exclude_categories=("Cs",)
)
INTERESTING = st.one_of(
    ARABIC_AND_HEBREW,
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),
    st.characters(min_codepoint=0xFB1D, max_codepoint=0xFEFF),
    st.sampled_from([*ZERO_WIDTH, " ", "\t", "'", '"', "-", "\u00a0", "ـ", "ß", "İ", "ﷲ"]),
    st.characters(max_codepoint=0x024F),
)
# A small alphabet, so that the letters the rules look at meet each other often.
DENSE_ARABIC = st.sampled_from([*"عبدالهيءئىأإآةؤو ـ،", "\u064e", "\u0651", "\u0670", "\u200c"])
ANY_TEXT = st.one_of(
    st.text(), st.text(alphabet=INTERESTING), st.text(alphabet=DENSE_ARABIC, max_size=12)
)


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_normalise_is_idempotent(value: str) -> None:
    once = normalise(value)
    assert normalise(once) == once


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_output_never_contains_diacritics_tatweel_or_zero_width(value: str) -> None:
    assert_clean(normalise(value))


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_fts_query_tokens_are_only_letters_and_digits(value: str) -> None:
    query = fts_query(value)
    assert len(query) == len(set(query))
    assert set(query) <= set(tokens(value))
    for token in query:
        assert token
        assert_clean(token)
        assert " " not in token
        assert not set(token) & set("\"'*^:()+-{}[]./\\,;")


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_tokens_join_back_to_normalise(value: str) -> None:
    assert " ".join(tokens(value)) == normalise(value)
    assert join_compounds(normalise(value)) == normalise(value)


def test_every_bmp_code_point_alone_is_clean_and_idempotent() -> None:
    for code_point in range(0x10000):
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        once = normalise(chr(code_point))
        assert normalise(once) == once, f"U+{code_point:04X}"
        assert_clean(once)
    assert len(text._TABLE) <= text._TABLE_LIMIT  # the lazily filled table stays bounded


# A name and the ways people, keyboards and PDF extractors write it.
NAMES = [
    "محمد",
    "أحمد",
    "فاطمة",
    "مصطفى",
    "عبد الله",
    "عبد الرحمن بن عوف",
    "عائشة",
    "يحيى",
    "إبراهيم",
    "آمنة",
    "مؤمن",
    "نور الهدى",
    "كريم",
    "שלום",
    "יוסף כהן",
    "מרים",
    "צבי",
    "Khan",
    "Ahmad al Sayed",
]
SWAPS: dict[str, list[str]] = {
    "ا": ["ا", "أ", "إ", "آ", "ٱ"],
    "أ": ["ا", "أ", "إ", "آ", "ٱ"],
    "إ": ["ا", "أ", "إ", "آ", "ٱ"],
    "آ": ["ا", "أ", "إ", "آ", "ٱ"],
    "ي": ["ي", "ى", "ی", "ئ"],
    "ى": ["ي", "ى", "ی", "ئ"],
    "ئ": ["ي", "ى", "ی", "ئ"],
    "ه": ["ه", "ة"],
    "ة": ["ه", "ة"],
    "ك": ["ك", "ک"],
    "و": ["و", "ؤ"],
    "ؤ": ["و", "ؤ"],
    "כ": ["כ", "ך"],
    "ך": ["כ", "ך"],
    "מ": ["מ", "ם"],
    "ם": ["מ", "ם"],
    "נ": ["נ", "ן"],
    "ן": ["נ", "ן"],
    "פ": ["פ", "ף"],
    "ף": ["פ", "ף"],
    "צ": ["צ", "ץ"],
    "ץ": ["צ", "ץ"],
}
ARABIC_MARKS = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670", "\u06e1", "\u06da"]
HEBREW_MARKS = [chr(c) for c in range(0x05B0, 0x05BD)] + ["\u05c1", "\u05c2", "\u0596", "\u05a5"]
LATIN_MARKS = [chr(c) for c in range(0x0300, 0x0370)]
INVISIBLE = [c for c in ZERO_WIDTH if c != "\u200b"]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", " ، ", " - ", "\u200b"]


def script_marks(char: str) -> list[str]:
    if "\u0600" <= char <= "\u06ff":
        return ARABIC_MARKS
    if "\u05d0" <= char <= "\u05ea":
        return HEBREW_MARKS
    return LATIN_MARKS


@st.composite
def written_variant(draw: st.DrawFn, name: str) -> str:
    out: list[str] = []
    for char in name:
        if char == " ":
            out.append(draw(st.sampled_from(SPACES)))
            continue
        letter = draw(st.sampled_from(SWAPS.get(char, [char])))
        if letter.isascii():
            letter = draw(st.sampled_from([letter.lower(), letter.upper()]))
        out.append(letter)
        out.extend(draw(st.lists(st.sampled_from(script_marks(char)), max_size=2)))
        if "\u0600" <= char <= "\u06ff":
            out.append(draw(st.sampled_from(["", "", TATWEEL, TATWEEL * 3])))
        out.extend(draw(st.lists(st.sampled_from(INVISIBLE), max_size=1)))
    return "".join(out)


@st.composite
def name_and_variant(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(NAMES))
    return name, draw(written_variant(name))


@settings(max_examples=300, deadline=None)
@given(name_and_variant())
def test_written_variants_of_a_name_normalise_alike(pair: tuple[str, str]) -> None:
    name, variant = pair
    assert normalise(variant) == normalise(name)
    assert fts_query(variant) == fts_query(name)


def test_the_names_normalise_to_these_forms() -> None:
    """Pins the canonical forms the variant property compares against."""
    assert [normalise(n) for n in NAMES] == [
        "محمد", "احمد", "فاطمه", "مصطفي", "عبدالله", "عبدالرحمن بن عوف", "عايشه", "يحيي",
        "ابراهيم", "امنه", "مومن", "نور الهدي", "كريم", "שלומ", "יוספ כהנ", "מרימ", "צבי", "khan",
        "ahmad al sayed",
    ]  # fmt: skip
