"""The Rome Statute crime catalogue: every crime of articles 6, 7, 8 and 8 bis with its numbered
Elements of Crimes, the shared context elements, the default mental element (article 30) and
the modes of liability (articles 25(3) and 28).

The catalogue is data, versioned with its sources (legal/data/crimes.json and modes.json; see
docs/legal.md for where each text comes from and how it was checked). This module loads it into
immutable typed values and checks it on the way in: a malformed file raises `CatalogueError`
naming the file, the entry and the problem. It imports nothing of Django, so the CLI reads the
catalogue without configuration and the tests exercise it directly.

Lookups accept a crime's id (`RS-7-1-a`) or its article as the Elements of Crimes number it
(`7(1)(a)`, `7 (1) (a)`, `Art. 8 bis`); an unknown reference raises `UnknownEntry` with the
closest known ids.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
CRIMES_FILE = "crimes.json"
MODES_FILE = "modes.json"
# The data files carry this version; a mismatch means code and data were changed apart.
CATALOGUE_VERSION = "2026.1"


class CatalogueError(ValueError):
    """The catalogue data is malformed; the message names the file, the entry and the problem."""


class UnknownEntry(LookupError):
    """No crime (or mode of liability) answers to a reference; carries the closest known ids."""

    def __init__(self, what: str, reference: str, suggestions: tuple[str, ...]) -> None:
        self.what = what
        self.reference = reference
        self.suggestions = suggestions
        message = f"no {what} {reference!r} in the catalogue"
        if suggestions:
            message += f"; did you mean {', '.join(suggestions)}?"
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class ElementKind(StrEnum):
    MATERIAL = "material"  # conduct, consequence or circumstance
    MENTAL = "mental"  # what the perpetrator intended, knew or was aware of
    CONTEXTUAL = "contextual"  # the context the Elements list last (attack, conflict, pattern)


class Category(StrEnum):
    GEN = "GEN"  # genocide, art. 6
    CAH = "CAH"  # crimes against humanity, art. 7(1)
    WC_GB = "WC-GB"  # grave breaches, art. 8(2)(a)
    WC_IAC = "WC-IAC"  # other serious violations in international armed conflict, art. 8(2)(b)
    WC_CA3 = "WC-CA3"  # common article 3, art. 8(2)(c)
    WC_NIAC = "WC-NIAC"  # other serious violations in non-international conflict, art. 8(2)(e)
    AGG = "AGG"  # aggression, art. 8 bis


ARTICLE_PATTERN = re.compile(
    r"^(?:6\([a-e]\)|7\(1\)\([a-k]\)(?:-[1-6])?|8\(2\)\([abce]\)\((?P<roman>[ivx]+)\)(?:-[1-9])?"
    r"|8 bis)$"
)
CATEGORY_OF_PREFIX = {
    "6(": Category.GEN,
    "7(": Category.CAH,
    "8(2)(a)": Category.WC_GB,
    "8(2)(b)": Category.WC_IAC,
    "8(2)(c)": Category.WC_CA3,
    "8(2)(e)": Category.WC_NIAC,
    "8 bis": Category.AGG,
}
ROMAN = {"i": 1, "v": 5, "x": 10}


@dataclass(frozen=True)
class Source:
    id: str
    kind: str  # treaty, elements, resolution, decision, judgment
    title: str
    reference: str
    date: str | None
    url: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "reference": self.reference,
            "date": self.date,
            "url": self.url,
            "note": self.note,
        }


@dataclass(frozen=True)
class Note:
    text: str
    source: str
    footnote: int | None = None  # the footnote's number in the Elements of Crimes

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "footnote": self.footnote}


@dataclass(frozen=True)
class Footnote:
    number: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text}


@dataclass(frozen=True)
class Amendment:
    id: str
    instrument: str
    year: int
    title: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.year} {self.instrument}"


@dataclass(frozen=True)
class Block:
    """An element shared by several crimes, defined once (the CAH attack, the conflict nexus)."""

    id: str
    name: str
    kind: ElementKind
    text: str
    source: str
    notes: tuple[Note, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": str(self.kind),
            "text": self.text,
            "source": self.source,
            "notes": [n.as_dict() for n in self.notes],
        }


@dataclass(frozen=True)
class Element:
    number: int
    text: str
    kind: ElementKind
    source: str
    block: str | None = None  # the shared block this element is an instance of
    variant: str | None = None  # why the wording differs from the block's, where it does
    footnotes: tuple[Footnote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "text": self.text,
            "kind": str(self.kind),
            "block": self.block,
            "source": self.source,
            "footnotes": [f.as_dict() for f in self.footnotes],
        }


@dataclass(frozen=True)
class Crime:
    id: str
    article: str
    category: Category
    name: str
    title: str
    statute_text: str | None
    amendment: Amendment | None
    verified: bool
    verification_note: str | None
    elements: tuple[Element, ...]
    notes: tuple[Note, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The ids of the documents its wording comes from: the Statute, then the elements'."""
        found = ["RS", *(e.source for e in self.elements), *(n.source for n in self.notes)]
        if self.amendment is not None:
            found.append(self.amendment.source)
        return tuple(dict.fromkeys(found))

    def as_dict(self, catalogue: Catalogue) -> dict[str, Any]:
        return {
            "id": self.id,
            "article": self.article,
            "category": str(self.category),
            "name": self.name,
            "title": self.title,
            "amendment": self.amendment.label if self.amendment else None,
            "verified": self.verified,
            "verification_note": self.verification_note,
            "statute_text": self.statute_text,
            "elements": [e.as_dict() for e in self.elements],
            "notes": [n.as_dict() for n in self.notes],
            "sources": [catalogue.sources[s].as_dict() for s in self.sources],
            "catalogue_version": catalogue.version,
        }


