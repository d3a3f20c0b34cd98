"""Search-text normalisation for Arabic, Hebrew, Persian/Urdu and Latin-script text.

One function, :func:`normalise`, is applied to BOTH sides of full-text search: to the text that
is indexed and to the text that is queried, on SQLite FTS5 and on PostgreSQL alike, and later to
names in victim-list matching. It is pure (no Django, no I/O), deterministic, and idempotent:
``normalise(normalise(x)) == normalise(x)``.

Why it is written here by hand: no maintained package does Arabic *and* Hebrew search folding
with rules we can pin and run identically in front of both databases. Arabic-only toolkits
(pyarabic, camel-tools, a crop of new single-author packages) cover half the job and bring their
own choices; FTS5's ``unicode61`` tokenizer knows Unicode 6.1 only and folds Latin accents only;
PostgreSQL's ``unaccent`` is a server extension with its own table. Doing it once in Python and
handing both databases already-folded text is the only way the two backends agree.

The rules, in the order they run
--------------------------------
1. Unicode NFKC, then ``str.casefold()``. NFKC folds compatibility forms: Arabic presentation
   forms (``ﻣ`` -> ``م``, the ligature ``ﷲ`` -> ``الله``), Hebrew presentation forms, full-width
   Latin, ligatures such as ``ﬁ``, superscript digits. Between the two, ``ۀ`` is mapped to
   ``ه`` (see step 2) and a stray combining ypogegrammeni U+0345 is removed, the one stripped
   mark that casefold would otherwise turn into a letter.
2. Letter folding. (Steps 2 and 3 are one ``str.translate`` table, applied after NFD.)

   * Arabic: ``ٱ ٲ ٳ`` -> ``ا``; alef maqsura ``ى`` and Persian ``ی`` -> ``ي``; Persian/Urdu
     keheh ``ک`` -> ``ك``; taa marbuta ``ة`` (and Urdu ``ۃ``) -> ``ه``; Urdu heh goal ``ہ`` and
     Persian heh-with-hamza ``ۀ`` -> ``ه``.
     The hamza-carrying letters ``أ إ آ ؤ ئ`` are folded by the next step: their canonical
     decomposition is the bare letter plus a combining hamza/madda, and those marks are removed.
   * Hebrew final forms ``ך ם ן ף ץ`` -> ``כ מ נ פ צ``. Decision: a final letter is the same
     letter; folding it lets a query typed as a whole word (``שלום``) still prefix-match a longer
     indexed word (``שלומית``) and copes with PDF text that puts a final form mid-word.
   * Latin letters whose "accent" is part of the glyph, not a combining mark:
     ``ı ł ø đ ħ ŧ`` -> ``i l o d h t``; ``æ œ`` -> ``ae oe`` (``ß`` is already ``ss`` by casefold).
   * Every decimal digit (Unicode category Nd: Arabic-Indic ``٠-٩``, Eastern Arabic-Indic
     ``۰-۹``, Devanagari, ...) -> its ASCII digit.
3. Removal, on the canonically decomposed (NFD) text, of:

   * combining marks (category Mn/Me) in these blocks: Latin/Greek/Cyrillic combining
     diacritics U+0300-036F, U+0483-0489, U+1AB0-1AFF, U+1DC0-1DFF, U+20D0-20FF, U+FE20-FE2F
     (so ``é`` -> ``e`` and ``Khān`` -> ``khan``); Hebrew niqqud and cantillation
     U+0591-05C7 and U+FB1E; Arabic harakat and hamza/madda marks U+064B-065F, superscript alef
     U+0670, Quranic marks U+0610-061A, U+06D6-06ED, U+0898-08FF; variation selectors.
     Marks of other scripts (Devanagari vowel signs, ...) are part of the spelling and are kept.
   * tatweel U+0640, the Quranic small waw/yaa U+06E5/06E6 and the high hamza U+0674 (which
     NFKC leaves after ``ٵ ٶ ٸ``).
   * every format character (category Cf): ZWJ/ZWNJ, LRM/RLM, the Arabic letter mark U+061C,
     bidi embeddings/overrides/isolates U+202A-202E and U+2066-2069, BOM U+FEFF, soft hyphen,
     word joiner. They are *removed*, not turned into spaces, because they sit inside words.
     The exception is ZERO WIDTH SPACE U+200B, which is a word break and becomes a space.
   * apostrophe-like characters: ``' ‘ ’ ‛ ` "`` and the modifier letters ``ʹ ʻ ʼ ʽ ʾ ʿ``, and
     the Hebrew geresh/gershayim ``׳ ״``. Removed, so ``O'Brien`` = ``obrien``,
     ``Saʿīd`` = ``Sa'id`` = ``said``, ``צה״ל`` = ``צה"ל`` = ``צהל``.
4. Everything else that is not a letter, digit or (kept) mark becomes a space: punctuation,
   including the Arabic comma/semicolon/question mark ``، ؛ ؟``, the Hebrew maqaf ``־`` and
   hyphens (decision: maqaf behaves like a hyphen, i.e. separates words), symbols, controls,
   whitespace of every kind, private-use and unassigned code points. Then NFC recomposition,
   and whitespace is collapsed to single ASCII spaces with none at either end.
5. Hamza: the standalone letter ``ء`` is KEPT (``علاء`` Alaa and ``علا`` Ola are different
   names, and because queries are prefix queries, a query typed without the final hamza still
   finds the word with it). Only its redundant spelling after yaa is dropped: ``يء`` -> ``ي``,
   so ``شيء`` = ``شئ`` and ``شاطىء`` = ``شاطئ``. Hamza *on a carrier* is always dropped (step 3).
6. Token rules (:func:`join_compounds`, applied inside :func:`normalise` so index and query can
   never disagree):

   * the token ``هللا`` (how PDF text extraction mangles the ``الله`` ligature) -> ``الله``, and
     ``عبدهللا`` -> ``عبدالله``;
   * the word ``عبد`` is joined to the next word when that word starts with ``ال`` or is ``ربه``:
     ``عبد الله`` -> ``عبدالله``, ``عبد الرحمن`` -> ``عبدالرحمن``, ``عبد ربه`` -> ``عبدربه``.
     Nothing else is joined: ``ابو``/``أبو``, ``ابن`` and ``بن`` stay separate words, because
     joining them would hide the second word (``بكر`` in ``ابو بكر``, the family name after
     ``بن``) from search. So ``ابوبكر`` does not match ``ابو بكر``; that is a known limit.

The output therefore contains only letters, digits, kept combining marks and single ASCII
spaces. Both backends must cut it on the ASCII space and nothing else. FTS5: the ``ascii``
tokenizer does exactly that (``unicode61`` knows only Unicode 6.1, so it splits on letters added
since and on marks). PostgreSQL: build the tsvector/tsquery from :func:`tokens` (for example
``array_to_tsvector``) rather than trusting its parser, whose idea of a letter follows the
server's locale.

The result depends on the Unicode database of the running Python (``unicodedata``):
:data:`NORMALISATION_VERSION` names both the rules and that Unicode version; store it beside an
index and rebuild the index when it changes.
"""

