"""Suggestions of identifying details in a text, and their masking: pure functions (no Django).

A suggestion is a span of the text (start and end as `str` indices) and a category. The
detectors look for what identifies a person in testimonies from the region: names (the
witness's own, capitalised Latin names, Arabic and Hebrew names after the words that introduce
them, Arabic kinship chains), ID numbers (9-digit Palestinian and Israeli identity numbers,
passport-like numbers, numbers after "ID" or "passport" in the three languages), phone numbers
(international, +970/+972 and local 0X formats, in Western and Arabic-Indic digits), e-mail
addresses and simple street addresses. They are deliberately generous: a person reviews every
suggestion, rejects the false ones and adds what was missed.

Applying masks each accepted span with the same text (MASK) whatever its length, so that the
length of what was removed does not leak. Overlapping or touching spans are masked as one.
"""

# Arabic and Hebrew letters, and the Hebrew geresh, are what this module looks for.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MASK = "[REDACTED]"


class Category:
    IDENTITY = "identity"  # the witness's own name or contacts (protection officers only)
    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    MANUAL = "manual"  # added by the reviewer

    ALL = (IDENTITY, EMAIL, PHONE, ID_NUMBER, ADDRESS, NAME, MANUAL)


# When suggestions overlap they become one, of the category that comes first here.
PRIORITY = {category: rank for rank, category in enumerate(Category.ALL)}


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    category: str

    def key(self) -> str:
        """A form-safe key that names the span without its text: `start:end:category`."""
        return f"{self.start}:{self.end}:{self.category}"


class SpanError(ValueError):
    """A span that does not fit the text, or an unknown category."""


def parse_span(key: str, *, default_category: str = Category.MANUAL) -> Span:
    """`START:END[:CATEGORY]` as written by `Span.key` (and typed on the command line)."""
    parts = key.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.strip().isdigit() for p in parts[:2]):
        raise SpanError(f"{key!r} is not a span: write START:END (character positions)")
    category = parts[2].strip() if len(parts) == 3 else default_category
    if category not in PRIORITY:
        raise SpanError(f"unknown category {category!r}: use one of {', '.join(Category.ALL)}")
    return Span(int(parts[0]), int(parts[1]), category)


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------
# Character classes

D = "[0-9\u0660-\u0669\u06f0-\u06f9]"  # a decimal digit: Western, Arabic-Indic, Persian
UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f\u1e00-\u1eff'\u2019"
CAP_WORD = f"[{UPPER}][{LOWER}]+(?:-[{UPPER}]?[{LOWER}]+)*"
# An Arabic word: letters, tatweel and the harakat written inside words.
AR_WORD = "[\u0621-\u063a\u0640-\u065f\u0670-\u06d3]+"
HE_WORD = "[\u05d0-\u05ea][\u05d0-\u05ea\u05f3\u05f4\"']*"
NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
NOT_LETTER_AFTER = r"(?![^\W\d_])"
# Before a number: no digit, no Latin letter (an Arabic conjunction may be attached: و+972...).
NOT_NUMBER_BEFORE = r"(?<![0-9A-Za-z\u0660-\u0669\u06f0-\u06f9+])"

# ---------------------------------------------------------------------------------------------
# E-mail, phone, ID numbers

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")

PHONE_INTERNATIONAL = re.compile(
    rf"{NOT_NUMBER_BEFORE}(?:\+|00){D}{{1,3}}"
    rf"(?:[ \-.]?\(?{D}{{1,4}}\)?){{1,4}}[ \-.]?{D}{{2,6}}(?!\w)"
)
# Local numbers of Palestine and Israel: 05X-XXX-XXXX (mobile), 0X-XXX-XXXX (landline).
PHONE_LOCAL = re.compile(rf"{NOT_NUMBER_BEFORE}0{D}{{1,2}}[ \-.]?{D}{{3}}[ \-.]?{D}{{3,4}}(?!\w)")
# Other local formats with an area code: (0XXX) XXX XXXX, 07700 900917.
PHONE_AREA = re.compile(
    rf"{NOT_NUMBER_BEFORE}\(?0{D}{{2,4}}\)?[ \-.]{D}{{3,4}}[ \-.]?{D}{{3,4}}(?!\w)"
)

