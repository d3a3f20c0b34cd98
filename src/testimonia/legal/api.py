"""API of the crime catalogue: the Rome Statute crimes, their elements, the modes of liability.

Reference data, the same for every workspace: any authenticated user may read it (the API's
default authentication). The catalogue is loaded once per process (legal/catalogue.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from testimonia.legal import catalogue
from testimonia.legal.catalogue import Category

router = Router(tags=["legal"])


class SourceOut(Schema):
    id: str
    kind: str
    title: str
    reference: str
    date: str | None
    url: str | None
    note: str | None


class FootnoteOut(Schema):
    number: int
    text: str


class NoteOut(Schema):
    text: str
    source: str
    footnote: int | None


class ElementOut(Schema):
    number: int
    text: str
    kind: str
    block: str | None
    source: str
    footnotes: list[FootnoteOut]


class CrimeOut(Schema):
    id: str
    article: str
    category: str
    name: str
    title: str
    amendment: str | None
    verified: bool
    verification_note: str | None
    statute_text: str | None
    elements: list[ElementOut]
    notes: list[NoteOut]
    sources: list[SourceOut]
    catalogue_version: str


class AuthorityOut(Schema):
    source: str
    paragraphs: str | None
    about: str | None


class ModeOut(Schema):
    id: str
    article: str
    name: str
    statute_text: str
    elements: list[ElementOut]
    authorities: list[AuthorityOut]
    notes: list[NoteOut]
    sources: list[SourceOut]
    catalogue_version: str


class RuleOut(Schema):
    id: str
    article: str
    name: str
    statute_text: str | None
    elements: list[ElementOut]
    notes: list[NoteOut]
    catalogue_version: str


@router.get(
    "/crimes",
    response=list[CrimeOut],
    summary="The Rome Statute crimes with their elements",
    description="Every crime of articles 6, 7, 8 and 8 bis as numbered in the ICC Elements of "
    "Crimes, in the order of the Statute; `category` keeps one category. A crime whose "
    "`verified` is false was not checked against the official text: `verification_note` "
    "says why.",
)
def list_crimes(request: HttpRequest, category: Category | None = None) -> list[dict[str, Any]]:
    data = catalogue.catalogue()
    return [c.as_dict(data) for c in catalogue.crimes(category)]


@router.get(
    "/crimes/{crime_id}",
    response=CrimeOut,
    summary="One crime and its elements",
    description="`crime_id` is a crime id (`RS-7-1-a`) or its article (`7(1)(a)`).",
)
def get_crime(request: HttpRequest, crime_id: str) -> dict[str, Any]:
    data = catalogue.catalogue()
    try:
        return data.crime(crime_id).as_dict(data)
    except catalogue.UnknownEntry as exc:
        raise HttpError(404, str(exc)) from None


@router.get(
    "/modes-of-liability",
    response=list[ModeOut],
    summary="The modes of liability of articles 25(3) and 28 with their elements",
)
def list_modes(request: HttpRequest) -> list[dict[str, Any]]:
    data = catalogue.catalogue()
    return [m.as_dict(data) for m in data.modes]


@router.get(
    "/general-rules",
    response=list[RuleOut],
    summary="Rules for every crime: the article 30 mental element, the Elements' introduction",
)
def list_general_rules(request: HttpRequest) -> list[dict[str, Any]]:
    data = catalogue.catalogue()
    return [r.as_dict(data) for r in data.general_rules]