# The rules are about look-alike letters (ا/l, ه/o, ן/l, quote marks), written as themselves.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "NORMALISATION_VERSION",
    "fts_query",
    "join_compounds",
    "normalise",
    "tokens",
]

RULES_VERSION: Final = 1
UNICODE_VERSION: Final = unicodedata.unidata_version
NORMALISATION_VERSION: Final = f"{RULES_VERSION}/unicode-{UNICODE_VERSION}"

# Combining-mark ranges whose Mn/Me characters are removed (inclusive bounds).
_STRIPPED_MARK_RANGES: Final = (
    (0x0300, 0x036F),  # Combining Diacritical Marks (Latin, Greek, Cyrillic accents)
    (0x0483, 0x0489),  # Cyrillic titlo and friends
    (0x0591, 0x05C7),  # Hebrew cantillation and niqqud
    (0x0610, 0x061A),  # Arabic honorific and small Quranic signs
    (0x064B, 0x065F),  # Arabic harakat, shadda, sukun, combining hamza and madda
    (0x0670, 0x0670),  # Arabic superscript alef
    (0x06D6, 0x06ED),  # Arabic Quranic annotation marks
    (0x0898, 0x08FF),  # Arabic Extended-A/B marks
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x1AB0, 0x1AFF),  # Combining Diacritical Marks Extended
    (0x1DC0, 0x1DFF),  # Combining Diacritical Marks Supplement
    (0x20D0, 0x20FF),  # Combining marks for symbols
    (0xFB1E, 0xFB1E),  # Hebrew point judeo-spanish varika
    (0xFE00, 0xFE0F),  # Variation selectors
    (0xFE20, 0xFE2F),  # Combining half marks
    (0xE0100, 0xE01EF),  # Variation selectors supplement
)