ID_NINE_DIGITS = re.compile(rf"{NOT_NUMBER_BEFORE}(?<![\-/.]){D}{{9}}(?![\w\-/]|\.\d)")
ID_PASSPORT = re.compile(rf"(?<![\w\-])[A-Z]{{1,2}}{D}{{6,9}}(?![\w\-])")
ID_AFTER_WORD = re.compile(
    r"(?:\b(?:ID|I\.D\.|identity(?:\s+card)?|passport|national\s+number)"
    r"|(?:رقم\s+)?(?:الهوية|هوية|هويته|هويتها|جواز\s+السفر|جواز\s+سفر|جواز|الجواز)"
    r"|ת\.?ז\.?|תעודת\s+זהות|דרכון)"
    r"\s*(?:no\.?|number|#|رقم|מס['׳]?)?\s*[:#]?\s*"
    rf"(?P<value>[A-Z]{{0,2}}{D}(?:[ \-]?{D}){{4,12}})(?![\w])",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------
# Names

LATIN_STOP = words(
    """the a an and or but on in at of to for from by with as if when then after before during
    while since until this that these those there here we he she they it i you my his her our
    their your its me him them us mr mrs ms miss dr prof yes no not did was were is are be
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december god allah"""
)
CONNECTORS = "al|el|bin|ibn|bint|abu|abd|umm|van|von|de|da|di|du|la|le|ben|bar|bat"
CAP_SEQUENCE = re.compile(
    rf"{NOT_LETTER_BEFORE}{CAP_WORD}(?:[ \t]+(?:(?:{CONNECTORS})[ \t\-]+)?{CAP_WORD})+"
)
LATIN_TRIGGER = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sheikh|Shaykh|Hajj|Haj|Hajja|Sayyid|Sayed|Abu|Umm|Um)\.?"
    r"|\b(?:[Mm]y name is|[Ii] am called|[Nn]amed|[Cc]alled|[Nn]ame:)"
    r"|\b(?:[Mm]y|[Hh]is|[Hh]er|[Oo]ur|[Tt]heir)[ \t]+(?:brother|sister|son|daughter|husband|wife"
    r"|father|mother|cousin|uncle|aunt|nephew|niece|neighbou?r|friend|grandfather|grandmother)"
    r"(?:-in-law)?,?)"
    rf"[ \t]+(?P<value>{CAP_WORD}(?:[ \t]+(?:(?:{CONNECTORS})[ \t\-]+)?{CAP_WORD}){{0,3}})"
)

