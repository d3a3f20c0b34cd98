"""API of witnesses, consent and testimonies (docs/witnesses.md).

Witnesses are named by pseudonym (W-0042) in every path and every answer. The identity goes
in once, at intake, and comes out only from `POST .../identity/reveal`, to a protection
officer of the workspace, with a reason kept in the chain of custody. Reads need
VIEW_WITNESSES (every internal role); intake, interviews, testimony items and consent need
RECORD_TESTIMONY (investigators, protection officers); risk assessment PROTECT_WITNESSES and
the identity REVEAL_IDENTITY (protection officers only). An id of another workspace answers
404, like one that does not exist; error messages never carry an identity.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import User
from testimonia.accounts.roles import Capability
from testimonia.cases import consent, identity, testimonies, witnesses
from testimonia.cases import disclosure as disclosures_affected
from testimonia.cases.exceptions import (
    CasesError,
    IdentityKeyUnavailable,
    IdentityRefused,
    WitnessNotFound,
)
from testimonia.cases.mechanisms import mechanism_record
from testimonia.cases.models import Consent, Interview, Mechanism, Testimony, Witness
from testimonia.evidence.services import items_of
from testimonia.incidents.api_base import actor_of, workspace_of

logger = logging.getLogger("testimonia.cases")

router = Router(tags=["witnesses"])

VIEW = workspace_auth(Capability.VIEW_WITNESSES)
RECORD = workspace_auth(Capability.RECORD_TESTIMONY)
PROTECT = workspace_auth(Capability.PROTECT_WITNESSES)
REVEAL = workspace_auth(Capability.REVEAL_IDENTITY)
WS = "/workspaces/{workspace}"
WITNESSES = WS + "/witnesses"
WITNESS = WITNESSES + "/{pseudonym}"


# ---------------------------------------------------------------------------------------------
# Schemas


class MechanismOut(Schema):
    slug: str
    kind: str
    parent: str | None
    country: str
    name: str  # in the request's language
    names: dict[str, str]
    requirements: dict[str, Any]  # formats, languages, metadata_fields, notes, ...
    active: bool


class WitnessOut(Schema):
    pseudonym: str
    risk_level: str
    protection_measures: list[str]
    risk_assessed_at: dt.datetime | None
    risk_assessed_by: str | None
    created_by: str | None
    created_at: dt.datetime
    interviews: int
    testimonies: int


class WitnessIn(Schema):
    name: str = Field(..., description="the witness's name: stored encrypted, never shown")
    contacts: str = ""
    details: str = Field("", description="other identifying details (stored encrypted)")
    consent: list[str] = Field(
        [], description="mechanism slugs the witness consented to share with, at intake"
    )
    consent_form: str = Field("oral", description="written, oral or recorded")


class ProtectionIn(Schema):
    risk_level: str
    protection_measures: list[str] | None = None
    risk_notes: str | None = Field(
        None, description="may identify the witness: stored encrypted with the identity"
    )


class RevealIn(Schema):
    reason: str = Field(..., description="why: kept in the chain of custody; no names")


class IdentityOut(Schema):
    pseudonym: str
    name: str
    contacts: str
    details: str
    risk_notes: str


class IdentityPatch(Schema):
    reason: str
    name: str | None = None
    contacts: str | None = None
    details: str | None = None
    risk_notes: str | None = None


class IdentityChanged(Schema):
    pseudonym: str
    changed: list[str]  # the names of the fields that changed


class ConsentIn(Schema):
    scope: str = Field(..., description="record, analysis, share or identify")
    decision: str = Field(..., description="granted or withdrawn")
    form: str = Field(..., description="written, oral or recorded")
    mechanism: str | None = Field(None, description="a mechanism slug (share, identify)")
    item: int | None = Field(None, description="an item of the testimony; none = all of it")
    form_item: int | None = Field(None, description="the item holding the signed form")
    effective_at: dt.datetime | None = Field(None, description="when given; default now")


class ConsentOut(Schema):
    id: int
    witness: str
    item: int | None
    scope: str
    mechanism: str | None
    decision: str
    form: str
    form_item: int | None
    effective_at: dt.datetime
    recorded_by: str | None


class AffectedDisclosureOut(Schema):
    id: int
    case: int
    mechanism: str
    recipient: str
    disclosed_at: dt.datetime


class ConsentRecordedOut(ConsentOut):
    # For a withdrawal: the earlier disclosures that included what it covers (the
    # recipients may need to be told); empty for a grant.
    affected_disclosures: list[AffectedDisclosureOut]


class ConsentStateOut(Schema):
    current: list[ConsentOut]  # the latest decision for each scope, mechanism and item
    history: list[ConsentOut]  # every decision, oldest first


class CoverageOut(Schema):
    mechanism: str
    covered: bool
    reason: str
    identified: bool  # false: what goes to the mechanism must be redacted
    identification_reason: str


class InterviewIn(Schema):
    conducted_on: dt.date
    language: str
    interviewer: str | None = Field(None, description="a username; default: who records it")
    interviewer_name: str = Field("", description="an interviewer without an account")
    place: str = ""
    interpreter: str = ""
    summary: str = Field("", description="summary of facts; refer to people by pseudonym")
    incidents: list[int] = []
    acts: list[int] = []


class TestimonyOut(Schema):
    item: int
    filename: str
    sha256: str
    size: int
    media_type: str
    kind: str
    language: str
    interview: int | None
    derived_from: int | None
    derivation: str
    added_by: str | None
    added_at: dt.datetime


class InterviewOut(Schema):
    id: int
    witness: str
    interviewer: str | None
    interviewer_name: str
    conducted_on: dt.date
    place: str
    language: str
    interpreter: str
    summary: str
    incidents: list[int]
    acts: list[int]
    testimonies: list[TestimonyOut]
    created_by: str | None
    created_at: dt.datetime


class LinkIn(Schema):
    item: int
    kind: str = Field(..., description="recording, notes, statement, document or other")
    interview: int | None = None
    language: str = ""


# ---------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def handled() -> Iterator[None]:
    """The cases services' refusals as API errors (none of them carries an identity)."""
    try:
        yield
    except WitnessNotFound:
        raise Http404 from None
    except IdentityRefused as exc:
        raise HttpError(403, str(exc)) from None
    except IdentityKeyUnavailable:
        # The detail names a file on the server: it goes to the log, not to the client.
        logger.error("identity store unavailable: see `testimonia manage check` (cases.E001)")
        raise HttpError(
            503,
            _("the identity store is not available: ask the administrator to restore its key"),
        ) from None
    except CasesError as exc:
        raise HttpError(400, str(exc)) from None
    except IntegrityError:
        raise HttpError(409, _("the record conflicts with another one; reload and retry")) from None


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def witness_or_404(request: HttpRequest, pseudonym: str) -> Witness:
    with handled():
        return witnesses.witness_of(workspace_of(request), pseudonym)