@dataclass(frozen=True)
class Authority:
    source: str
    paragraphs: str | None
    about: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "paragraphs": self.paragraphs, "about": self.about}


@dataclass(frozen=True)
class ModeOfLiability:
    id: str
    article: str
    name: str
    statute_text: str
    elements: tuple[Element, ...]
    authorities: tuple[Authority, ...]
    notes: tuple[Note, ...]

    def as_dict(self, catalogue: Catalogue) -> dict[str, Any]:
        ids = dict.fromkeys(
            ["RS", *(e.source for e in self.elements), *(a.source for a in self.authorities)]
        )
        return {
            "id": self.id,
            "article": self.article,
            "name": self.name,
            "statute_text": self.statute_text,
            "elements": [e.as_dict() for e in self.elements],
            "authorities": [a.as_dict() for a in self.authorities],
            "notes": [n.as_dict() for n in self.notes],
            "sources": [catalogue.sources[s].as_dict() for s in ids],
            "catalogue_version": catalogue.version,
        }


@dataclass(frozen=True)
class GeneralRule:
    """A rule that applies to every crime: article 30, the Elements' general introduction."""

    id: str
    article: str
    name: str
    statute_text: str | None
    elements: tuple[Element, ...]
    notes: tuple[Note, ...]

    def as_dict(self, catalogue: Catalogue) -> dict[str, Any]:
        return {
            "id": self.id,
            "article": self.article,
            "name": self.name,
            "statute_text": self.statute_text,
            "elements": [e.as_dict() for e in self.elements],
            "notes": [n.as_dict() for n in self.notes],
            "catalogue_version": catalogue.version,
        }


@dataclass(frozen=True)
class CategoryInfo:
    code: Category
    name: str
    article: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    kinds: Mapping[str, str]  # what each element kind means, in words
    categories: tuple[CategoryInfo, ...]
    sources: Mapping[str, Source]
    amendments: Mapping[str, Amendment]
    blocks: Mapping[str, Block]
    general_rules: tuple[GeneralRule, ...]
    crimes: tuple[Crime, ...]
    modes: tuple[ModeOfLiability, ...]
    modes_method: str
    modes_notes: tuple[Note, ...]

    @functools.cached_property
    def _crime_index(self) -> dict[str, Crime]:
        index: dict[str, Crime] = {}
        for item in self.crimes:
            for key in (item.id, item.id.removeprefix("RS-"), item.article):
                index[normalise_reference(key)] = item
        return index

    @functools.cached_property
    def _mode_index(self) -> dict[str, ModeOfLiability]:
        index = {normalise_reference(m.id): m for m in self.modes}
        articles = [m.article for m in self.modes]
        for item in self.modes:
            if articles.count(item.article) == 1:  # 25(3)(a) names several forms: ids only
                index[normalise_reference(item.article)] = item
        return index

    def crime(self, reference: str) -> Crime:
        found = self._crime_index.get(normalise_reference(reference))
        if found is None:
            raise UnknownEntry("crime", reference, _closest(reference, self._crime_index))
        return found

    def mode(self, reference: str) -> ModeOfLiability:
        found = self._mode_index.get(normalise_reference(reference))
        if found is None:
            raise UnknownEntry(
                "mode of liability", reference, _closest(reference, self._mode_index)
            )
        return found