AR_STOP = words(
    """في من إلى الى على عن مع عند بعد قبل قال قالت إن ان أن و ثم هو هي هم كان كانت كنت
    الذي التي الذين هذا هذه ذلك تلك لقد قد لم لن لا ما ماذا يوم ليلة أنا انا نحن أنت وأنا
    وانا وهو وهي وكان وكانت وقد وفي ومن وقال وقالت وعندما عندما حيث حين بين أمام خلف داخل
    كل بعض جميع أي أو اي او لكن بل حتى منذ إذا اذا لأن لان وكنت كنا وكنا ايضا أيضا"""
)
AR_TRIGGERS = (
    "اسمي|إسمي|أسمي|أدعى|ادعى|يدعى|تدعى|المدعو|المدعوة|السيد|السيدة|الحاج|الحاجة|الشيخ|"
    "الدكتور|الدكتورة|الأستاذ|الاستاذ|الأستاذة|الاستاذة|الشهيد|الشهيدة|الطفل|الطفلة|"
    "المواطن|المواطنة|أخي|اخي|أختي|اختي|ابني|إبني|ابنتي|زوجي|زوجتي|والدي|والدتي"
)
AR_TRIGGER = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:[وف])?(?:{AR_TRIGGERS})\s+(?P<value>{AR_WORD}(?:\s+{AR_WORD}){{0,3}})"
)
# Kinship chains: Muhammad bin Ali, Abu Ahmad, Umm Khalil, Abd al-Rahman.
AR_KINSHIP = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:{AR_WORD}\s+)?(?:بن|ابن|إبن|بنت)\s+{AR_WORD}"
    rf"(?:\s+(?:بن|ابن|إبن|بنت)\s+{AR_WORD})*"
)
AR_KUNYA = re.compile(rf"{NOT_LETTER_BEFORE}(?:أبو|ابو|أبي|ابي|أم|ام)\s+{AR_WORD}")
AR_ABD = re.compile(rf"{NOT_LETTER_BEFORE}عبد\s?ال{AR_WORD}")
HE_TRIGGER = re.compile(
    r"(?:שמי|קוראים לי|ששמו|ששמה|בשם|מר|גברת|הגברת|ד\"ר|ד״ר)"
    rf"\s+(?P<value>{HE_WORD}(?:\s+{HE_WORD}){{0,2}})"
)
HE_STOP = words("את של על עם אני הוא היא הם הן זה זאת כי גם אבל או לא כן גר גרה גרים היה היתה היו")

# ---------------------------------------------------------------------------------------------
# Addresses

STREET = r"(?:(?:Street|Road|Avenue|Lane|Boulevard|Drive|Square)\b|(?:St|Rd|Ave|Ln|Blvd|Sq)\b\.?)"
ADDRESS_EN = re.compile(
    rf"\b{D}{{1,5}}[A-Za-z]?,?[ \t]+(?:{CAP_WORD}[ \t]+){{1,4}}{STREET}"
    rf"|\b(?:{CAP_WORD}[ \t]+){{1,3}}(?:Street|Road|Avenue|Lane|Boulevard)\b"
    rf"(?:,?[ \t]*(?:(?:No\.?|number|building|bldg\.?)[ \t]*)?{D}{{1,5}}[A-Za-z]?\b)?"
)
ADDRESS_UNIT = re.compile(
    rf"\b(?:apartment|apt\.?|flat|building|bldg\.?|floor)[ \t]*(?:no\.?[ \t]*)?{D}{{1,4}}"
    r"[A-Za-z]?\b",
    re.IGNORECASE,
)
ADDRESS_AR = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:[وفب])?(?:شارع|طريق|حي|حارة|عمارة|بناية|برج|مخيم|دوار|ميدان|شقة)"
    rf"\s+(?P<value>(?:رقم\s*)?(?:{AR_WORD}|{D}{{1,5}})(?:\s+(?:{AR_WORD}|{D}{{1,5}}))?)"
)
ADDRESS_HE = re.compile(
    rf"(?:רחוב|רח['׳]|שדרות|שד['׳]|שכונת)\s+{HE_WORD}(?:\s+{HE_WORD})?(?:\s+{D}{{1,4}})?"
)


# ---------------------------------------------------------------------------------------------
# Detection


def _digits(text: str) -> int:
    return sum(1 for ch in text if ch.isdigit())


def _phones(text: str) -> Iterable[Span]:
    for match in PHONE_INTERNATIONAL.finditer(text):
        if 8 <= _digits(match.group()) <= 15:
            yield Span(match.start(), match.end(), Category.PHONE)
    for pattern in (PHONE_LOCAL, PHONE_AREA):
        for match in pattern.finditer(text):
            if 9 <= _digits(match.group()) <= 11:
                yield Span(match.start(), match.end(), Category.PHONE)


def _id_numbers(text: str) -> Iterable[Span]:
    for pattern in (ID_NINE_DIGITS, ID_PASSPORT):
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), Category.ID_NUMBER)
    for match in ID_AFTER_WORD.finditer(text):
        yield Span(match.start("value"), match.end("value"), Category.ID_NUMBER)