def witness_out(witness: Witness) -> WitnessOut:
    return WitnessOut(
        pseudonym=witness.pseudonym,
        risk_level=witness.risk_level,
        protection_measures=list(witness.protection_measures),
        risk_assessed_at=witness.risk_assessed_at,
        risk_assessed_by=_username(witness.risk_assessed_by),
        created_by=_username(witness.created_by),
        created_at=witness.created_at,
        interviews=_counted(witness, "n_interviews", "interviews"),
        testimonies=_counted(witness, "n_testimonies", "testimonies"),
    )


def _counted(witness: Witness, annotation: str, relation: str) -> int:
    """A count annotated by the list (one query for all), else counted for this witness."""
    value = getattr(witness, annotation, None)
    return int(value) if value is not None else int(getattr(witness, relation).count())


def consent_out(row: Consent) -> ConsentOut:
    return ConsentOut(**consent.consent_record(row))


def testimony_out(row: Testimony) -> TestimonyOut:
    item = row.item
    return TestimonyOut(
        item=item.pk,
        filename=item.original_filename,
        sha256=item.blob.sha256,
        size=item.blob.size,
        media_type=item.blob.media_type,
        kind=row.kind,
        language=row.language,
        interview=row.interview_id,
        derived_from=item.derived_from_id,
        derivation=item.derivation,
        added_by=_username(row.added_by),
        added_at=row.added_at,
    )


