"""The case matrix: for each qualified crime (and each suspect's mode of liability), every
element of the Elements of Crimes against what supports it, with the gaps first.

Pure: no Django import. The loader (legal/matrix_loader.py) reads qualifications from the
database into the plain values below; `build_rows` turns them into the rows that a page, an
export or a test reads directly.

How an element is judged (docs/legal.md, "The case matrix"):
- its *support* is the strongest strength among its links (evidence items, sources, facts,
  findings, indicators); a link assessed "none" supports nothing;
- its *assessment* is the legal officer's own strength for the element, where given;
- the element is **unsupported** when no link supports it (whatever the assessment says:
  a conclusion without linked proof is a gap), **weak** when its assessment, or without one its
  support, is "none" or "weak", and **supported** otherwise;
- unsupported and weak elements are the gaps; rows list the unsupported first, then the weak,
  then the supported, each in the order of the Elements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from testimonia.legal.catalogue import Element


class Strength(StrEnum):
    """How strongly a link (or the whole record) proves an element, weakest first."""

    NONE = "none"
    WEAK = "weak"
    MODERATE = "moderate"
    STRONG = "strong"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Strength.NONE: 0, Strength.WEAK: 1, Strength.MODERATE: 2, Strength.STRONG: 3}


class SupportKind(StrEnum):
    ITEM = "item"  # an evidence item of the vault
    SOURCE = "source"  # a source of the documentation database (report, article, testimony)
    INCIDENT = "incident"  # a fact: a documented incident
    ACT = "act"  # a fact: an act
    PERSON = "person"  # a fact: a person or group (a victim, a witness, a perpetrator)
    ORGANISATION = "organisation"  # a fact: a unit or force
    INVOLVEMENT = "involvement"  # a fact: who is alleged to have done an act, and how
    FINDING = "finding"  # the legal officer's own finding, in words
    INDICATORS = "indicators"  # pattern indicators computed over a set of incidents


EVIDENCE_KINDS = frozenset({SupportKind.ITEM, SupportKind.SOURCE})
FACT_KINDS = frozenset(
    {
        SupportKind.INCIDENT,
        SupportKind.ACT,
        SupportKind.PERSON,
        SupportKind.ORGANISATION,
        SupportKind.INVOLVEMENT,
    }
)


class ElementState(StrEnum):
    UNSUPPORTED = "unsupported"
    WEAK = "weak"
    SUPPORTED = "supported"


_STATE_ORDER = {ElementState.UNSUPPORTED: 0, ElementState.WEAK: 1, ElementState.SUPPORTED: 2}

# The shared elements beside which pattern indicators are shown: the widespread or systematic
# attack (crimes against humanity) and genocide's manifest pattern.
PATTERN_BLOCKS = frozenset({"CAH-ATTACK", "GEN-PATTERN"})


# ---------------------------------------------------------------------------------------------
# Input: what was recorded, as plain values


@dataclass(frozen=True)
class Support:
    """One link from an element to what supports it."""

    id: int
    kind: SupportKind
    label: str  # what it is, in words ("item 12 video.mp4 sha256:ab12…", the finding's text)
    strength: Strength
    note: str = ""
    ref: int | None = None  # the linked record's id; None for a finding
    indicators: Mapping[str, Any] | None = None  # the snapshot, for an indicators link
    created_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "ref": self.ref,
            "label": self.label,
            "strength": str(self.strength),
            "note": self.note,
            "indicators": dict(self.indicators) if self.indicators is not None else None,
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class Assessment:
    """The legal officer's assessment of one element and the links that support it."""

    number: int
    strength: Strength | None = None  # None: not assessed
    note: str = ""
    supports: tuple[Support, ...] = ()
    assessed_by: str | None = None


# ---------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class Row:
    """One element of the matrix with its support."""

    number: int
    kind: str  # material, mental, contextual
    text: str
    block: str | None
    state: ElementState
    assessed: Strength | None  # the legal officer's strength, if given
    support: Strength | None  # the strongest link, if any
    note: str
    supports: tuple[Support, ...]  # strongest first
    known: bool = True  # False: assessed under a number the catalogue no longer has
    shows_indicators: bool = False  # the element beside which pattern indicators belong

    @property
    def is_gap(self) -> bool:
        return self.state is not ElementState.SUPPORTED

    @property
    def indicators(self) -> tuple[Support, ...]:
        return tuple(s for s in self.supports if s.kind is SupportKind.INDICATORS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "text": self.text,
            "block": self.block,
            "state": str(self.state),
            "gap": self.is_gap,
            "assessed": None if self.assessed is None else str(self.assessed),
            "support": None if self.support is None else str(self.support),
            "note": self.note,
            "known": self.known,
            "shows_indicators": self.shows_indicators,
            "supports": [s.as_dict() for s in self.supports],
        }


