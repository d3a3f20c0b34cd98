"""Schemas of the dossiers and disclosures API (cases/api_cases.py), kept apart so that the
routes read in one file."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CaseIn(Schema):
    title: str
    mechanism: str | None = Field(None, description="a mechanism slug (GET /api/v1/mechanisms)")
    situation: str = ""
    summary: str = ""
    language: str = Field("en", description="the memorandum's language: ar, en, fr, he, ...")


class CasePatch(Schema):
    title: str | None = None
    mechanism: str | None = Field(None, description='a mechanism slug, or "" for none')
    situation: str | None = None
    summary: str | None = None
    language: str | None = None
    status: str | None = Field(None, description="open, in_preparation, submitted or closed")


class CaseOut(Schema):
    id: int
    title: str
    mechanism: str | None
    status: str
    # True: the reader is a reviewer, who sees the case's disclosures to their mechanism
    # and nothing of its working contents (the fields below are then empty).
    restricted: bool
    situation: str
    summary: str
    language: str
    suspects: int | None
    charges: int | None
    items: int | None
    incidents: int | None
    disclosures: int
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SuspectIn(Schema):
    person: int | None = Field(None, description="a person id of the documentation database")
    organisation: int | None = Field(None, description="a unit id")
    note: str = ""


class SuspectOut(Schema):
    id: int
    person: int | None
    organisation: int | None
    label: str
    note: str
    added_by: str | None
    added_at: dt.datetime


class ChargeIn(Schema):
    crime: str = Field(..., description="a crime of the catalogue: RS-7-1-a or 7(1)(a)")
    mode: str = Field(..., description="a mode of liability: RS-25-3-a")
    suspect: int | None = Field(None, description="a suspect id of this case")
    qualification: int | None = None
    liability: int | None = None
    note: str = ""


class ChargeOut(Schema):
    id: int
    crime_id: str
    crime: str
    mode_id: str
    mode: str
    suspect: int | None
    qualification: int | None
    liability: int | None
    catalogue_version: str
    note: str
    added_by: str | None
    added_at: dt.datetime


class ItemsIn(Schema):
    items: list[int] = Field(..., min_length=1)
    note: str = Field("", description="what the items show")


class CaseItemOut(Schema):
    item: int
    filename: str
    sha256: str
    media_type: str
    derivation: str
    note: str
    added_by: str | None
    added_at: dt.datetime


class IncidentsIn(Schema):
    incidents: list[int] = Field(..., min_length=1)


class IncidentRefOut(Schema):
    id: int
    title: str
    start_date: dt.date | None


class MemberIn(Schema):
    user: str = Field(..., description="a username of a member of the workspace")
    role: str = Field(..., description="lead, member or reviewer")
    mechanism: str | None = Field(None, description="for a reviewer: the mechanism's slug")


class MemberOut(Schema):
    id: int
    user: str
    role: str
    mechanism: str | None
    added_by: str | None
    added_at: dt.datetime


class PlannedOut(Schema):
    case_item: int
    item: int  # what would go: the item, or its redacted derivative
    redacted: bool
    witness: str | None
    consent: int | None
    reason: str


class RefusalOut(Schema):
    item: int
    reason: str


class PlanOut(Schema):
    mechanism: str
    items: list[PlannedOut]
    refused: list[RefusalOut]


class DisclosureIn(Schema):
    mechanism: str = Field(..., description="a mechanism slug")
    recipient: str = Field("", description="who receives it (an office, a person)")
    language: str | None = Field(None, description="the memorandum's; default the case's")


class DisclosedItemOut(Schema):
    item: int
    case_item: int
    bag_path: str
    witness: str | None
    consent: int | None
    consent_effective_at: dt.datetime | None
    identification: int | None
    redacted: bool
    reason: str


class ReceiptOut(Schema):
    received_on: dt.date
    reference: str
    note: str
    recorded_by: str | None
    recorded_at: dt.datetime | None


class DisclosureOut(Schema):
    id: int
    case: int
    mechanism: str
    recipient: str
    disclosed_at: dt.datetime
    disclosed_by: str | None
    export_id: str
    manifest_digest: str  # sha256 of the bag's tagmanifest-sha256.txt
    payload_oxum: str
    bag_name: str
    stored: bool  # the server keeps the bag (GET .../bag)
    language: str
    receipt: ReceiptOut | None
    items: list[DisclosedItemOut] = []


class ReceiptIn(Schema):
    received_on: dt.date
    reference: str
    note: str = ""


class ErrorDetail(Schema):
    code: str
    message: str
    refused: list[RefusalOut] = []


class RefusedOut(Schema):
    error: ErrorDetail
