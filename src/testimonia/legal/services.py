"""Legal qualification actions: qualify an act or an incident as a crime, accept or reject the
candidate, assess each element and link what supports it, name suspects and their mode of
liability.

Every action takes the user who acts and checks that they hold the QUALIFY capability in the
workspace (legal officers and administrators); each change is saved with them as its author,
so the history (django-simple-history) says who did what and why. Views, the API and the CLI
call these and nothing else to change qualifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles
from testimonia.evidence.models import Item
from testimonia.incidents.models import (
    Act,
    Incident,
    Involvement,
    Organisation,
    Person,
    Source,
)
from testimonia.legal import catalogue
from testimonia.legal.catalogue import Element
from testimonia.legal.indicators import SelectionError, compute, facts_of, select
from testimonia.legal.matrix import PATTERN_BLOCKS, Strength, SupportKind
from testimonia.legal.models import (
    ElementAssessment,
    ElementSupport,
    Liability,
    Qualification,
)

M = TypeVar("M", bound=models.Model)

MAX_TEXT = 20_000  # reasoning, notes and findings: long enough for a memo, not a dump


class QualificationError(Exception):
    """A request that cannot be carried out as asked; the message names the problem."""


class QualificationConflict(QualificationError):
    """The request conflicts with what is recorded (already qualified, already decided, a
    rejected qualification that cannot change); the message says what is in the way."""


@dataclass(frozen=True)
class Finding:
    """A finding of the legal officer, in words, offered as support for an element."""

    text: str


@dataclass(frozen=True)
class IndicatorQuery:
    """Pattern indicators over the incidents this query selects (legal/indicators.py:
    `{"incident_ids": [...]}` or `{"filter": {...}}`), offered as support for the widespread
    or systematic attack (or genocide's manifest pattern)."""

    parameters: Mapping[str, Any]


Target = Act | Incident
Suspect = Person | Organisation
Subject = Qualification | Liability
SupportTarget = (
    Item | Source | Incident | Act | Person | Organisation | Involvement | Finding | IndicatorQuery
)


# ---------------------------------------------------------------------------------------------
# Checks


def may_qualify(actor: User | None, workspace: Workspace) -> bool:
    return actor is not None and grants(membership_roles(actor, workspace.slug), Capability.QUALIFY)


def require_qualifier(actor: User | None, workspace: Workspace) -> User:
    if actor is None or not may_qualify(actor, workspace):
        raise WorkspaceAccessDenied(Capability.QUALIFY)
    return actor


def _text(value: str, what: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise QualificationError(_("give the %(what)s") % {"what": what})
    if len(text) > MAX_TEXT:
        raise QualificationError(
            _("the %(what)s is longer than %(max)s characters") % {"what": what, "max": MAX_TEXT}
        )
    return text


def strength_of(value: Strength | str) -> Strength:
    try:
        return Strength(value)
    except ValueError:
        raise QualificationError(
            _("unknown strength %(value)r: use one of %(choices)s")
            % {"value": value, "choices": ", ".join(s.value for s in Strength)}
        ) from None


def workspace_of_target(target: models.Model) -> Workspace:
    """The workspace of a record of the documentation database or of the vault."""
    if isinstance(target, Act):
        return target.incident.workspace
    if isinstance(target, Involvement):
        return target.act.incident.workspace
    workspace = getattr(target, "workspace", None)
    if not isinstance(workspace, Workspace):  # pragma: no cover - every target has one
        raise QualificationError(_("this record cannot be linked"))
    return workspace


def _same_workspace(workspace: Workspace, record: models.Model) -> None:
    if workspace_of_target(record).pk != workspace.pk:
        raise QualificationError(_("a linked record belongs to another workspace"))


def _save(actor: User | None, record: M) -> M:
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    record.save()
    return record


def _delete(actor: User | None, record: models.Model) -> None:
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    record.delete()


def crime_of(reference: str) -> catalogue.Crime:
    try:
        return catalogue.crime(reference)
    except catalogue.UnknownEntry as exc:
        raise QualificationError(str(exc)) from None


def mode_of(reference: str) -> catalogue.ModeOfLiability:
    try:
        return catalogue.mode(reference)
    except catalogue.UnknownEntry as exc:
        raise QualificationError(str(exc)) from None


def qualification_of(subject: Subject) -> Qualification:
    return subject if isinstance(subject, Qualification) else subject.qualification


def elements_of(subject: Subject) -> tuple[Element, ...]:
    """The numbered elements of the crime (for a qualification) or of the mode of liability."""
    if isinstance(subject, Qualification):
        return crime_of(subject.crime_id).elements
    return mode_of(subject.mode_id).elements


def _open(actor: User | None, subject: Subject) -> tuple[User, Qualification]:
    """The actor may qualify here and the qualification can still change (it is not
    rejected: accept or reopen it first)."""
    qualification = qualification_of(subject)
    user = require_qualifier(actor, qualification.workspace)
    if qualification.status == Qualification.Status.REJECTED:
        raise QualificationConflict(
            _("qualification %(id)s was rejected: reopen it before changing it")
            % {"id": qualification.pk}
        )
    return user, qualification


def _element(subject: Subject, number: int) -> Element:
    elements = elements_of(subject)
    for element in elements:
        if element.number == number:
            return element
    what = subject.crime_id if isinstance(subject, Qualification) else subject.mode_id
    raise QualificationError(
        _("%(what)s has no element %(number)s (it has %(count)s)")
        % {"what": what, "number": number, "count": len(elements)}
    )


# ---------------------------------------------------------------------------------------------
# Qualifications


def qualify(
    actor: User | None,
    target: Target,
    crime_id: str,
    reasoning: str,
    *,
    origin: Qualification.Origin = Qualification.Origin.USER,
    rule: str = "",
) -> Qualification:
    """Qualify an act or an incident as a candidate crime, with the reasons. An act (or an
    incident) is qualified at most once as each crime: a second time is a conflict that names
    the first."""
    workspace = workspace_of_target(target)
    user = require_qualifier(actor, workspace)
    crime = crime_of(crime_id)
    text = _text(reasoning, _("reasoning"), required=origin == Qualification.Origin.SUGGESTION)
    record = Qualification(
        workspace=workspace,
        act=target if isinstance(target, Act) else None,
        incident=target if isinstance(target, Incident) else None,
        crime_id=crime.id,
        catalogue_version=catalogue.CATALOGUE_VERSION,
        origin=origin,
        rule=rule,
        proposed_by=user,
        reasoning=text,
    )
    try:
        # The unique constraint, not a look-up first, decides between two requests at once.
        with transaction.atomic():
            return _save(user, record)
    except IntegrityError:
        existing = existing_qualification(target, crime.id)
        if existing is None:  # pragma: no cover - another constraint failed
            raise
        raise QualificationConflict(
            _("%(target)s is already qualified as %(crime)s (qualification %(id)s, %(status)s)")
            % {
                "target": target_label(target),
                "crime": crime.id,
                "id": existing.pk,
                "status": existing.get_status_display(),
            }
        ) from None


def existing_qualification(target: Target, crime_id: str) -> Qualification | None:
    field = "act" if isinstance(target, Act) else "incident"
    return Qualification.objects.filter(**{field: target, "crime_id": crime_id}).first()


def target_label(target: Target) -> str:
    if isinstance(target, Act):
        return _("act %(id)s") % {"id": target.pk}
    return _("incident %(id)s") % {"id": target.pk}


def _decide(
    actor: User | None, qualification: Qualification, status: str, reasoning: str
) -> Qualification:
    user = require_qualifier(actor, qualification.workspace)
    text = _text(reasoning, _("reasons for the decision"), required=True)
    with transaction.atomic():
        # Two officers deciding at once: the row lock makes the second see the first's
        # decision instead of overwriting it unseen.
        current = Qualification.objects.select_for_update().get(pk=qualification.pk)
        if current.status == status:
            raise QualificationConflict(
                _("qualification %(id)s is already %(status)s")
                % {"id": current.pk, "status": current.get_status_display()}
            )
        current.status = status
        current.decided_by = user
        current.decided_at = timezone.now()
        current.decision_reasoning = text
        _save(user, current)
    qualification.refresh_from_db()
    return qualification


def accept(actor: User | None, qualification: Qualification, reasoning: str) -> Qualification:
    """Accept a qualification (a candidate, or one rejected before), with the reasons."""
    return _decide(actor, qualification, Qualification.Status.ACCEPTED, reasoning)


def reject(actor: User | None, qualification: Qualification, reasoning: str) -> Qualification:
    """Reject a qualification, with the reasons. It stays on record (a suggestion run again
    does not propose it anew) and cannot change until it is reopened or accepted."""
    return _decide(actor, qualification, Qualification.Status.REJECTED, reasoning)


def reopen(actor: User | None, qualification: Qualification, reasoning: str) -> Qualification:
    """Make a decided qualification a candidate again, with the reasons."""
    return _decide(actor, qualification, Qualification.Status.CANDIDATE, reasoning)


# ---------------------------------------------------------------------------------------------
# Elements and what supports them


def _assessment(actor: User, subject: Subject, number: int) -> ElementAssessment:
    """The assessment row of an element, locked; created on first use."""
    owner: dict[str, Any] = (
        {"qualification": subject} if isinstance(subject, Qualification) else {"liability": subject}
    )
    rows = ElementAssessment.objects.select_for_update()
    found = rows.filter(**owner, number=number).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return _save(actor, ElementAssessment(**owner, number=number))
    except IntegrityError:  # created by another request meanwhile: use theirs
        return rows.get(**owner, number=number)


def assess_element(
    actor: User | None,
    subject: Subject,
    number: int,
    strength: Strength | str | None,
    note: str = "",
) -> ElementAssessment:
    """Record the legal officer's strength for one element as a whole (None clears it), with
    a note."""
    user, _qualification = _open(actor, subject)
    _element(subject, number)
    value = "" if strength is None else strength_of(strength).value
    text = _text(note, _("note"), required=False)
    with transaction.atomic():
        row = _assessment(user, subject, number)
        row.strength = value
        row.note = text
        row.assessed_by = user
        row.assessed_at = timezone.now()
        return _save(user, row)


def _support_fields(
    workspace: Workspace, element: Element, support: SupportTarget
) -> dict[str, Any]:
    if isinstance(support, Finding):
        return {
            "kind": SupportKind.FINDING.value,
            "finding": _text(support.text, _("finding"), required=True),
        }
    if isinstance(support, IndicatorQuery):
        if element.block not in PATTERN_BLOCKS:
            raise QualificationError(
                _(
                    "indicators support only the widespread or systematic attack and "
                    "genocide's manifest pattern; element %(number)s is not one of them"
                )
                % {"number": element.number}
            )
        try:
            selection = select(workspace, support.parameters)
        except SelectionError as exc:
            raise QualificationError(str(exc)) from None
        result = compute(selection, facts_of(workspace, selection.incident_ids))
        return {
            "kind": SupportKind.INDICATORS.value,
            "query": selection.as_dict(),
            "snapshot": result.as_dict(),
        }
    for kind, model in (
        (SupportKind.ITEM, Item),
        (SupportKind.SOURCE, Source),
        (SupportKind.INCIDENT, Incident),
        (SupportKind.ACT, Act),
        (SupportKind.PERSON, Person),
        (SupportKind.ORGANISATION, Organisation),
        (SupportKind.INVOLVEMENT, Involvement),
    ):
        if isinstance(support, model):
            _same_workspace(workspace, support)
            if isinstance(support, Item) and support.deleted_at is not None:
                raise QualificationError(_("evidence item %(id)s was deleted") % {"id": support.pk})
            return {"kind": kind.value, kind.value: support}
    raise QualificationError(_("this cannot support an element"))  # pragma: no cover


def link_support(
    actor: User | None,
    subject: Subject,
    number: int,
    support: SupportTarget,
    strength: Strength | str,
    note: str = "",
) -> ElementSupport:
    """Link what supports element `number` of a qualified crime (or of a suspect's mode of
    liability): an evidence item, a source, a fact, a finding or indicators, with how
    strongly it proves the element and a note. The same record is linked to an element once."""
    user, qualification = _open(actor, subject)
    element = _element(subject, number)
    fields = _support_fields(qualification.workspace, element, support)
    value = strength_of(strength).value
    text = _text(note, _("note"), required=False)
    try:
        with transaction.atomic():
            row = _assessment(user, subject, number)
            return _save(
                user,
                ElementSupport(
                    assessment=row, strength=value, note=text, created_by=user, **fields
                ),
            )
    except IntegrityError:
        raise QualificationConflict(
            _("this %(kind)s is already linked to element %(number)s")
            % {"kind": fields["kind"], "number": number}
        ) from None


def _subject_of(support: ElementSupport) -> Subject:
    assessment = support.assessment
    subject: Subject | None = assessment.qualification or assessment.liability
    if subject is None:  # pragma: no cover - the check constraint names one of the two
        raise QualificationError(_("this link belongs to nothing"))
    return subject


def assess_support(
    actor: User | None, support: ElementSupport, strength: Strength | str, note: str | None = None
) -> ElementSupport:
    """Change how strongly a linked record supports its element (and the note)."""
    user, _qualification = _open(actor, _subject_of(support))
    support.strength = strength_of(strength).value
    if note is not None:
        support.note = _text(note, _("note"), required=False)
    return _save(user, support)


def unlink_support(actor: User | None, support: ElementSupport) -> None:
    """Remove a link; its history keeps who linked and removed it."""
    user, _qualification = _open(actor, _subject_of(support))
    _delete(user, support)


# ---------------------------------------------------------------------------------------------
# Suspects


def add_suspect_liability(
    actor: User | None,
    qualification: Qualification,
    suspect: Suspect,
    mode_id: str,
    reasoning: str = "",
) -> Liability:
    """Name a suspect (a person, or a unit) and the mode of liability alleged against them
    for a qualified crime. Each suspect is named once per mode for a qualification."""
    user, _q = _open(actor, qualification)
    _same_workspace(qualification.workspace, suspect)
    mode = mode_of(mode_id)
    record = Liability(
        qualification=qualification,
        person=suspect if isinstance(suspect, Person) else None,
        organisation=suspect if isinstance(suspect, Organisation) else None,
        mode_id=mode.id,
        catalogue_version=catalogue.CATALOGUE_VERSION,
        reasoning=_text(reasoning, _("reasoning"), required=False),
        created_by=user,
    )
    try:
        with transaction.atomic():
            return _save(user, record)
    except IntegrityError:
        raise QualificationConflict(
            _("this suspect is already named under %(mode)s for qualification %(id)s")
            % {"mode": mode.id, "id": qualification.pk}
        ) from None


def remove_suspect_liability(actor: User | None, liability: Liability) -> None:
    """Remove a suspect's mode of liability with its assessments and links (the history
    keeps them)."""
    user, _q = _open(actor, liability)
    with transaction.atomic():
        for assessment in liability.assessments.all():
            for support in assessment.supports.all():
                _delete(user, support)
            _delete(user, assessment)
        _delete(user, liability)