def interview_out(row: Interview) -> InterviewOut:
    return InterviewOut(
        id=row.pk,
        witness=row.witness.pseudonym,
        interviewer=_username(row.interviewer),
        interviewer_name=row.interviewer_name,
        conducted_on=row.conducted_on,
        place=row.place,
        language=row.language,
        interpreter=row.interpreter,
        summary=row.summary,
        incidents=sorted(i.pk for i in row.incidents.all()),
        acts=sorted(a.pk for a in row.acts.all()),
        testimonies=[
            testimony_out(t)
            for t in row.testimonies.select_related("item__blob", "added_by").order_by("pk")
        ],
        created_by=_username(row.created_by),
        created_at=row.created_at,
    )


def _item_or_404(request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    found = items_of(workspace_of(request)).filter(pk=pk).first()
    if found is None:
        raise HttpError(400, _("no item %(item)s in this workspace") % {"item": pk})
    return found


def _coverage(target: Witness | Any, slug: str, at: dt.datetime | None) -> CoverageOut:
    with handled():
        sharing = consent.consent_covers(target, slug, at)
        identified = consent.identification_allowed(target, slug, at)
    return CoverageOut(
        mechanism=slug,
        covered=sharing.covered,
        reason=sharing.reason,
        identified=identified.covered,
        identification_reason=identified.reason,
    )


# ---------------------------------------------------------------------------------------------
# Mechanisms (the registry is the same for every workspace)


@router.get("/mechanisms", response=list[MechanismOut], summary="The mechanisms registry")
def list_mechanisms(request: HttpRequest) -> list[dict[str, Any]]:
    rows = Mechanism.objects.select_related("parent").order_by("position", "slug")
    return [mechanism_record(m) for m in rows]


# ---------------------------------------------------------------------------------------------
# Witnesses


@router.get(WITNESSES, response=list[WitnessOut], summary="Witnesses (pseudonyms)", auth=VIEW)
def list_witnesses(request: HttpRequest, workspace: str) -> list[WitnessOut]:
    rows = (
        witnesses.witnesses_of(workspace_of(request))
        .select_related("risk_assessed_by")
        .annotate(
            n_interviews=Count("interviews", distinct=True),
            n_testimonies=Count("testimonies", distinct=True),
        )
    )
    return [witness_out(w) for w in rows]


@router.post(
    WITNESSES,
    response={201: WitnessOut},
    summary="Take in a witness; answers the pseudonym only",
    auth=RECORD,
)
def create_witness(request: HttpRequest, workspace: str, payload: WitnessIn) -> Status[WitnessOut]:
    person = identity.Identity(
        name=payload.name, contacts=payload.contacts, details=payload.details
    )
    with handled():
        witness = witnesses.create_witness(
            actor_of(request),
            workspace_of(request),
            person,
            consent_to=payload.consent,
            consent_form=payload.consent_form,
        )
    return Status(201, witness_out(witness))


@router.get(WITNESS, response=WitnessOut, summary="One witness", auth=VIEW)
def get_witness(request: HttpRequest, workspace: str, pseudonym: str) -> WitnessOut:
    return witness_out(witness_or_404(request, pseudonym))


@router.patch(
    WITNESS + "/protection",
    response=WitnessOut,
    summary="Record a risk assessment and protection measures",
    auth=PROTECT,
)
def assess_risk(
    request: HttpRequest, workspace: str, pseudonym: str, payload: ProtectionIn
) -> WitnessOut:
    witness = witness_or_404(request, pseudonym)
    with handled():
        witnesses.assess_risk(
            actor_of(request),
            witness,
            level=payload.risk_level,
            measures=payload.protection_measures,
            notes=payload.risk_notes,
        )
    return witness_out(witness)


@router.post(
    WITNESS + "/identity/reveal",
    response=IdentityOut,
    summary="See the identity (protection officers; the reason goes to the custody log)",
    auth=REVEAL,
)
def reveal_identity(
    request: HttpRequest, workspace: str, pseudonym: str, payload: RevealIn
) -> IdentityOut:
    witness = witness_or_404(request, pseudonym)
    with handled():
        person = identity.reveal_identity(actor_of(request), witness, payload.reason)
    return IdentityOut(pseudonym=witness.pseudonym, **person.as_dict())


@router.patch(
    WITNESS + "/identity",
    response=IdentityChanged,
    summary="Correct the identity (protection officers; with a reason)",
    auth=REVEAL,
)
def update_identity(
    request: HttpRequest, workspace: str, pseudonym: str, payload: IdentityPatch
) -> IdentityChanged:
    witness = witness_or_404(request, pseudonym)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    reason = changes.pop("reason")
    with handled():
        changed = identity.update_identity(actor_of(request), witness, reason, **changes)
    return IdentityChanged(pseudonym=witness.pseudonym, changed=changed)


# ---------------------------------------------------------------------------------------------
# Consent


@router.get(
    WITNESS + "/consent",
    response=ConsentStateOut,
    summary="Consent decisions: the current ones and the history",
    auth=VIEW,
)
def get_consent(request: HttpRequest, workspace: str, pseudonym: str) -> ConsentStateOut:
    witness = witness_or_404(request, pseudonym)
    return ConsentStateOut(
        current=[consent_out(c) for c in consent.current_state(witness)],
        history=[consent_out(c) for c in consent.history(witness)],
    )


@router.post(
    WITNESS + "/consent",
    response={201: ConsentRecordedOut},
    summary="Record a consent given or withdrawn (a withdrawal lists the disclosures it affects)",
    auth=RECORD,
)
def record_consent(
    request: HttpRequest, workspace: str, pseudonym: str, payload: ConsentIn
) -> Status[ConsentRecordedOut]:
    witness = witness_or_404(request, pseudonym)
    item = _item_or_404(request, payload.item)
    form_item = _item_or_404(request, payload.form_item)
    with handled():
        row = consent.record_consent(
            actor_of(request),
            witness,
            payload.scope,
            payload.decision,
            form=payload.form,
            mechanism_slug=payload.mechanism,
            item=item,
            form_item=form_item,
            effective_at=payload.effective_at,
        )
    affected = [
        AffectedDisclosureOut(**disclosures_affected.affected_record(d))
        for d in disclosures_affected.disclosures_affected_by(row)
    ]
    return Status(
        201, ConsentRecordedOut(**consent.consent_record(row), affected_disclosures=affected)
    )


@router.get(
    WITNESS + "/consent/coverage",
    response=CoverageOut,
    summary="Whether the witness's testimony may go to a mechanism, and why",
    auth=VIEW,
)
def witness_coverage(
    request: HttpRequest,
    workspace: str,
    pseudonym: str,
    mechanism: str,
    at: dt.datetime | None = None,
) -> CoverageOut:
    return _coverage(witness_or_404(request, pseudonym), mechanism, at)


@router.get(
    WS + "/items/{item_id}/consent",
    response=CoverageOut,
    summary="Whether an item may go to a mechanism under its witness's consent, and why",
    auth=VIEW,
)
def item_coverage(
    request: HttpRequest,
    workspace: str,
    item_id: int,
    mechanism: str,
    at: dt.datetime | None = None,
) -> CoverageOut:
    item = items_of(workspace_of(request)).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return _coverage(item, mechanism, at)


# ---------------------------------------------------------------------------------------------
# Interviews and testimony items


@router.get(WITNESS + "/interviews", response=list[InterviewOut], summary="Interviews", auth=VIEW)
def list_interviews(request: HttpRequest, workspace: str, pseudonym: str) -> list[InterviewOut]:
    witness = witness_or_404(request, pseudonym)
    return [interview_out(i) for i in testimonies.interviews_of(witness)]


@router.post(
    WITNESS + "/interviews",
    response={201: InterviewOut},
    summary="Record an interview",
    auth=RECORD,
)
def record_interview(
    request: HttpRequest, workspace: str, pseudonym: str, payload: InterviewIn
) -> Status[InterviewOut]:
    witness = witness_or_404(request, pseudonym)
    interviewer: User | None = actor_of(request)
    if payload.interviewer is not None:
        interviewer = User.objects.filter(
            username=payload.interviewer, memberships__workspace=witness.workspace
        ).first()
        if interviewer is None:
            raise HttpError(
                400,
                _("no member %(user)r in this workspace: give interviewer_name instead")
                % {"user": payload.interviewer},
            )
    with handled():
        interview = testimonies.record_interview(
            actor_of(request),
            witness,
            conducted_on=payload.conducted_on,
            language=payload.language,
            interviewer=interviewer if not payload.interviewer_name else None,
            interviewer_name=payload.interviewer_name,
            place=payload.place,
            interpreter=payload.interpreter,
            summary=payload.summary,
            incident_ids=payload.incidents,
            act_ids=payload.acts,
        )
    return Status(201, interview_out(interview))


@router.get(
    WITNESS + "/interviews/{interview_id}",
    response=InterviewOut,
    summary="One interview",
    auth=VIEW,
)
def get_interview(
    request: HttpRequest, workspace: str, pseudonym: str, interview_id: int
) -> InterviewOut:
    witness = witness_or_404(request, pseudonym)
    found = testimonies.interviews_of(witness).filter(pk=interview_id).first()
    if found is None:
        raise Http404
    return interview_out(found)


@router.get(
    WITNESS + "/testimonies",
    response=list[TestimonyOut],
    summary="Items the witness gave, and their transcripts and translations",
    auth=VIEW,
)
def list_testimonies(request: HttpRequest, workspace: str, pseudonym: str) -> list[TestimonyOut]:
    witness = witness_or_404(request, pseudonym)
    return [testimony_out(t) for t in testimonies.testimonies_of(witness)]


@router.post(
    WITNESS + "/testimonies",
    response={201: TestimonyOut},
    summary="Upload a testimony item (stored under a name made from the pseudonym)",
    auth=RECORD,
)
def add_testimony(
    request: HttpRequest,
    workspace: str,
    pseudonym: str,
    file: File[UploadedFile],
    kind: Form[str],
    interview: Form[int | None] = None,
    language: Form[str] = "",
    derived_from: Form[int | None] = None,
    method: Form[str] = "",
) -> Status[TestimonyOut]:
    witness = witness_or_404(request, pseudonym)
    original = _item_or_404(request, derived_from)
    with handled():
        session = testimonies.interview_of(witness, interview) if interview else None
        added = testimonies.add_testimony(
            actor_of(request),
            witness,
            file.chunks(),
            original_name=file.name or "",
            kind=kind,
            interview=session,
            language=language,
            derived_from=original,
            method=method,
        )
    return Status(201, testimony_out(added.testimony))


@router.post(
    WITNESS + "/items",
    response={201: TestimonyOut},
    summary="Record that an item already in the vault was given by the witness",
    auth=RECORD,
)
def link_item(
    request: HttpRequest, workspace: str, pseudonym: str, payload: LinkIn
) -> Status[TestimonyOut]:
    witness = witness_or_404(request, pseudonym)
    item = _item_or_404(request, payload.item)
    with handled():
        session = (
            testimonies.interview_of(witness, payload.interview) if payload.interview else None
        )
        row = testimonies.link_item(
            actor_of(request),
            witness,
            item,
            kind=payload.kind,
            interview=session,
            language=payload.language,
        )
    return Status(201, testimony_out(row))
