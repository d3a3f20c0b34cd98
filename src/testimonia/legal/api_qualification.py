"""API of legal qualification: qualify acts and incidents as crimes, decide the candidates,
assess each element and link what supports it, name suspects and their mode of liability,
ask for suggestions, and read the case matrix (JSON, CSV or PDF) and the pattern indicators.

Reads need VIEW_RECORDS (every internal role); changes need QUALIFY (legal officers and
administrators). Every change goes through legal/services.py, so the history names its
author; an id of another workspace answers 404, like one that does not exist. Errors have the
API's one shape: a refused request 400, a conflict with what is recorded 409.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.evidence.models import Item
from testimonia.incidents.api import IncidentQuery, facets_of
from testimonia.incidents.api_base import (
    ChangeOut,
    VersionOut,
    actor_of,
    check_page,
    found,
    plain,
    workspace_of,
)
from testimonia.incidents.models import (
    Act,
    Incident,
    Involvement,
    Organisation,
    Person,
    Source,
)
from testimonia.legal import exports, services
from testimonia.legal.api_schemas import (
    AssessIn,
    DecisionIn,
    IndicatorsOut,
    LiabilityIn,
    LiabilityOut,
    MatrixOut,
    QualificationOut,
    QualificationPage,
    QualifyIn,
    QueryIn,
    SuggestionsOut,
    SupportIn,
    SupportOut,
    SupportPatch,
)
from testimonia.legal.indicators import SelectionError, filter_parameters, indicators_for
from testimonia.legal.matrix import Section
from testimonia.legal.matrix_loader import (
    Rejected,
    act_label,
    crime_matrix,
    crime_section,
    incident_label,
    incident_matrix,
    liability_section,
    qualifications_of,
    support_value,
    supports_query,
    suspect_label,
    suspect_matrix,
)
from testimonia.legal.models import ElementSupport, Liability, Qualification
from testimonia.legal.services import (
    Finding,
    IndicatorQuery,
    QualificationConflict,
    QualificationError,
)
from testimonia.legal.suggestions import suggest

router = Router(tags=["legal qualification"])

READ = workspace_auth(Capability.VIEW_RECORDS)
WRITE = workspace_auth(Capability.QUALIFY)
WS = "/workspaces/{workspace}"
QUALIFICATION = WS + "/qualifications/{qualification_id}"
LIABILITY = WS + "/liabilities/{liability_id}"
INCIDENT = WS + "/incidents/{incident_id}"
ACT = INCIDENT + "/acts/{act_id}"

Record = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def qualifying() -> Iterator[None]:
    """Turn the services' refusals into API errors."""
    try:
        yield
    except QualificationConflict as exc:
        raise HttpError(409, str(exc)) from None
    except (QualificationError, SelectionError) as exc:
        raise HttpError(400, str(exc)) from None
    except IntegrityError:
        raise HttpError(409, _("the record conflicts with another one; reload and retry")) from None