@dataclass(frozen=True)
class Section:
    """The elements of one qualified crime, or of one suspect's mode of liability for it."""

    subject: str  # "crime" or "liability"
    qualification: int  # the qualification's id (a liability's: the one it belongs to)
    crime_id: str
    article: str
    name: str
    target: str  # what is qualified, in words ("act 4: killing (incident 2: ...)")
    status: str  # the qualification's status: candidate, accepted, rejected
    rows: tuple[Row, ...]
    catalogue_version: str  # the version the qualification was recorded under
    liability: int | None = None
    suspect: str | None = None  # the suspect, in words
    mode_id: str | None = None
    mode_article: str | None = None
    mode_name: str | None = None
    notes: tuple[str, ...] = ()  # warnings: the catalogue changed, a crime is unverified

    @property
    def gaps(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.is_gap)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "qualification": self.qualification,
            "liability": self.liability,
            "crime_id": self.crime_id,
            "article": self.article,
            "name": self.name,
            "target": self.target,
            "status": self.status,
            "suspect": self.suspect,
            "mode_id": self.mode_id,
            "mode_article": self.mode_article,
            "mode_name": self.mode_name,
            "catalogue_version": self.catalogue_version,
            "notes": list(self.notes),
            "elements": len(self.rows),
            "gaps": len(self.gaps),
            "rows": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True)
class Matrix:
    """A case matrix: the sections of one scope (an incident, a crime or a suspect)."""

    scope: str  # incident, crime, suspect
    scope_id: str  # the incident's or suspect's id, or the crime's id
    title: str
    workspace: str
    generated_at: str  # ISO 8601
    catalogue_version: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def gaps(self) -> int:
        return sum(len(s.gaps) for s in self.sections)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "scope_id": self.scope_id,
            "title": self.title,
            "workspace": self.workspace,
            "generated_at": self.generated_at,
            "catalogue_version": self.catalogue_version,
            "sections": [s.as_dict() for s in self.sections],
            "gaps": self.gaps,
        }


# ---------------------------------------------------------------------------------------------
# Computation


def strongest(strengths: Iterable[Strength]) -> Strength | None:
    best: Strength | None = None
    for strength in strengths:
        if best is None or strength.rank > best.rank:
            best = strength
    return best


def judge(assessed: Strength | None, supports: Sequence[Support]) -> ElementState:
    """The state of an element from its assessment and its links (see the module's rules)."""
    support = strongest(s.strength for s in supports)
    if support is None or support is Strength.NONE:
        return ElementState.UNSUPPORTED
    effective = assessed if assessed is not None else support
    if effective.rank <= Strength.WEAK.rank:
        return ElementState.WEAK
    return ElementState.SUPPORTED


def _ordered_supports(supports: Iterable[Support]) -> tuple[Support, ...]:
    return tuple(sorted(supports, key=lambda s: (-s.strength.rank, s.id)))


def build_rows(
    elements: Sequence[Element], assessments: Mapping[int, Assessment]
) -> tuple[Row, ...]:
    """The rows of one section: every element of the catalogue with its assessment, gaps first.

    An assessment under a number the catalogue no longer has (the catalogue was changed
    after it was recorded) is kept as a row marked `known=False`, so nothing recorded is
    silently dropped.
    """
    rows: list[Row] = []
    numbers = {e.number for e in elements}
    for element in elements:
        found = assessments.get(element.number) or Assessment(element.number)
        rows.append(
            Row(
                number=element.number,
                kind=str(element.kind),
                text=element.text,
                block=element.block,
                state=judge(found.strength, found.supports),
                assessed=found.strength,
                support=strongest(s.strength for s in found.supports),
                note=found.note,
                supports=_ordered_supports(found.supports),
                shows_indicators=element.block in PATTERN_BLOCKS,
            )
        )
    for number in sorted(set(assessments) - numbers):
        found = assessments[number]
        rows.append(
            Row(
                number=number,
                kind="",
                text="",
                block=None,
                state=judge(found.strength, found.supports),
                assessed=found.strength,
                support=strongest(s.strength for s in found.supports),
                note=found.note,
                supports=_ordered_supports(found.supports),
                known=False,
            )
        )
    rows.sort(key=lambda r: (_STATE_ORDER[r.state], r.number))
    return tuple(rows)
