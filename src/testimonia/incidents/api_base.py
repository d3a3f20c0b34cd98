"""Schemas and shared helpers of the documentation-database API (incidents/api*.py).

Output schemas describe the plain records of incidents/records.py, so the API and the exports
give the same shape. Input schemas list their fields explicitly; a PATCH changes only the
fields it sends. Model validation (choices, ranges, dates) stays in the model and in
services.save(): its DocumentationError becomes a 400 naming the problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal

from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError

from testimonia.accounts.models import User, Workspace
from testimonia.incidents.models import Organisation, Person, Place, Source
from testimonia.incidents.removal import RemovalRefused
from testimonia.incidents.services import DocumentationError

MAX_LIMIT = 1000


# ---------------------------------------------------------------------------------------------
# Output


class PlaceOut(Schema):
    id: int
    kind: str
    name: str
    names: dict[str, Any]
    pcode: str
    parent_pcode: str
    country_code: str
    latitude: float | None
    longitude: float | None
    workspace_site: bool  # false: from the shared gazetteer


class TermOut(Schema):
    code: str
    labels: dict[str, str]  # {"en": ..., "ar": ..., "he": ...}
    huridocs: str
    parent: str | None  # the code of the broader term
    active: bool


class CitationOut(Schema):
    id: int
    record_type: str  # incident, act, person, victimisation, involvement, organisation
    record_id: int
    field: str  # "" = the whole record
    item: int | None
    item_sha256: str | None
    source: int | None
    note: str
    created_by: str | None
    created_at: dt.datetime


class CitationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CitationOut]


class VictimOut(Schema):
    id: int
    person: int
    outcome: str
    age_at_time: int | None
    citations: list[CitationOut]


class InvolvementOut(Schema):
    id: int
    person: int | None
    organisation: int | None
    degree: str
    role: str
    certainty: str
    citations: list[CitationOut]


class ActOut(Schema):
    id: int
    incident: int
    act_type: TermOut
    description: str
    start_date: dt.date | None
    start_precision: str
    end_date: dt.date | None
    place: PlaceOut | None
    method: str
    victims: list[VictimOut]
    involvements: list[InvolvementOut]
    citations: list[CitationOut]
    unsupported: list[str] = []  # key facts with a value that cite nothing


class LinkOut(Schema):
    id: int
    direction: Literal["out", "in"]  # out: this incident is the link's source
    kind: str
    incident: int  # the incident at the other end
    note: str


class EvidenceRef(Schema):
    id: int
    sha256: str


class TranslationIn(Schema):
    title: str = ""
    description: str = ""


class IncidentSummaryOut(Schema):
    id: int
    title: str
    status: str
    sensitivity: str
    start_date: dt.date | None
    start_precision: str
    end_date: dt.date | None
    place: PlaceOut | None
    place_name: str
    latitude: float | None
    longitude: float | None
    location_precision: str
    tags: list[str]
    act_types: list[str]
    updated_at: dt.datetime


class IncidentOut(Schema):
    id: int
    title: str
    description: str
    language: str
    translations: dict[str, TranslationIn]
    start_date: dt.date | None
    start_time: dt.time | None
    start_precision: str
    end_date: dt.date | None
    end_time: dt.time | None
    end_precision: str
    place: PlaceOut | None
    place_name: str
    latitude: float | None
    longitude: float | None
    area: dict[str, Any] | None
    location_precision: str
    status: str
    sensitivity: str
    tags: list[str]
    evidence: list[EvidenceRef]
    created_at: dt.datetime
    created_by: str | None
    updated_at: dt.datetime
    acts: list[ActOut]
    links: list[LinkOut]
    citations: list[CitationOut]
    unsupported: list[str]  # key facts with a value that cite nothing


class IncidentPage(Schema):
    count: int  # all incidents that match, not only this page
    limit: int
    offset: int
    items: list[IncidentSummaryOut]


class ChangeOut(Schema):
    field: str
    old: Any
    new: Any


class VersionOut(Schema):
    id: int
    date: dt.datetime
    user: str | None
    type: Literal["created", "changed", "deleted"]
    changes: list[ChangeOut]


class PersonNameOut(Schema):
    id: int
    text: str
    language: str
    primary: bool
    kind: str


class PersonOut(Schema):
    id: int
    kind: str
    names: list[PersonNameOut]
    sex: str
    age_min: int | None
    age_max: int | None
    date_of_birth: dt.date | None
    date_of_birth_precision: str
    status: str
    group_size: int | None
    occupation: str
    deceased: bool
    date_of_death: dt.date | None
    affiliation: int | None
    sensitivity: str
    notes: str
    created_at: dt.datetime


class PersonPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonOut]


class OrganisationOut(Schema):
    id: int
    name: str
    other_names: list[str]
    kind: str
    parent: int | None
    chain_of_command: list[int]  # this unit and those above it, nearest first
    state: str
    description: str


class OrganisationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrganisationOut]


class SourceOut(Schema):
    id: int
    title: str
    kind: str
    reliability: str
    url: str
    published_on: dt.date | None
    notes: str


class SourcePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SourceOut]


# ---------------------------------------------------------------------------------------------
# Input (every field optional in a PATCH; the create schemas name what is required)


class IncidentPatch(Schema):
    title: str | None = None
    description: str | None = None
    language: str | None = None
    translations: dict[str, TranslationIn] | None = None
    start_date: dt.date | None = None
    start_time: dt.time | None = None
    start_precision: str | None = None
    end_date: dt.date | None = None
    end_time: dt.time | None = None
    end_precision: str | None = None
    place: int | None = Field(None, description="a place id (GET .../places?q=)")
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    area: dict[str, Any] | None = Field(None, description="a GeoJSON geometry")
    location_precision: str | None = None
    status: str | None = None
    sensitivity: str | None = None
    tags: list[str] | None = Field(None, description="the complete list of tag names")


class IncidentIn(IncidentPatch):
    title: str


class ActPatch(Schema):
    act_type: str | None = Field(None, description="a code of /api/v1/vocabularies/act_type")
    description: str | None = None
    start_date: dt.date | None = None
    start_precision: str | None = None
    end_date: dt.date | None = None
    place: int | None = None
    method: str | None = None


class ActIn(ActPatch):
    act_type: str


class VictimIn(Schema):
    person: int
    outcome: str = "unknown"
    age_at_time: int | None = None


class InvolvementIn(Schema):
    person: int | None = None
    organisation: int | None = None
    degree: str = "unknown"
    certainty: str = "unknown"
    role: str = ""


class LinkIn(Schema):
    target: int
    kind: str
    note: str = ""


class CitationIn(Schema):
    record_type: Literal[
        "incident", "act", "person", "victimisation", "involvement", "organisation"
    ]
    record_id: int
    field: str = Field("", description='a field of the record, or "" for the whole record')
    item: int | None = Field(None, description="an evidence item id")
    source: int | None = Field(None, description="a source id")
    note: str = ""


class PersonNameIn(Schema):
    id: int | None = Field(None, description="an existing name to keep (PATCH)")
    text: str
    language: str = ""
    primary: bool = False
    kind: str = ""


class PersonPatch(Schema):
    kind: str | None = None
    names: list[PersonNameIn] | None = Field(
        None, description="the complete list of names; names left out are removed"
    )
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    date_of_birth: dt.date | None = None
    date_of_birth_precision: str | None = None
    status: str | None = None
    group_size: int | None = None
    occupation: str | None = None
    deceased: bool | None = None
    date_of_death: dt.date | None = None
    affiliation: int | None = None
    sensitivity: str | None = None
    notes: str | None = None


class PersonIn(PersonPatch):
    pass


class OrganisationPatch(Schema):
    name: str | None = None
    other_names: list[str] | None = None
    kind: str | None = None
    parent: int | None = None
    state: str | None = None
    description: str | None = None


class OrganisationIn(OrganisationPatch):
    name: str
    kind: str


class SourcePatch(Schema):
    title: str | None = None
    kind: str | None = None
    reliability: str | None = None
    url: str | None = None
    published_on: dt.date | None = None
    notes: str | None = None


class SourceIn(SourcePatch):
    title: str
    kind: str


class PlaceIn(Schema):
    names: dict[str, Any] = Field(
        ..., description='{"en": ..., "ar": ..., "he": ..., "alt": [other spellings]}'
    )
    latitude: float | None = None
    longitude: float | None = None
    country_code: str = ""
    parent_pcode: str = Field("", description="the P-code of the area the site lies in")


# ---------------------------------------------------------------------------------------------
# Helpers


def workspace_of(request: HttpRequest) -> Workspace:
    workspace: Workspace = request.workspace  # type: ignore[attr-defined]  # set by workspace_auth
    return workspace


def actor_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # authenticated by workspace_auth


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise HttpError(400, _("limit must be 1..%(max)s and offset >= 0") % {"max": MAX_LIMIT})


@contextmanager
def documented() -> Iterator[None]:
    """Turn the documentation services' refusals into API errors."""
    try:
        yield
    except RemovalRefused as exc:
        raise HttpError(409, str(exc)) from None
    except DocumentationError as exc:
        raise HttpError(400, str(exc)) from None
    except IntegrityError:
        # A database constraint caught what validation could not (two requests racing).
        raise HttpError(409, _("the record conflicts with another one; reload and retry")) from None


