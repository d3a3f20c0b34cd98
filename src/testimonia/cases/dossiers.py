"""Dossiers: cases built for a justice mechanism (docs/cases.md).

A case holds the situation, the suspects (persons or units of the documentation database), the
charges (a crime of the legal catalogue and a mode of liability, linked to the legal app's
qualification and liability where they exist), the incidents and evidence items that support
them, and the team. Every change is made by a named actor (None: the system, for the command
line run with the server's authority), checked against BUILD_CASES, and kept in the history
tables with its author. A closed case no longer changes, except to be reopened.

Who sees what: every internal role reads every case of the workspace; a reviewer (external)
reads only the cases whose team names them as the reviewer for a mechanism, and there only
the disclosures to that mechanism (`visible_cases`, `reviewer_mechanisms`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, Role, grants
from testimonia.accounts.services import membership_roles
from testimonia.cases.exceptions import CaseConflict, CaseNotFound, CasesError
from testimonia.cases.mechanisms import lineage, mechanism
from testimonia.cases.models import (
    Case,
    CaseItem,
    CaseMember,
    CaseSuspect,
    Charge,
    Mechanism,
)
from testimonia.cases.testimonies import check_language
from testimonia.evidence.models import Item
from testimonia.incidents.models import Incident, Organisation, Person
from testimonia.legal import catalogue
from testimonia.legal.models import Liability, Qualification

M = TypeVar("M", bound=models.Model)
MAX_TITLE = 300
MAX_TEXT = 20_000
EDITABLE = ("title", "situation", "summary", "language", "mechanism", "status")


# ---------------------------------------------------------------------------------------------
# Who may do what


def may_build(actor: User | None, workspace: Workspace) -> bool:
    """Whether the actor may build cases here; None is the system (the command line)."""
    return actor is None or grants(membership_roles(actor, workspace.slug), Capability.BUILD_CASES)


def require_builder(actor: User | None, workspace: Workspace) -> None:
    if not may_build(actor, workspace):
        raise WorkspaceAccessDenied(Capability.BUILD_CASES)


def reads_working_records(user: User, workspace: Workspace) -> bool:
    """Internal roles read the whole dossier; a reviewer only what was disclosed to them."""
    return grants(membership_roles(user, workspace.slug), Capability.VIEW_RECORDS)


def cases_of(workspace: Workspace) -> QuerySet[Case]:
    return Case.objects.filter(workspace=workspace).select_related("mechanism", "created_by")


def visible_cases(user: User, workspace: Workspace) -> QuerySet[Case]:
    """The cases the user may see: all of them for an internal role; for a reviewer, those
    whose team names them."""
    rows = cases_of(workspace)
    if reads_working_records(user, workspace):
        return rows
    return rows.filter(team__user=user, team__role=CaseMember.Role.REVIEWER).distinct()


def reviewer_mechanisms(user: User, case: Case) -> set[int]:
    """The mechanisms whose disclosures a reviewer of this case sees: the one the team names
    them for, and the narrower entries under it (a reviewer for `national` sees a disclosure
    to `national-de`)."""
    named = set(
        CaseMember.objects.filter(case=case, user=user, role=CaseMember.Role.REVIEWER).values_list(
            "mechanism_id", flat=True
        )
    )
    if not named:
        return set()
    return {
        entry.pk for entry in Mechanism.objects.all() if any(m.pk in named for m in lineage(entry))
    }


def case_of(workspace: Workspace, pk: int) -> Case:
    found = cases_of(workspace).filter(pk=pk).first()
    if found is None:
        raise CaseNotFound(_("no case %(id)s in this workspace") % {"id": pk})
    return found


# ---------------------------------------------------------------------------------------------
# Helpers


def _text(value: str | None, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CasesError(_("give the %(what)s") % {"what": what})
    if len(text) > limit:
        raise CasesError(
            _("the %(what)s is longer than %(max)s characters") % {"what": what, "max": limit}
        )
    return text


def save_as(actor: User | None, record: M) -> M:
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    record.save()
    return record


def delete_as(actor: User | None, record: models.Model) -> None:
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    record.delete()


def _open(actor: User | None, case: Case) -> None:
    """The actor may build cases here and the case can still change."""
    require_builder(actor, case.workspace)
    if case.status == Case.Status.CLOSED:
        raise CaseConflict(
            _("case %(id)s is closed: reopen it (status open) before changing it") % {"id": case.pk}
        )


def _same_workspace(case: Case, record: models.Model, what: str) -> None:
    if getattr(record, "workspace_id", None) != case.workspace_id:
        raise CasesError(
            _("no %(what)s %(id)s in this workspace") % {"what": what, "id": record.pk}
        )


def _status(value: str) -> str:
    if value not in Case.Status.values:
        raise CasesError(
            _("unknown status %(value)r: use one of %(choices)s")
            % {"value": value, "choices": ", ".join(Case.Status.values)}
        )
    return value


# ---------------------------------------------------------------------------------------------
# Cases


def create_case(
    actor: User | None,
    workspace: Workspace,
    title: str,
    *,
    mechanism_slug: str | None = None,
    situation: str = "",
    summary: str = "",
    language: str = "en",
) -> Case:
    """Open a case; the actor who opens it leads its team."""
    require_builder(actor, workspace)
    case = Case(
        workspace=workspace,
        title=_text(title, _("title"), required=True, limit=MAX_TITLE),
        mechanism=mechanism(mechanism_slug) if mechanism_slug else None,
        situation=_text(situation, _("situation")),
        summary=_text(summary, _("summary")),
        language=check_language(language, required=True),
        created_by=actor,
    )
    with transaction.atomic():
        save_as(actor, case)
        if actor is not None:
            save_as(
                actor,
                CaseMember(case=case, user=actor, role=CaseMember.Role.LEAD, added_by=actor),
            )
    return case


def update_case(actor: User | None, case: Case, **changes: Any) -> Case:
    """Change the case's title, situation, summary, language, mechanism (a slug, or None) or
    status. A closed case changes only its status (to be reopened)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CasesError(_("these fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    require_builder(actor, case.workspace)
    if case.status == Case.Status.CLOSED and set(changes) - {"status"}:
        raise CaseConflict(
            _("case %(id)s is closed: reopen it (status open) before changing it") % {"id": case.pk}
        )
    if "title" in changes:
        case.title = _text(changes["title"], _("title"), required=True, limit=MAX_TITLE)
    for name in ("situation", "summary"):
        if name in changes:
            setattr(case, name, _text(changes[name], name))
    if "language" in changes:
        case.language = check_language(changes["language"] or "", required=True)
    if "mechanism" in changes:
        slug = changes["mechanism"]
        case.mechanism = mechanism(slug) if slug else None
    if "status" in changes:
        case.status = _status(changes["status"])
    return save_as(actor, case)


def set_status(actor: User | None, case: Case, status: str) -> Case:
    return update_case(actor, case, status=status)


# ---------------------------------------------------------------------------------------------
# Suspects


def add_suspect(
    actor: User | None,
    case: Case,
    *,
    person: Person | None = None,
    organisation: Organisation | None = None,
    note: str = "",
) -> CaseSuspect:
    """Name a person or a unit of the documentation database as a suspect of the case."""
    _open(actor, case)
    suspect: Person | Organisation | None = person if person is not None else organisation
    if suspect is None or (person is not None and organisation is not None):
        raise CasesError(_("a suspect is a person or a unit: give one of the two"))
    _same_workspace(case, suspect, _("person") if person is not None else _("unit"))
    record = CaseSuspect(
        case=case,
        person=person,
        organisation=organisation,
        note=_text(note, _("note")),
        added_by=actor,
    )
    try:
        # The unique constraint decides between two requests at once.
        with transaction.atomic():
            return save_as(actor, record)
    except IntegrityError:
        raise CaseConflict(_("this suspect is already named in the case")) from None


def remove_suspect(actor: User | None, suspect: CaseSuspect) -> None:
    _open(actor, suspect.case)
    if suspect.charges.exists():
        raise CaseConflict(
            _("suspect %(id)s is named in charges %(charges)s: remove those first")
            % {
                "id": suspect.pk,
                "charges": ", ".join(
                    str(pk) for pk in suspect.charges.values_list("pk", flat=True)
                ),
            }
        )
    delete_as(actor, suspect)


def suspect_of(case: Case, pk: int) -> CaseSuspect:
    found = case.suspects.select_related("person", "organisation").filter(pk=pk).first()
    if found is None:
        raise CaseNotFound(_("no suspect %(id)s in case %(case)s") % {"id": pk, "case": case.pk})
    return found


# ---------------------------------------------------------------------------------------------
# Charges


def _liability_for(
    case: Case, crime_id: str, mode_id: str, suspect: CaseSuspect
) -> Liability | None:
    """The one liability of the legal app that alleges this crime and mode against this
    suspect (left out when there is none, or more than one to choose from)."""
    rows = Liability.objects.filter(
        qualification__workspace=case.workspace,
        qualification__crime_id=crime_id,
        mode_id=mode_id,
        person=suspect.person,
        organisation=suspect.organisation,
    ).exclude(qualification__status=Qualification.Status.REJECTED)
    found = list(rows[:2])
    return found[0] if len(found) == 1 else None


def add_charge(
    actor: User | None,
    case: Case,
    crime_id: str,
    mode_id: str,
    *,
    suspect: CaseSuspect | None = None,
    qualification: Qualification | None = None,
    liability: Liability | None = None,
    note: str = "",
) -> Charge:
    """Charge a crime of the catalogue under a mode of liability, against a suspect of the
    case (or none named yet). The legal app's qualification and liability are linked where
    given, or found where exactly one fits (the crime, the mode, the suspect)."""
    _open(actor, case)
    try:
        crime = catalogue.crime(crime_id)
        mode = catalogue.mode(mode_id)
    except catalogue.UnknownEntry as exc:
        raise CasesError(str(exc)) from None
    if suspect is not None and suspect.case_id != case.pk:
        raise CasesError(_("suspect %(id)s is not a suspect of this case") % {"id": suspect.pk})
    if liability is not None:
        if qualification is not None and liability.qualification_id != qualification.pk:
            raise CasesError(_("the liability belongs to another qualification"))
        qualification = liability.qualification
        if liability.mode_id != mode.id:
            raise CasesError(
                _("liability %(id)s alleges %(mode)s, not %(wanted)s")
                % {"id": liability.pk, "mode": liability.mode_id, "wanted": mode.id}
            )
        if suspect is not None and (
            liability.person_id != suspect.person_id
            or liability.organisation_id != suspect.organisation_id
        ):
            raise CasesError(_("liability %(id)s names another suspect") % {"id": liability.pk})
        if suspect is None:
            named = (
                Q(person_id=liability.person_id)
                if liability.person_id is not None
                else Q(organisation_id=liability.organisation_id)
            )
            suspect = case.suspects.filter(named).first()
            if suspect is None:
                raise CasesError(
                    _("add the suspect of liability %(id)s to the case first")
                    % {"id": liability.pk}
                )
    if qualification is not None:
        if qualification.workspace_id != case.workspace_id:
            raise CasesError(
                _("no qualification %(id)s in this workspace") % {"id": qualification.pk}
            )
        if qualification.crime_id != crime.id:
            raise CasesError(
                _("qualification %(id)s is of %(crime)s, not %(wanted)s")
                % {"id": qualification.pk, "crime": qualification.crime_id, "wanted": crime.id}
            )
    if liability is None and suspect is not None:
        liability = _liability_for(case, crime.id, mode.id, suspect)
        if liability is not None and qualification is None:
            qualification = liability.qualification
        elif liability is not None and liability.qualification_id != getattr(
            qualification, "pk", None
        ):
            liability = None  # the qualification given decides
    record = Charge(
        case=case,
        crime_id=crime.id,
        mode_id=mode.id,
        catalogue_version=catalogue.CATALOGUE_VERSION,
        suspect=suspect,
        qualification=qualification,
        liability=liability,
        note=_text(note, _("note")),
        added_by=actor,
    )
    try:
        with transaction.atomic():
            return save_as(actor, record)
    except IntegrityError:
        raise CaseConflict(
            _("the case already charges %(crime)s under %(mode)s against this suspect")
            % {"crime": crime.id, "mode": mode.id}
        ) from None


def remove_charge(actor: User | None, charge: Charge) -> None:
    _open(actor, charge.case)
    delete_as(actor, charge)


def charge_of(case: Case, pk: int) -> Charge:
    found = case.charges.filter(pk=pk).first()
    if found is None:
        raise CaseNotFound(_("no charge %(id)s in case %(case)s") % {"id": pk, "case": case.pk})
    return found


# ---------------------------------------------------------------------------------------------
# Items and incidents


def add_items(
    actor: User | None, case: Case, items: Iterable[Item], *, note: str = ""
) -> list[CaseItem]:
    """Add evidence items to the case, with a note on what they show; an item already in the
    case keeps its entry (its note is replaced when a note is given)."""
    _open(actor, case)
    text = _text(note, _("note"))
    added: list[CaseItem] = []
    with transaction.atomic():
        for item in items:
            _same_workspace(case, item, _("item"))
            if item.deleted_at is not None:
                raise CasesError(_("item %(id)s was deleted") % {"id": item.pk})
            row = CaseItem.objects.filter(case=case, item=item).first()
            if row is None:
                try:
                    with transaction.atomic():
                        row = save_as(
                            actor, CaseItem(case=case, item=item, note=text, added_by=actor)
                        )
                except IntegrityError:
                    # Race: another request added it meanwhile; the constraint kept one row.
                    row = CaseItem.objects.get(case=case, item=item)
            elif text and row.note != text:
                row.note = text
                save_as(actor, row)
            added.append(row)
    return added


def remove_item(actor: User | None, case: Case, item_id: int) -> None:
    _open(actor, case)
    row = case.case_items.filter(item_id=item_id).first()
    if row is None:
        raise CaseNotFound(
            _("item %(id)s is not in case %(case)s") % {"id": item_id, "case": case.pk}
        )
    delete_as(actor, row)


def case_items(case: Case) -> QuerySet[CaseItem]:
    return case.case_items.select_related("item__blob", "added_by").order_by("item_id")


def add_incidents(actor: User | None, case: Case, incidents: Iterable[Incident]) -> None:
    _open(actor, case)
    rows = list(incidents)
    for incident in rows:
        _same_workspace(case, incident, _("incident"))
    case._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    case.incidents.add(*rows)


def remove_incident(actor: User | None, case: Case, incident_id: int) -> None:
    _open(actor, case)
    incident = case.incidents.filter(pk=incident_id).first()
    if incident is None:
        raise CaseNotFound(
            _("incident %(id)s is not in case %(case)s") % {"id": incident_id, "case": case.pk}
        )
    case._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    case.incidents.remove(incident)


# ---------------------------------------------------------------------------------------------
# Team


def add_member(
    actor: User | None,
    case: Case,
    user: User,
    role: str,
    *,
    mechanism_slug: str | None = None,
) -> CaseMember:
    """Put a member of the workspace on the case's team: lead, member, or reviewer for a
    mechanism (who then sees the case's disclosures to it). Someone whose only role in the
    workspace is reviewer (an external) joins as a reviewer only."""
    _open(actor, case)
    if role not in CaseMember.Role.values:
        raise CasesError(
            _("unknown role %(role)r: use one of %(roles)s")
            % {"role": role, "roles": ", ".join(CaseMember.Role.values)}
        )
    roles = membership_roles(user, case.workspace.slug)
    if not roles:
        raise CasesError(
            _("%(user)s is not a member of this workspace") % {"user": user.get_username()}
        )
    if roles <= {Role.REVIEWER.value} and role != CaseMember.Role.REVIEWER:
        raise CasesError(
            _("%(user)s is an external reviewer: add them as a reviewer for a mechanism")
            % {"user": user.get_username()}
        )
    entry = None
    if role == CaseMember.Role.REVIEWER:
        if not mechanism_slug:
            raise CasesError(_("a reviewer reviews for a mechanism: name it"))
        entry = mechanism(mechanism_slug)
    elif mechanism_slug:
        raise CasesError(_("only a reviewer is named for a mechanism"))
    record = CaseMember(case=case, user=user, role=role, mechanism=entry, added_by=actor)
    try:
        with transaction.atomic():
            return save_as(actor, record)
    except IntegrityError:
        raise CaseConflict(
            _("%(user)s is already on the team") % {"user": user.get_username()}
        ) from None


def remove_member(actor: User | None, member: CaseMember) -> None:
    _open(actor, member.case)
    delete_as(actor, member)


def member_of(case: Case, pk: int) -> CaseMember:
    found = case.team.select_related("user", "mechanism").filter(pk=pk).first()
    if found is None:
        raise CaseNotFound(_("no member %(id)s in case %(case)s") % {"id": pk, "case": case.pk})
    return found