def normalise_reference(reference: str) -> str:
    """`Art. 7 (1) (a)`, `7(1)(a)` and `rs-7-1-a` all become comparable keys."""
    text = re.sub(r"\s+", "", reference.strip().lower())
    text = re.sub(r"^(?:romestatute,?)?(?:article|art\.?)", "", text)
    return text


def _closest(reference: str, index: Mapping[str, Crime | ModeOfLiability]) -> tuple[str, ...]:
    matches = difflib.get_close_matches(normalise_reference(reference), list(index), n=6)
    return tuple(dict.fromkeys(index[key].id for key in matches))[:3]


def id_for_article(article: str) -> str:
    """`7(1)(g)-1` -> `RS-7-1-g-1`; `8 bis` -> `RS-8bis`."""
    if article == "8 bis":
        return "RS-8bis"
    return "RS-" + article.replace(")(", "-").replace("(", "-").replace(")", "")


def category_for_article(article: str) -> Category:
    for prefix, category in CATEGORY_OF_PREFIX.items():
        if article.startswith(prefix):
            return category
    raise KeyError(article)


def roman_value(numeral: str) -> int | None:
    """The value of a small lower-case roman numeral in canonical form, or None."""
    total = 0
    for i, char in enumerate(numeral):
        value = ROMAN[char]
        if i + 1 < len(numeral) and ROMAN[numeral[i + 1]] > value:
            total -= value
        else:
            total += value
    return total if 0 < total < 40 and _to_roman(total) == numeral else None