def found(rows: QuerySet[Any], pk: int | None) -> Any:
    """The row of `rows` (already limited to the workspace) with this id, else 404: an id of
    another workspace is answered exactly like one that does not exist."""
    row = rows.filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise Http404
    return row


def places_for(workspace: Workspace) -> QuerySet[Place]:
    return Place.objects.filter(Q(workspace=None) | Q(workspace=workspace))


def place_or_404(workspace: Workspace, pk: int | None) -> Place | None:
    if pk is None:
        return None
    place: Place = found(places_for(workspace), pk)
    return place


def person_or_404(workspace: Workspace, pk: int | None) -> Person | None:
    if pk is None:
        return None
    person: Person = found(Person.objects.filter(workspace=workspace), pk)
    return person


def organisation_or_404(workspace: Workspace, pk: int | None) -> Organisation | None:
    if pk is None:
        return None
    unit: Organisation = found(Organisation.objects.filter(workspace=workspace), pk)
    return unit


def source_or_404(workspace: Workspace, pk: int | None) -> Source | None:
    if pk is None:
        return None
    source: Source = found(Source.objects.filter(workspace=workspace), pk)
    return source


def coordinate_in(value: float | None) -> Decimal | None:
    """A coordinate as stored: 6 decimal places (about 11 cm), the column's precision."""
    return None if value is None else Decimal(str(round(value, 6)))


def plain(value: Any) -> Any:
    """A history value as JSON: dates in ISO 8601, decimals as numbers."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)