_ALEF: Final = "\u0627"
_YAA: Final = "\u064a"
_KAF: Final = "\u0643"
_HAA: Final = "\u0647"
_HAMZA: Final = "\u0621"

# Applied after NFKC, before casefold and decomposition:
# - U+06C0 decomposes to U+06D5 AE + hamza, and U+06D5 is a distinct Kurdish letter, so it is
#   mapped while it is still whole;
# - the combining ypogegrammeni U+0345 is the one stripped mark that casefold would turn into a
#   letter (iota); a stray one is removed here. (After a Greek vowel NFKC has already composed
#   it into a precomposed letter, which casefold spells out with iota, as Greek requires.)
_PRE_FOLD: Final[dict[int, str | None]] = {0x06C0: _HAA, 0x0345: None}

# Explicit rules; every other code point is classified by _classify() on first sight.
_EXPLICIT: Final[dict[int, int | str | None]] = {
    # Arabic letter variants.
    0x0671: _ALEF,  # ٱ alef wasla
    0x0672: _ALEF,  # ٲ alef with wavy hamza above
    0x0673: _ALEF,  # ٳ alef with wavy hamza below
    0x0649: _YAA,  # ى alef maqsura
    0x06CC: _YAA,  # ی Farsi yeh
    0x06A9: _KAF,  # ک keheh
    0x0629: _HAA,  # ة taa marbuta
    0x06C3: _HAA,  # ۃ Urdu taa marbuta goal
    0x06C1: _HAA,  # ہ heh goal (ۂ decomposes to it)
    0x06C0: _HAA,  # ۀ (also mapped before NFD; kept here for completeness)
    0x0640: None,  # tatweel
    0x0674: None,  # high hamza, left by NFKC after ٵ ٶ ٷ ٸ
    0x06E5: None,  # small waw (Quranic)
    0x06E6: None,  # small yeh (Quranic)
    # Hebrew final forms -> regular forms.
    0x05DA: "\u05db",  # ך -> כ
    0x05DD: "\u05de",  # ם -> מ
    0x05DF: "\u05e0",  # ן -> נ
    0x05E3: "\u05e4",  # ף -> פ
    0x05E5: "\u05e6",  # ץ -> צ
    # Hebrew geresh and gershayim: removed (acronyms and transliteration marks).
    0x05F3: None,
    0x05F4: None,
    # Apostrophes, transliteration ayn/hamza, and ASCII quotes used as (ger)shayim: removed.
    0x0022: None,  # "
    0x0027: None,  # '
    0x0060: None,  # `
    0x2018: None,  # ‘
    0x2019: None,  # ’
    0x201B: None,  # ‛
    0x02B9: None,  # ʹ
    0x02BB: None,  # ʻ
    0x02BC: None,  # ʼ
    0x02BD: None,  # ʽ
    0x02BE: None,  # ʾ
    0x02BF: None,  # ʿ
    # Latin letters that carry their "accent" in the glyph.
    0x0131: "i",  # ı dotless i
    0x0142: "l",  # ł
    0x00F8: "o",  # ø
    0x0111: "d",  # đ
    0x0127: "h",  # ħ
    0x0167: "t",  # ŧ
    0x00E6: "ae",  # æ
    0x0153: "oe",  # œ
    # Zero width space is a word break, not a joiner.
    0x200B: " ",
}

# Sizes bound the lazily-filled table, so that no input can make it grow without limit.
_TABLE_LIMIT: Final = 65_536

_HAMZA_AFTER_YAA: Final = re.compile(f"(?<={_YAA}){_HAMZA}+")

_COMPOUND_HEAD: Final = "\u0639\u0628\u062f"  # عبد
_DEFINITE_ARTICLE: Final = "\u0627\u0644"  # ال
_COMPOUND_TAILS: Final = frozenset({"\u0631\u0628\u0647"})  # ربه
_TOKEN_FIXES: Final[dict[str, str]] = {
    "\u0647\u0644\u0644\u0627": "\u0627\u0644\u0644\u0647",  # هللا -> الله
    "\u0639\u0628\u062f\u0647\u0644\u0644\u0627": "\u0639\u0628\u062f\u0627\u0644\u0644\u0647",
}


