"""Schemas of the legal qualification API (legal/api_qualification.py): what it answers (the
plain shapes of legal/matrix.py and the records around them) and what it accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

StrengthIn = Literal["none", "weak", "moderate", "strong"]


class SupportOut(Schema):
    id: int
    kind: str  # item, source, incident, act, person, organisation, involvement, finding, ...
    ref: int | None  # the linked record's id (none for a finding or indicators)
    label: str
    strength: str
    note: str
    indicators: dict[str, Any] | None  # for indicators: what they were when linked
    created_by: str | None


class RowOut(Schema):
    number: int
    kind: str  # material, mental, contextual
    text: str
    block: str | None  # the shared element it is an instance of (CAH-ATTACK, ...)
    state: Literal["unsupported", "weak", "supported"]
    gap: bool
    assessed: str | None  # the legal officer's strength for the element
    support: str | None  # the strongest link's strength
    note: str
    known: bool  # false: assessed under a number the catalogue no longer has
    shows_indicators: bool  # the element pattern indicators support
    supports: list[SupportOut]


class SectionOut(Schema):
    subject: Literal["crime", "liability"]
    qualification: int
    liability: int | None
    crime_id: str
    article: str
    name: str
    target: str
    status: str
    suspect: str | None
    mode_id: str | None
    mode_article: str | None
    mode_name: str | None
    catalogue_version: str
    notes: list[str]
    elements: int
    gaps: int
    rows: list[RowOut]


class MatrixOut(Schema):
    format: str
    scope: Literal["incident", "crime", "suspect"]
    scope_id: str
    title: str
    workspace: str
    generated_at: str
    catalogue_version: str
    sections: list[SectionOut]
    gaps: int


class TargetOut(Schema):
    type: Literal["act", "incident"]
    id: int
    incident: int  # the incident (of the act)
    label: str


class SuspectOut(Schema):
    type: Literal["person", "organisation"]
    id: int
    label: str


class LiabilityOut(Schema):
    id: int
    qualification: int
    suspect: SuspectOut
    mode_id: str
    mode_article: str | None
    mode_name: str | None
    catalogue_version: str
    reasoning: str
    created_by: str | None
    created_at: dt.datetime
    gaps: int
    elements: list[RowOut]  # gaps first


class QualificationOut(Schema):
    id: int
    target: TargetOut
    crime_id: str
    article: str
    name: str
    catalogue_version: str
    status: Literal["candidate", "accepted", "rejected"]
    origin: Literal["user", "suggestion"]
    rule: str  # the suggestion rule that proposed it
    reasoning: str
    proposed_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reasoning: str
    created_at: dt.datetime
    updated_at: dt.datetime
    notes: list[str]
    gaps: int
    elements: list[RowOut]  # gaps first
    liabilities: list[LiabilityOut]


class QualificationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[QualificationOut]


class SuggestionsOut(Schema):
    act: int
    context: dict[str, Any]  # what the rules looked at
    created: list[QualificationOut]
    existing: list[QualificationOut]  # proposed or decided before: left as they are


class RecurrenceOut(Schema):
    act_type: str
    perpetrator: str
    label: str
    incidents: int
    incident_ids: list[int]


class QueryOut(Schema):
    description: str
    parameters: dict[str, Any]
    incident_ids: list[int]


class IndicatorsOut(Schema):
    query: QueryOut
    incidents: int
    first_date: str | None
    last_date: str | None
    span_days: int | None
    undated: int
    by_month: list[dict[str, Any]]
    places: int
    areas: int
    located: int
    bounding_box: dict[str, float] | None
    extent_km: float | None
    victim_records: int
    victims: int
    civilians: int
    status_unknown: int
    civilian_share: float | None
    civilian_share_of_known: float | None
    children: int
    act_types: list[dict[str, Any]]
    recurrences: list[RecurrenceOut]


class QualifyIn(Schema):
    crime: str = Field(..., description="a crime id (RS-7-1-a) or its article (7(1)(a))")
    reasoning: str = ""


class DecisionIn(Schema):
    reasoning: str = Field(..., description="why: kept with the decision in the history")


class AssessIn(Schema):
    strength: StrengthIn | None = Field(..., description="null clears the assessment")
    note: str = ""


class QueryIn(Schema):
    incident_ids: list[int] | None = None
    filter: dict[str, Any] | None = Field(
        None,
        description="facets of the incident list: date_from, date_to, place, act_types, "
        "perpetrator, victim_sex, victim_age, status, tags",
    )


class SupportIn(Schema):
    kind: Literal[
        "item",
        "source",
        "incident",
        "act",
        "person",
        "organisation",
        "involvement",
        "finding",
        "indicators",
    ]
    id: int | None = Field(None, description="the record's id (not for a finding or indicators)")
    text: str = Field("", description="the finding, in words (kind finding)")
    query: QueryIn | None = Field(None, description="the incidents (kind indicators)")
    strength: StrengthIn
    note: str = ""


class SupportPatch(Schema):
    strength: StrengthIn
    note: str | None = None


class LiabilityIn(Schema):
    person: int | None = None
    organisation: int | None = None
    mode: str = Field(..., description="a mode of liability id (RS-25-3-b-ordering)")
    reasoning: str = ""