PUNCTUATION = ".,;:!?()\"'،؛؟"


def _is_stop(word: str, stop: frozenset[str], *, lower: bool = False) -> bool:
    """A stop word, also with the conjunction "and" attached (Arabic و, Hebrew ו)."""
    word = word.strip(PUNCTUATION)
    if lower:
        word = word.lower()
    return word in stop or (len(word) > 2 and word[0] in "وו" and word[1:] in stop)


def _trim_words(
    text: str, start: int, end: int, stop: frozenset[str], *, lower: bool = False
) -> tuple[int, int] | None:
    """The span without the stop words at its ends (as positions in `text`)."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]

    def is_stop(pair: tuple[int, int]) -> bool:
        return _is_stop(text[pair[0] : pair[1]], stop, lower=lower)

    while words and is_stop(words[0]):
        words.pop(0)
    while words and is_stop(words[-1]):
        words.pop()
    if not words:
        return None
    return words[0][0], words[-1][1]


def _first_words_until_stop(
    text: str, start: int, end: int, stop: frozenset[str]
) -> tuple[int, int] | None:
    """The words from `start` up to the first stop word."""
    last = None
    for match in re.finditer(r"\S+", text[start:end]):
        if _is_stop(match.group(), stop):
            break
        last = start + match.end()
    return (start, last) if last is not None else None


def _latin_names(text: str) -> Iterable[Span]:
    for match in CAP_SEQUENCE.finditer(text):
        trimmed = _trim_words(text, match.start(), match.end(), LATIN_STOP, lower=True)
        if trimmed is None:
            continue
        words = re.findall(rf"[{UPPER}]\S*", text[trimmed[0] : trimmed[1]])
        if len(words) >= 2:
            yield Span(trimmed[0], trimmed[1], Category.NAME)
    for match in LATIN_TRIGGER.finditer(text):
        trimmed = _trim_words(
            text, match.start("value"), match.end("value"), LATIN_STOP, lower=True
        )
        if trimmed is not None:
            yield Span(trimmed[0], trimmed[1], Category.NAME)


def _arabic_names(text: str) -> Iterable[Span]:
    for match in AR_TRIGGER.finditer(text):
        found = _first_words_until_stop(text, match.start("value"), match.end("value"), AR_STOP)
        if found is not None:
            yield Span(found[0], found[1], Category.NAME)
    for pattern in (AR_KINSHIP, AR_KUNYA, AR_ABD):
        for match in pattern.finditer(text):
            trimmed = _trim_words(text, match.start(), match.end(), AR_STOP)
            if trimmed is not None:
                yield Span(trimmed[0], trimmed[1], Category.NAME)
    for match in HE_TRIGGER.finditer(text):
        found = _first_words_until_stop(text, match.start("value"), match.end("value"), HE_STOP)
        if found is not None:
            yield Span(found[0], found[1], Category.NAME)


def _addresses(text: str) -> Iterable[Span]:
    for pattern in (ADDRESS_EN, ADDRESS_UNIT, ADDRESS_HE):
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), Category.ADDRESS)
    for match in ADDRESS_AR.finditer(text):
        found = _first_words_until_stop(text, match.start("value"), match.end("value"), AR_STOP)
        if found is not None:
            yield Span(match.start(), found[1], Category.ADDRESS)


def _emails(text: str) -> Iterable[Span]:
    for match in EMAIL.finditer(text):
        yield Span(match.start(), match.end(), Category.EMAIL)


def detect(text: str) -> list[Span]:
    """Every suggestion of the pattern detectors, overlapping ones merged (see `merge`)."""
    found: list[Span] = []
    for detector in (_emails, _phones, _id_numbers, _addresses, _latin_names, _arabic_names):
        found.extend(detector(text))
    return merge(found)


# ---------------------------------------------------------------------------------------------
# The witness's own identity

# Letters written in several ways: a name typed with one form is found written with another.
LETTER_FORMS = {
    "ا": "اأإآٱ",
    "أ": "اأإآٱ",
    "إ": "اأإآٱ",
    "آ": "اأإآٱ",
    "ٱ": "اأإآٱ",
    "ي": "يىی",
    "ى": "يىی",
    "ی": "يىی",
    "ه": "هة",
    "ة": "هة",
    "ك": "كک",
    "ک": "كک",
}
ARABIC_MARKS = "[\u064b-\u065f\u0670\u0640]*"  # harakat and tatweel, between letters
NAME_PARTICLES = words(
    "al el bin ibn bint abu abd umm van von de da di du la le ben bar bat "
    "ال بن ابن بنت أبو ابو أم ام"
)
SEPARATORS = r"[\s\-\u2010\u2011]+"


def _strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    kept = "".join(
        ch
        for ch in decomposed
        if not (unicodedata.category(ch) == "Mn" and ("\u0300" <= ch <= "\u036f"))
    )
    return unicodedata.normalize("NFC", kept.replace("\u0640", ""))


def _word_pattern(word: str) -> str:
    parts = []
    for ch in _strip_marks(word):
        if "\u064b" <= ch <= "\u065f" or ch == "\u0670":
            continue  # harakat are optional: the pattern allows them anywhere
        forms = LETTER_FORMS.get(ch)
        if forms:
            parts.append(f"[{forms}]")
        elif ch.isalpha():
            # A Latin letter matches its accented forms too (combining marks after it).
            parts.append(re.escape(ch) + "[\u0300-\u036f]*")
        else:
            parts.append(re.escape(ch))
    return ARABIC_MARKS.join(parts)


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(SEPARATORS, name.strip()) if w]


def name_pattern(name: str) -> re.Pattern[str] | None:
    """A pattern that finds the whole name, or any of its parts of three letters or more
    (a transcript names the witness by first or family name), in any spelling of the letters
    that Arabic writes in several ways, with or without diacritics. An Arabic prefix
    (و, ب, ل, ف, ك) attached to the name is left outside the match."""
    words = _name_words(name)
    if not words:
        return None
    full = SEPARATORS.join(_word_pattern(w) for w in words)
    parts = sorted(
        {
            _word_pattern(w)
            for w in words
            if len(_strip_marks(w)) >= 3 and w.lower() not in NAME_PARTICLES
        },
        key=len,
        reverse=True,
    )
    alternatives = "|".join([full, *parts])
    return re.compile(
        rf"{NOT_LETTER_BEFORE}(?:[وبلفك](?=[\u0621-\u064a]))?"
        rf"(?P<value>{alternatives}){NOT_LETTER_AFTER}",
        re.IGNORECASE,
    )


def digits_pattern(digits: str) -> re.Pattern[str]:
    """A run of these digits, in Western or Arabic-Indic form, with separators between."""
    classes = []
    for ch in digits:
        value = unicodedata.digit(ch)
        classes.append(f"[{value}{chr(0x0660 + value)}{chr(0x06F0 + value)}]")
    return re.compile(r"(?<![\w])\+?" + r"[ \-.()]*".join(classes) + r"(?![\w])")


def _phone_variants(value: str) -> set[str]:
    """The digits of a phone number and its local form (+970 59... is also written 059...)."""
    digits = "".join(str(unicodedata.digit(ch)) for ch in value if ch.isdigit())
    variants = {digits}
    for prefix in ("00970", "00972", "970", "972"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
            variants.add("0" + digits[len(prefix) :])
            variants.add(digits[len(prefix) :])
    if digits.startswith("00"):
        variants.add(digits[2:])
    return {v for v in variants if len(v) >= 6}


def _names_in_details(details: str) -> list[str]:
    """Short runs of words in the identifying details, which often give the name in another
    script or other names ("Arabic name: ...; mother: ..."): each line or item of a list, after
    its label, when it is one to five words of letters only."""
    names = []
    for segment in re.split(r"[\n;,،؛]", details):
        value = segment.rsplit(":", 1)[-1].strip()
        words = _name_words(value)
        if 1 <= len(words) <= 5 and all(
            re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)*", w) for w in words
        ):
            names.append(value)
    return names


def identity_spans(
    text: str, *, name: str = "", contacts: str = "", details: str = ""
) -> list[Span]:
    """Where the witness's own name, e-mail addresses, phone numbers and ID numbers (from the
    contacts and details of the identity) appear in the text. The identity is only compared
    here, in memory; nothing of it is returned but positions in `text`."""
    spans: list[Span] = []
    for written in [name, *_names_in_details(details)]:
        pattern = name_pattern(written) if written.strip() else None
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            spans.append(Span(match.start("value"), match.end("value"), Category.IDENTITY))
    for email in EMAIL.findall(f"{contacts}\n{details}"):
        for match in re.finditer(re.escape(email), text, re.IGNORECASE):
            spans.append(Span(match.start(), match.end(), Category.IDENTITY))
    numbers = re.findall(rf"\+?{D}[{D[1:-1]} \-.()]{{4,}}{D}", f"{contacts}\n{details}")
    wanted: set[str] = set()
    for number in numbers:
        wanted |= _phone_variants(number)
    for digits in sorted(wanted):
        for match in digits_pattern(digits).finditer(text):
            spans.append(Span(match.start(), match.end(), Category.IDENTITY))
    return merge(spans)


# ---------------------------------------------------------------------------------------------
# Spans


def phrase_spans(text: str, phrases: Iterable[str]) -> list[Span]:
    """Every occurrence of each phrase (case-insensitive; any run of blanks matches any other),
    for the passages a reviewer adds by hand."""
    spans: list[Span] = []
    for phrase in phrases:
        words = phrase.split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
        spans.extend(Span(m.start(), m.end(), Category.MANUAL) for m in pattern.finditer(text))
    return spans


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping spans as one (their union), of the first category in PRIORITY; sorted."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in ordered:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            category = min(last.category, span.category, key=lambda c: PRIORITY.get(c, 99))
            merged[-1] = Span(last.start, max(last.end, span.end), category)
        else:
            merged.append(span)
    return merged


def check_spans(text: str, spans: Iterable[Span]) -> list[Span]:
    """The spans, checked against the text: inside it, not empty, of a known category."""
    checked = []
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            raise SpanError(
                f"span {span.start}:{span.end} is outside the text (0:{len(text)}) or empty"
            )
        if span.category not in PRIORITY:
            raise SpanError(f"unknown category {span.category!r}")
        checked.append(span)
    return checked


@dataclass(frozen=True)
class Masked:
    text: str
    spans: int  # the accepted spans (before touching ones were joined)
    passages: int  # the passages replaced by MASK
    categories: dict[str, int]  # accepted spans per category


def mask(text: str, spans: Sequence[Span]) -> Masked:
    """The text with each accepted span replaced by MASK. Overlapping and touching spans are
    one passage, so that two masks never stand side by side for one name."""
    accepted = check_spans(text, spans)
    counts = Counter(s.category for s in accepted)
    passages: list[tuple[int, int]] = []
    for span in sorted(accepted):
        if passages and span.start <= passages[-1][1]:
            passages[-1] = (passages[-1][0], max(passages[-1][1], span.end))
        else:
            passages.append((span.start, span.end))
    pieces = []
    cursor = 0
    for start, end in passages:
        pieces.append(text[cursor:start])
        pieces.append(MASK)
        cursor = end
    pieces.append(text[cursor:])
    categories = {c: counts[c] for c in Category.ALL if counts[c]}
    return Masked("".join(pieces), len(accepted), len(passages), categories)