def _in_stripped_range(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _STRIPPED_MARK_RANGES)


def _classify(cp: int) -> int | str | None:
    """The table entry for a code point without an explicit rule (see the module docstring)."""
    char = chr(cp)
    category = unicodedata.category(char)
    if category in ("Mn", "Me") and _in_stripped_range(cp):
        return None
    if category == "Cf":
        return None
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category[0] in "LNM":
        return cp
    return " "


class _FoldTable(dict[int, int | str | None]):
    """``str.translate`` table: explicit rules up front, the rest classified once and cached.

    Classifying all 1.1 million code points at import would cost a quarter of a second, so
    entries for characters without an explicit rule are computed when first seen. The cache is
    bounded; past the bound, entries are computed each time (same value, just slower).
    """

    def __missing__(self, cp: int) -> int | str | None:
        value = _classify(cp)
        if len(self) < _TABLE_LIMIT:
            self[cp] = value
        return value


_TABLE: Final = _FoldTable(_EXPLICIT)
# Warm the table for the scripts this platform handles most, so that the common path never
# reaches Python code: ASCII, Latin-1, Latin Extended, combining marks, Hebrew, Arabic.
for _cp in (*range(0x0000, 0x0250), *range(0x0300, 0x0370), *range(0x0590, 0x0780)):
    _TABLE.setdefault(_cp, _classify(_cp))
del _cp


def _fold_characters(text: str) -> list[str]:
    """Steps 1-4 of the module docstring: character folding, returning the word tokens."""
    text = unicodedata.normalize("NFKC", text).translate(_PRE_FOLD).casefold()
    text = unicodedata.normalize("NFD", text).translate(_TABLE)
    text = unicodedata.normalize("NFC", text)
    text = _HAMZA_AFTER_YAA.sub("", text)
    # After the table, the only whitespace left is the ASCII space.
    return text.split()


def _join_token_list(words: list[str]) -> list[str]:
    fixed = [_TOKEN_FIXES.get(word, word) for word in words]
    joined: list[str] = []
    index = 0
    while index < len(fixed):
        word = fixed[index]
        if word == _COMPOUND_HEAD and index + 1 < len(fixed):
            following = fixed[index + 1]
            if following.startswith(_DEFINITE_ARTICLE) or following in _COMPOUND_TAILS:
                joined.append(word + following)
                index += 2
                continue
        joined.append(word)
        index += 1
    return joined


def join_compounds(text: str) -> str:
    """Join compound Arabic names in space-separated, already normalised text.

    ``هللا`` -> ``الله`` and ``عبدهللا`` -> ``عبدالله`` (a PDF-extraction artefact), then
    ``عبد`` + a word starting with ``ال`` (or the word ``ربه``) -> one word:
    ``عبد الله`` -> ``عبدالله``. Nothing else is joined (``ابو``, ``ابن``, ``بن`` are not).
    :func:`normalise` already applies this; it is exposed for callers that hold normalised
    text and for tests. Idempotent. Whitespace is collapsed to single spaces.
    """
    return " ".join(_join_token_list(text.split()))


def normalise(text: str) -> str:
    """Fold ``text`` for search: the same on the indexing and the querying side.

    Returns words of letters, digits and kept combining marks separated by single ASCII spaces
    (see the module docstring for every rule). Idempotent and deterministic for a given
    :data:`NORMALISATION_VERSION`.
    """
    return " ".join(_join_token_list(_fold_characters(text)))


def tokens(text: str) -> list[str]:
    """The words of ``normalise(text)``, in order (duplicates kept)."""
    return _join_token_list(_fold_characters(text))


def fts_query(text: str) -> list[str]:
    """Tokens for a prefix search query typed by a user.

    The same tokens the indexed text was cut into, in order of first appearance with repeats
    dropped (an AND of prefix terms gains nothing from a repeat). Every token consists only of
    letters, digits and kept combining marks, so nothing in it is FTS5 or tsquery syntax:
    quotes, ``*``, ``^``, ``:``, parentheses, ``+``/``-`` are gone, and words such as
    ``AND``/``OR``/``NOT``/``NEAR`` come back casefolded as plain words. The backends add the
    prefix operator themselves; FTS5 should still double-quote each token (``"and"*``) so that
    no future operator keyword can be read as syntax.
    """
    return list(dict.fromkeys(tokens(text)))