def _user(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _target(q: Qualification) -> Record:
    if q.act is not None:
        return {
            "type": "act",
            "id": q.act.pk,
            "incident": q.act.incident_id,
            "label": act_label(q.act),
        }
    if q.incident is None:  # pragma: no cover - the check constraint: an act or an incident
        raise Http404
    return {
        "type": "incident",
        "id": q.incident.pk,
        "incident": q.incident.pk,
        "label": incident_label(q.incident),
    }


def _liability_record(q: Qualification, liability: Liability, crime: Section) -> Record:
    section = liability_section(q, liability, crime)
    suspect: Person | Organisation | None = liability.person or liability.organisation
    return {
        "id": liability.pk,
        "qualification": q.pk,
        "suspect": {
            "type": "person" if liability.person_id else "organisation",
            "id": suspect.pk if suspect is not None else 0,
            "label": suspect_label(suspect) if suspect is not None else "?",
        },
        "mode_id": liability.mode_id,
        "mode_article": section.mode_article,
        "mode_name": section.mode_name,
        "catalogue_version": liability.catalogue_version,
        "reasoning": liability.reasoning,
        "created_by": _user(liability.created_by),
        "created_at": liability.created_at,
        "gaps": len(section.gaps),
        "elements": [r.as_dict() for r in section.rows],
    }


def _record(q: Qualification) -> Record:
    crime = crime_section(q)
    return {
        "id": q.pk,
        "target": _target(q),
        "crime_id": q.crime_id,
        "article": crime.article,
        "name": crime.name,
        "catalogue_version": q.catalogue_version,
        "status": q.status,
        "origin": q.origin,
        "rule": q.rule,
        "reasoning": q.reasoning,
        "proposed_by": _user(q.proposed_by),
        "decided_by": _user(q.decided_by),
        "decided_at": q.decided_at,
        "decision_reasoning": q.decision_reasoning,
        "created_at": q.created_at,
        "updated_at": q.updated_at,
        "notes": list(crime.notes),
        "gaps": len(crime.gaps),
        "elements": [r.as_dict() for r in crime.rows],
        "liabilities": [_liability_record(q, li, crime) for li in q.liabilities.all()],
    }


def _loaded(workspace: Workspace) -> QuerySet[Qualification]:
    return qualifications_of(workspace).select_related("proposed_by", "decided_by")


def _one(request: HttpRequest, qualification_id: int) -> Record:
    q: Qualification = found(_loaded(workspace_of(request)), qualification_id)
    return _record(q)


def _qualification(request: HttpRequest, qualification_id: int) -> Qualification:
    q: Qualification = found(
        Qualification.objects.filter(workspace=workspace_of(request)).select_related("workspace"),
        qualification_id,
    )
    return q


def _liability(request: HttpRequest, liability_id: int) -> Liability:
    liability: Liability = found(
        Liability.objects.filter(qualification__workspace=workspace_of(request)).select_related(
            "qualification__workspace"
        ),
        liability_id,
    )
    return liability


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    incident: Incident = found(
        Incident.objects.filter(workspace=workspace_of(request)), incident_id
    )
    return incident


def _act(request: HttpRequest, incident_id: int, act_id: int) -> Act:
    incident = _incident(request, incident_id)
    act: Act = found(
        Act.objects.filter(incident=incident).select_related("act_type__parent", "incident"),
        act_id,
    )
    return act


_MODELS: dict[str, Any] = {
    "item": Item,
    "source": Source,
    "incident": Incident,
    "act": Act,
    "person": Person,
    "organisation": Organisation,
    "involvement": Involvement,
}


def _in_workspace(kind: str, workspace: Workspace) -> QuerySet[Any]:
    model = _MODELS[kind]
    if model is Act:
        return Act.objects.filter(incident__workspace=workspace)
    if model is Involvement:
        return Involvement.objects.filter(act__incident__workspace=workspace)
    rows: QuerySet[Any] = model.objects.filter(workspace=workspace)
    return rows


def _support_target(workspace: Workspace, payload: SupportIn) -> services.SupportTarget:
    if payload.kind == "finding":
        return Finding(payload.text)
    if payload.kind == "indicators":
        if payload.query is None:
            raise HttpError(400, _("give the query that selects the incidents"))
        return IndicatorQuery(_query_parameters(payload.query))
    if payload.id is None:
        raise HttpError(400, _("give the id of the %(kind)s") % {"kind": payload.kind})
    target: services.SupportTarget = found(_in_workspace(payload.kind, workspace), payload.id)
    return target


def _query_parameters(query: QueryIn) -> dict[str, Any]:
    if query.incident_ids is not None and query.filter is not None:
        raise HttpError(400, _("give incident_ids or a filter, not both"))
    if query.incident_ids is not None:
        return {"incident_ids": query.incident_ids}
    return {"filter": query.filter or {}}


def _qualifications_page(rows: QuerySet[Qualification], limit: int, offset: int) -> Record:
    check_page(limit, offset)
    return {
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "items": [_record(q) for q in rows[offset : offset + limit]],
    }


# ---------------------------------------------------------------------------------------------
# Qualifications


@router.get(
    WS + "/qualifications",
    response=QualificationPage,
    auth=READ,
    summary="The qualifications of the workspace",
    description="Filter by `status`, `crime` (id or article), `act` or `incident` (an "
    "incident's own qualifications and those of its acts).",
)
def list_qualifications(
    request: HttpRequest,
    workspace: str,
    status: Literal["candidate", "accepted", "rejected"] | None = None,
    crime: str | None = None,
    act: int | None = None,
    incident: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Record:
    rows = _loaded(workspace_of(request))
    if status is not None:
        rows = rows.filter(status=status)
    if crime:
        with qualifying():
            rows = rows.filter(crime_id=services.crime_of(crime).id)
    if act is not None:
        rows = rows.filter(act_id=act)
    if incident is not None:
        rows = rows.filter(Q(incident_id=incident) | Q(act__incident_id=incident))
    return _qualifications_page(rows, limit, offset)


@router.get(
    INCIDENT + "/qualifications",
    response=list[QualificationOut],
    auth=READ,
    summary="The qualifications of an incident and of its acts",
)
def incident_qualifications(request: HttpRequest, workspace: str, incident_id: int) -> list[Record]:
    incident = _incident(request, incident_id)
    rows = _loaded(workspace_of(request)).filter(Q(incident=incident) | Q(act__incident=incident))
    return [_record(q) for q in rows]


@router.post(
    INCIDENT + "/qualifications",
    response={201: QualificationOut},
    auth=WRITE,
    summary="Qualify a whole incident as a candidate crime",
)
def qualify_incident(
    request: HttpRequest, workspace: str, incident_id: int, payload: QualifyIn
) -> Status[Record]:
    incident = _incident(request, incident_id)
    with qualifying():
        q = services.qualify(actor_of(request), incident, payload.crime, payload.reasoning)
    return Status(201, _one(request, q.pk))


@router.get(
    ACT + "/qualifications",
    response=list[QualificationOut],
    auth=READ,
    summary="The qualifications of an act",
)
def act_qualifications(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int
) -> list[Record]:
    act = _act(request, incident_id, act_id)
    return [_record(q) for q in _loaded(workspace_of(request)).filter(act=act)]


@router.post(
    ACT + "/qualifications",
    response={201: QualificationOut},
    auth=WRITE,
    summary="Qualify an act as a candidate crime",
)
def qualify_act(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, payload: QualifyIn
) -> Status[Record]:
    act = _act(request, incident_id, act_id)
    with qualifying():
        q = services.qualify(actor_of(request), act, payload.crime, payload.reasoning)
    return Status(201, _one(request, q.pk))


@router.post(
    ACT + "/suggestions",
    response=SuggestionsOut,
    auth=WRITE,
    summary="Propose candidate crimes for an act from its type and context",
    description="Stores each candidate as a qualification (status candidate, origin "
    "suggestion) with the rule and reasons that matched; a legal officer accepts or rejects "
    "it. Running it again creates nothing already proposed and never revives a rejected one.",
)
def suggest_for_act(request: HttpRequest, workspace: str, incident_id: int, act_id: int) -> Record:
    act = _act(request, incident_id, act_id)
    with qualifying():
        result = suggest(actor_of(request), act)
    loaded = {q.pk: _record(q) for q in _loaded(workspace_of(request)).filter(act=act)}
    return {
        "act": act.pk,
        "context": result.context.as_dict(),
        "created": [loaded[q.pk] for q in result.created],
        "existing": [loaded[q.pk] for q in result.existing],
    }


@router.get(
    QUALIFICATION,
    response=QualificationOut,
    auth=READ,
    summary="One qualification with its elements (gaps first), links and suspects",
)
def get_qualification(request: HttpRequest, workspace: str, qualification_id: int) -> Record:
    return _one(request, qualification_id)


def _decision(
    request: HttpRequest, qualification_id: int, payload: DecisionIn, action: Any
) -> Record:
    q = _qualification(request, qualification_id)
    with qualifying():
        action(actor_of(request), q, payload.reasoning)
    return _one(request, q.pk)


@router.post(
    QUALIFICATION + "/accept",
    response=QualificationOut,
    auth=WRITE,
    summary="Accept a qualification, with the reasons",
)
def accept_qualification(
    request: HttpRequest, workspace: str, qualification_id: int, payload: DecisionIn
) -> Record:
    return _decision(request, qualification_id, payload, services.accept)


@router.post(
    QUALIFICATION + "/reject",
    response=QualificationOut,
    auth=WRITE,
    summary="Reject a qualification, with the reasons",
)
def reject_qualification(
    request: HttpRequest, workspace: str, qualification_id: int, payload: DecisionIn
) -> Record:
    return _decision(request, qualification_id, payload, services.reject)


@router.post(
    QUALIFICATION + "/reopen",
    response=QualificationOut,
    auth=WRITE,
    summary="Make a decided qualification a candidate again, with the reasons",
)
def reopen_qualification(
    request: HttpRequest, workspace: str, qualification_id: int, payload: DecisionIn
) -> Record:
    return _decision(request, qualification_id, payload, services.reopen)


@router.get(
    QUALIFICATION + "/history",
    response=list[VersionOut],
    auth=READ,
    summary="Every version of a qualification: who proposed, decided and why, newest first",
)
def qualification_history(
    request: HttpRequest, workspace: str, qualification_id: int
) -> list[VersionOut]:
    q = _qualification(request, qualification_id)
    rows = list(q.history.select_related("history_user").order_by("history_date", "history_id"))
    kinds: dict[str, Literal["created", "changed", "deleted"]] = {
        "+": "created",
        "~": "changed",
        "-": "deleted",
    }
    versions: list[VersionOut] = []
    previous = None
    for row in rows:
        if previous is None:
            changes = [
                ChangeOut(field=f.name, old=None, new=plain(getattr(row, f.attname)))
                for f in row.tracked_fields
                if f.editable and getattr(row, f.attname) not in (None, "")
            ]
        else:
            delta = row.diff_against(previous)
            changes = [
                ChangeOut(field=c.field, old=plain(c.old), new=plain(c.new)) for c in delta.changes
            ]
        versions.append(
            VersionOut(
                id=row.history_id,
                date=row.history_date,
                user=_user(row.history_user),
                type=kinds.get(row.history_type, "changed"),
                changes=changes,
            )
        )
        previous = row
    versions.reverse()
    return versions


# ---------------------------------------------------------------------------------------------
# Elements, supports, suspects


def _assess(
    request: HttpRequest, subject: services.Subject, number: int, payload: AssessIn
) -> None:
    with qualifying():
        services.assess_element(actor_of(request), subject, number, payload.strength, payload.note)


def _link(
    request: HttpRequest, subject: services.Subject, number: int, payload: SupportIn
) -> Record:
    target = _support_target(workspace_of(request), payload)
    with qualifying():
        row = services.link_support(
            actor_of(request), subject, number, target, payload.strength, payload.note
        )
    return _support_record(row.pk)


def _support_record(pk: int) -> Record:
    return support_value(supports_query().get(pk=pk)).as_dict()


@router.put(
    QUALIFICATION + "/elements/{number}",
    response=QualificationOut,
    auth=WRITE,
    summary="Assess one element of the qualified crime as a whole",
)
def assess_crime_element(
    request: HttpRequest, workspace: str, qualification_id: int, number: int, payload: AssessIn
) -> Record:
    q = _qualification(request, qualification_id)
    _assess(request, q, number, payload)
    return _one(request, q.pk)


@router.post(
    QUALIFICATION + "/elements/{number}/supports",
    response={201: SupportOut},
    auth=WRITE,
    summary="Link what supports an element of the qualified crime",
    description="An evidence item, a source, a fact (incident, act, person, organisation, "
    "involvement) by its id; a finding in words (`text`); or pattern indicators over the "
    "incidents a `query` selects (only for the widespread or systematic attack and "
    "genocide's manifest pattern). Each with a strength and a note.",
)
def link_crime_support(
    request: HttpRequest, workspace: str, qualification_id: int, number: int, payload: SupportIn
) -> Status[Record]:
    q = _qualification(request, qualification_id)
    return Status(201, _link(request, q, number, payload))


@router.post(
    QUALIFICATION + "/liabilities",
    response={201: LiabilityOut},
    auth=WRITE,
    summary="Name a suspect (a person or a unit) and the mode of liability alleged",
)
def add_liability(
    request: HttpRequest, workspace: str, qualification_id: int, payload: LiabilityIn
) -> Status[Record]:
    q = _qualification(request, qualification_id)
    ws = workspace_of(request)
    if (payload.person is None) == (payload.organisation is None):
        raise HttpError(400, _("name the suspect: a person or an organisation, not both"))
    suspect: Person | Organisation = (
        found(Person.objects.filter(workspace=ws), payload.person)
        if payload.person is not None
        else found(Organisation.objects.filter(workspace=ws), payload.organisation)
    )
    with qualifying():
        liability = services.add_suspect_liability(
            actor_of(request), q, suspect, payload.mode, payload.reasoning
        )
    loaded = found(_loaded(ws), q.pk)
    crime = crime_section(loaded)
    match = next(li for li in loaded.liabilities.all() if li.pk == liability.pk)
    return Status(201, _liability_record(loaded, match, crime))


@router.delete(
    LIABILITY,
    response={204: None},
    auth=WRITE,
    summary="Remove a suspect's mode of liability (the history keeps it)",
)
def remove_liability(request: HttpRequest, workspace: str, liability_id: int) -> Status[None]:
    liability = _liability(request, liability_id)
    with qualifying():
        services.remove_suspect_liability(actor_of(request), liability)
    return Status(204, None)


@router.put(
    LIABILITY + "/elements/{number}",
    response=LiabilityOut,
    auth=WRITE,
    summary="Assess one element of a suspect's mode of liability",
)
def assess_liability_element(
    request: HttpRequest, workspace: str, liability_id: int, number: int, payload: AssessIn
) -> Record:
    liability = _liability(request, liability_id)
    _assess(request, liability, number, payload)
    loaded = found(_loaded(workspace_of(request)), liability.qualification_id)
    match = next(li for li in loaded.liabilities.all() if li.pk == liability.pk)
    return _liability_record(loaded, match, crime_section(loaded))


@router.post(
    LIABILITY + "/elements/{number}/supports",
    response={201: SupportOut},
    auth=WRITE,
    summary="Link what supports an element of a suspect's mode of liability",
)
def link_liability_support(
    request: HttpRequest, workspace: str, liability_id: int, number: int, payload: SupportIn
) -> Status[Record]:
    liability = _liability(request, liability_id)
    return Status(201, _link(request, liability, number, payload))


def _support(request: HttpRequest, support_id: int) -> ElementSupport:
    ws = workspace_of(request)
    rows = ElementSupport.objects.filter(
        Q(assessment__qualification__workspace=ws)
        | Q(assessment__liability__qualification__workspace=ws)
    ).select_related(
        "assessment__qualification__workspace", "assessment__liability__qualification__workspace"
    )
    support: ElementSupport = found(rows, support_id)
    return support


@router.patch(
    WS + "/supports/{support_id}",
    response=SupportOut,
    auth=WRITE,
    summary="Change how strongly a link supports its element, and its note",
)
def change_support(
    request: HttpRequest, workspace: str, support_id: int, payload: SupportPatch
) -> Record:
    support = _support(request, support_id)
    with qualifying():
        services.assess_support(actor_of(request), support, payload.strength, payload.note)
    return _support_record(support.pk)


@router.delete(
    WS + "/supports/{support_id}",
    response={204: None},
    auth=WRITE,
    summary="Remove a link from an element (the history keeps it)",
)
def remove_support(request: HttpRequest, workspace: str, support_id: int) -> Status[None]:
    support = _support(request, support_id)
    with qualifying():
        services.unlink_support(actor_of(request), support)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# The case matrix and the indicators


@router.get(
    WS + "/matrix",
    response=MatrixOut,
    auth=READ,
    summary="The case matrix of an incident, a crime or a suspect (JSON, CSV or PDF)",
    description="Give exactly one of `incident`, `crime` (id or article), `person` or "
    "`organisation` (a suspect). Each section lists the elements of a qualified crime, or of "
    "a suspect's mode of liability, with what supports them; the gaps (unsupported, then "
    "weak) come first. Rejected qualifications are left out unless `rejected=include`. "
    "`format=csv` or `format=pdf` answers a file; `language` sets the PDF's language "
    "(ar and he are set right to left). See docs/legal.md.",
)
def get_matrix(
    request: HttpRequest,
    workspace: str,
    incident: int | None = None,
    crime: str | None = None,
    person: int | None = None,
    organisation: int | None = None,
    format: Literal["json", "csv", "pdf"] = "json",  # the public parameter's name
    rejected: Literal["leave_out", "include"] = "leave_out",
    language: str | None = None,
) -> Any:
    ws = workspace_of(request)
    given = [v for v in (incident, crime, person, organisation) if v not in (None, "")]
    if len(given) != 1:
        raise HttpError(400, _("give one of incident, crime, person or organisation"))
    if language is not None and language not in dict(settings.LANGUAGES):
        raise HttpError(400, _("unknown language %(code)r") % {"code": language})
    keep = Rejected.INCLUDE if rejected == "include" else Rejected.LEAVE_OUT
    if incident is not None:
        matrix = incident_matrix(ws, _incident(request, incident), rejected=keep)
    elif crime:
        with qualifying():
            chosen = services.crime_of(crime)
        matrix = crime_matrix(ws, chosen, rejected=keep)
    elif person is not None:
        matrix = suspect_matrix(
            ws, found(Person.objects.filter(workspace=ws), person), rejected=keep
        )
    else:
        unit = found(Organisation.objects.filter(workspace=ws), organisation)
        matrix = suspect_matrix(ws, unit, rejected=keep)
    if format == "json":
        return exports.matrix_json(matrix)
    response = HttpResponse(
        exports.render(matrix, format, language), content_type=exports.MEDIA_TYPES[format]
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"matrix-{ws.slug}-{matrix.scope}-{matrix.scope_id}-{stamp}.{format}".replace(":", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    WS + "/indicators",
    response=IndicatorsOut,
    auth=READ,
    summary="Pattern indicators over a set of incidents",
    description="Count, time span, places and areas, bounding box, victims and the civilian "
    "share, children, and the act types the same perpetrator repeats, over the incidents "
    "given by `ids` (repeat it) or, without ids, over those the facets of the incident list "
    "select (none: every incident). The answer carries its query (in words, as parameters, "
    "and the ids it selected) so that it can be computed again.",
)
def get_indicators(
    request: HttpRequest,
    workspace: str,
    filters: Query[IncidentQuery],
    ids: Query[list[int]] = [],  # noqa: B006  # ninja copies defaults; repeat ?ids= for several
) -> Record:
    ws = workspace_of(request)
    if ids:
        parameters: dict[str, Any] = {"incident_ids": ids}
    else:
        parameters = {"filter": filter_parameters(facets_of(filters))}
    try:
        return indicators_for(ws, parameters).as_dict()
    except SelectionError as exc:
        if "incident_ids" in parameters:
            raise Http404 from None  # an id of another workspace: as if it did not exist
        raise HttpError(400, str(exc)) from None