def _to_roman(value: int) -> str:
    out = "x" * (value // 10)
    return out + ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"][value % 10]


# ---------------------------------------------------------------------------------------------
# Loading and checking


class _Reader:
    """Reads one JSON object, raising CatalogueError that names where the problem is."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise CatalogueError(f"{where}: expected an object, found {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.where = where

    def fail(self, message: str) -> CatalogueError:
        return CatalogueError(f"{self.where}: {message}")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{key}' must be a non-empty string or null")
        return value

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"'{key}' must be a whole number")
        return value

    def boolean(self, key: str) -> bool:
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false")
        return value

    def items(self, key: str) -> Iterator[tuple[int, Any]]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list")
        return enumerate(value)

    def child(self, key: str, index: int, value: Any, label: str = "") -> _Reader:
        suffix = f" ({label})" if label else ""
        return _Reader(value, f"{self.where}: {key}[{index}]{suffix}")


def _load_json(path: Path) -> _Reader:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise CatalogueError(f"{path.name}: cannot be read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    reader = _Reader(data, path.name)
    version = reader.text("version")
    if version != CATALOGUE_VERSION:
        raise reader.fail(
            f"version {version!r} does not match the code's CATALOGUE_VERSION "
            f"{CATALOGUE_VERSION!r}: update both together"
        )
    return reader


def _unique(reader: _Reader, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise reader.fail(f"{key}: the id {value!r} appears twice")
        seen.add(value)


def _sources(reader: _Reader) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for i, raw in reader.items("sources"):
        r = reader.child("sources", i, raw)
        source = Source(
            id=r.text("id"),
            kind=r.text("kind"),
            title=r.text("title"),
            reference=r.text("reference"),
            date=r.optional_text("date"),
            url=r.optional_text("url"),
            note=r.optional_text("note"),
        )
        if source.id in found:
            raise r.fail(f"the source id {source.id!r} appears twice")
        found[source.id] = source
    return found


def _source_ref(r: _Reader, key: str, sources: Mapping[str, Source]) -> str:
    value = r.text(key)
    if value not in sources:
        raise r.fail(f"'{key}' names an unknown source {value!r}")
    return value


def _notes(r: _Reader, sources: Mapping[str, Source]) -> tuple[Note, ...]:
    notes = []
    for i, raw in r.items("notes"):
        n = r.child("notes", i, raw)
        footnote = n.data.get("footnote")
        if footnote is not None and (not isinstance(footnote, int) or footnote < 1):
            raise n.fail("'footnote' must be a positive whole number or absent")
        notes.append(Note(n.text("text"), _source_ref(n, "source", sources), footnote))
    return tuple(notes)


def _kind(r: _Reader) -> ElementKind:
    value = r.data.get("kind")
    try:
        return ElementKind(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in ElementKind)
        raise r.fail(f"kind {value!r} is not one of {allowed}") from None


def _elements(
    r: _Reader,
    sources: Mapping[str, Source],
    blocks: Mapping[str, Block],
) -> tuple[Element, ...]:
    elements = []
    for i, raw in r.items("elements"):
        e = r.child("elements", i, raw)
        number = e.integer("number")
        if number != i + 1:
            raise e.fail(f"element number {number} out of sequence: expected {i + 1}")
        footnotes = []
        for j, fraw in e.items("footnotes"):
            f = e.child("footnotes", j, fraw)
            footnotes.append(Footnote(f.integer("number"), f.text("text")))
        block_id = e.optional_text("block")
        if block_id is None:
            element = Element(
                number=number,
                text=e.text("text"),
                kind=_kind(e),
                source=_source_ref(e, "source", sources),
                footnotes=tuple(footnotes),
            )
        else:
            block = blocks.get(block_id)
            if block is None:
                raise e.fail(f"names an unknown shared block {block_id!r}")
            if "kind" in e.data and _kind(e) is not block.kind:
                raise e.fail(f"kind {e.data['kind']!r} contradicts block {block_id}'s {block.kind}")
            variant = e.optional_text("variant")
            text = e.optional_text("text")
            if text is not None and text != block.text and variant is None:
                raise e.fail(
                    f"wording differs from block {block_id} without a 'variant' saying why"
                )
            element = Element(
                number=number,
                text=text or block.text,
                kind=block.kind,
                source=block.source,
                block=block_id,
                variant=variant,
                footnotes=tuple(footnotes),
            )
        elements.append(element)
    return tuple(elements)


def _blocks(reader: _Reader, sources: Mapping[str, Source]) -> dict[str, Block]:
    found: dict[str, Block] = {}
    for i, raw in reader.items("blocks"):
        r = reader.child("blocks", i, raw)
        block = Block(
            id=r.text("id"),
            name=r.text("name"),
            kind=_kind(r),
            text=r.text("text"),
            source=_source_ref(r, "source", sources),
            notes=_notes(r, sources),
        )
        if block.id in found:
            raise r.fail(f"the block id {block.id!r} appears twice")
        found[block.id] = block
    return found


def _amendments(reader: _Reader, sources: Mapping[str, Source]) -> dict[str, Amendment]:
    found: dict[str, Amendment] = {}
    for i, raw in reader.items("amendments"):
        r = reader.child("amendments", i, raw)
        amendment = Amendment(
            id=r.text("id"),
            instrument=r.text("instrument"),
            year=r.integer("year"),
            title=r.text("title"),
            source=_source_ref(r, "source", sources),
        )
        if amendment.id in found:
            raise r.fail(f"the amendment id {amendment.id!r} appears twice")
        found[amendment.id] = amendment
    return found


def _crime(
    r: _Reader,
    sources: Mapping[str, Source],
    blocks: Mapping[str, Block],
    amendments: Mapping[str, Amendment],
) -> Crime:
    crime_id = r.text("id")
    article = r.text("article")
    match = ARTICLE_PATTERN.match(article)
    if match is None:
        raise r.fail(f"article {article!r} is not numbered as in the Elements of Crimes")
    if match.group("roman") is not None and roman_value(match.group("roman")) is None:
        raise r.fail(f"article {article!r}: {match.group('roman')!r} is not a roman numeral")
    if crime_id != id_for_article(article):
        raise r.fail(f"id {crime_id!r} does not match article {article!r}")
    try:
        category = Category(str(r.data.get("category")))
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise r.fail(f"category {r.data.get('category')!r} is not one of {allowed}") from None
    if category is not category_for_article(article):
        raise r.fail(f"category {category} does not fit article {article}")
    amendment_id = r.optional_text("amendment")
    if amendment_id is not None and amendment_id not in amendments:
        raise r.fail(f"names an unknown amendment {amendment_id!r}")
    verified = r.boolean("verified")
    verification_note = r.optional_text("verification_note")
    if not verified and verification_note is None:
        raise r.fail("an unverified crime needs a 'verification_note' saying why")
    elements = _elements(r, sources, blocks)
    notes = _notes(r, sources)
    if not elements and not notes:
        raise r.fail("a crime without elements needs a note saying why")
    return Crime(
        id=crime_id,
        article=article,
        category=category,
        name=r.text("name"),
        title=r.text("title"),
        statute_text=r.optional_text("statute_text"),
        amendment=amendments[amendment_id] if amendment_id else None,
        verified=verified,
        verification_note=verification_note,
        elements=elements,
        notes=notes,
    )


def _mode(r: _Reader, sources: Mapping[str, Source]) -> ModeOfLiability:
    mode_id = r.text("id")
    if not re.fullmatch(r"RS-(?:25-3-[a-f](?:-[a-z-]+)?|28-[ab])", mode_id):
        raise r.fail(f"id {mode_id!r} is not of the form RS-25-3-x[-form] or RS-28-x")
    elements = _elements(r, sources, {})
    if not elements:
        raise r.fail("a mode of liability needs its elements")
    if any(e.kind is ElementKind.CONTEXTUAL for e in elements):
        raise r.fail("modes of liability have material and mental elements only")
    authorities = []
    for i, raw in r.items("authorities"):
        a = r.child("authorities", i, raw)
        authorities.append(
            Authority(
                source=_source_ref(a, "source", sources),
                paragraphs=a.optional_text("paragraphs"),
                about=a.optional_text("about"),
            )
        )
    return ModeOfLiability(
        id=mode_id,
        article=r.text("article"),
        name=r.text("name"),
        statute_text=r.text("statute_text"),
        elements=elements,
        authorities=tuple(authorities),
        notes=_notes(r, sources),
    )


def load_catalogue(directory: Path = DATA) -> Catalogue:
    """Read and check the catalogue files in `directory`; raises CatalogueError."""
    crimes_file = _load_json(directory / CRIMES_FILE)
    modes_file = _load_json(directory / MODES_FILE)
    sources = _sources(crimes_file)
    for source_id, source in _sources(modes_file).items():
        if source_id in sources:
            raise modes_file.fail(f"the source id {source_id!r} is also in {CRIMES_FILE}")
        sources[source_id] = source
    if "RS" not in sources:
        raise crimes_file.fail("the sources must include the Rome Statute, id 'RS'")
    blocks = _blocks(crimes_file, sources)
    amendments = _amendments(crimes_file, sources)
    kinds_raw = crimes_file.data.get("kinds")
    if not isinstance(kinds_raw, dict) or set(kinds_raw) != {k.value for k in ElementKind}:
        raise crimes_file.fail("'kinds' must describe exactly material, mental and contextual")
    categories = []
    for i, raw in crimes_file.items("categories"):
        c = crimes_file.child("categories", i, raw)
        try:
            code = Category(str(c.data.get("code")))
        except ValueError:
            raise c.fail(f"unknown category code {c.data.get('code')!r}") from None
        categories.append(CategoryInfo(code, c.text("name"), c.text("article")))
    if {c.code for c in categories} != set(Category):
        raise crimes_file.fail("'categories' must describe every category exactly once")
    crimes = []
    for i, raw in crimes_file.items("crimes"):
        label = raw.get("id", "") if isinstance(raw, dict) else ""
        r = crimes_file.child("crimes", i, raw, str(label))
        crimes.append(_crime(r, sources, blocks, amendments))
    _unique(crimes_file, "crimes", [c.id for c in crimes])
    rules = []
    for i, raw in crimes_file.items("general_rules"):
        r = crimes_file.child("general_rules", i, raw)
        rules.append(
            GeneralRule(
                id=r.text("id"),
                article=r.text("article"),
                name=r.text("name"),
                statute_text=r.optional_text("statute_text"),
                elements=_elements(r, sources, {}),
                notes=_notes(r, sources),
            )
        )
    _unique(crimes_file, "general_rules", [g.id for g in rules])
    modes = []
    for i, raw in modes_file.items("modes"):
        label = raw.get("id", "") if isinstance(raw, dict) else ""
        modes.append(_mode(modes_file.child("modes", i, raw, str(label)), sources))
    _unique(modes_file, "modes", [m.id for m in modes])
    return Catalogue(
        version=CATALOGUE_VERSION,
        kinds={str(k): str(v) for k, v in kinds_raw.items()},
        categories=tuple(categories),
        sources=sources,
        amendments=amendments,
        blocks=blocks,
        general_rules=tuple(rules),
        crimes=tuple(crimes),
        modes=tuple(modes),
        modes_method=modes_file.text("method"),
        modes_notes=_notes(modes_file, sources),
    )


@functools.cache
def catalogue() -> Catalogue:
    """The shipped catalogue, loaded and checked once per process."""
    return load_catalogue()


def crimes(category: Category | str | None = None) -> tuple[Crime, ...]:
    """Every crime in the order of the Statute, or those of one category."""
    everything = catalogue().crimes
    if category is None:
        return everything
    wanted = Category(category)
    return tuple(c for c in everything if c.category is wanted)


def crime(reference: str) -> Crime:
    """The crime with this id or article; raises UnknownEntry."""
    return catalogue().crime(reference)


def modes() -> tuple[ModeOfLiability, ...]:
    return catalogue().modes


def mode(reference: str) -> ModeOfLiability:
    """The mode of liability with this id (or article, where one mode has it)."""
    return catalogue().mode(reference)


def general_rules() -> tuple[GeneralRule, ...]:
    return catalogue().general_rules
