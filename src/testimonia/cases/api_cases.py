"""API of dossiers and disclosures (docs/cases.md).

Reads of cases and disclosures need VIEW_CASES: every internal role sees every case of the
workspace; a reviewer (external) sees only the cases whose team names them as the reviewer for
a mechanism, and there only the disclosures to it (the case's working contents answer them
403: they need VIEW_RECORDS). Building cases and disclosing need BUILD_CASES (legal officers,
administrators). An id of another workspace, or of a case a reviewer may not see, answers 404
like one that does not exist.

A disclosure is made by POST .../cases/{id}/disclosures: consent is checked first (409 naming
every refused item, nothing written); a package of up to BACKGROUND_BYTES of evidence is built
during the request (201), a larger one by a background job (202 with the job; its message
names the disclosure). The server keeps the bags made through the API; GET
.../disclosures/{id}/bag downloads one as a zip.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Membership, User
from testimonia.accounts.roles import Capability
from testimonia.cases import disclosure as log
from testimonia.cases import dossiers
from testimonia.cases.api_cases_schemas import (
    CaseIn,
    CaseItemOut,
    CaseOut,
    CasePatch,
    ChargeIn,
    ChargeOut,
    DisclosureIn,
    DisclosureOut,
    ErrorDetail,
    IncidentRefOut,
    IncidentsIn,
    ItemsIn,
    MemberIn,
    MemberOut,
    PlannedOut,
    PlanOut,
    ReceiptIn,
    RefusalOut,
    RefusedOut,
    SuspectIn,
    SuspectOut,
)
from testimonia.cases.case_matrix import case_matrix
from testimonia.cases.exceptions import (
    CaseConflict,
    CaseNotFound,
    CasesError,
    DisclosureRefused,
)
from testimonia.cases.models import Case, CaseItem, CaseMember, CaseSuspect, Charge
from testimonia.cases.tasks import enqueue_export_case
from testimonia.evidence.services import items_of
from testimonia.incidents.api_base import actor_of, workspace_of
from testimonia.incidents.models import Incident, Organisation, Person
from testimonia.jobs.api import JobOut, job_out
from testimonia.legal import catalogue
from testimonia.legal.exports import matrix_json
from testimonia.legal.matrix_loader import suspect_label
from testimonia.legal.models import Liability, Qualification

logger = logging.getLogger("testimonia.cases")

router = Router(tags=["cases"])

VIEW = workspace_auth(Capability.VIEW_CASES)
RECORDS = workspace_auth(Capability.VIEW_RECORDS)
BUILD = workspace_auth(Capability.BUILD_CASES)
WS = "/workspaces/{workspace}"
CASES = WS + "/cases"
CASE = CASES + "/{case_id}"
DISCLOSURES = WS + "/disclosures"
DISCLOSURE = DISCLOSURES + "/{disclosure_id}"
BACKGROUND_BYTES = 64 * 1024 * 1024  # larger packages are built by a background job


# ---------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def handled() -> Iterator[None]:
    """The cases services' refusals as API errors (none of them carries an identity)."""
    try:
        yield
    except CaseNotFound:
        raise Http404 from None
    except CaseConflict as exc:
        raise HttpError(409, str(exc)) from None
    except CasesError as exc:
        raise HttpError(400, str(exc)) from None
    except IntegrityError:
        raise HttpError(409, _("the record conflicts with another one; reload and retry")) from None


def _user(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    found = (
        dossiers.visible_cases(actor_of(request), workspace_of(request)).filter(pk=case_id).first()
    )
    if found is None:
        raise Http404
    return found


def _case(request: HttpRequest, case_id: int) -> Case:
    with handled():
        return dossiers.case_of(workspace_of(request), case_id)


def case_out(request: HttpRequest, case: Case) -> CaseOut:
    user = actor_of(request)
    internal = dossiers.reads_working_records(user, case.workspace)
    disclosures = log.visible_disclosures(user, case.workspace).filter(case=case).count()
    return CaseOut(
        id=case.pk,
        title=case.title,
        mechanism=case.mechanism.slug if case.mechanism else None,
        status=case.status,
        restricted=not internal,
        situation=case.situation if internal else "",
        summary=case.summary if internal else "",
        language=case.language,
        suspects=case.suspects.count() if internal else None,
        charges=case.charges.count() if internal else None,
        items=case.case_items.count() if internal else None,
        incidents=case.incidents.count() if internal else None,
        disclosures=disclosures,
        created_by=_user(case.created_by) if internal else None,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def suspect_out(row: CaseSuspect) -> SuspectOut:
    who = row.person or row.organisation
    return SuspectOut(
        id=row.pk,
        person=row.person_id,
        organisation=row.organisation_id,
        label=suspect_label(who) if who is not None else "",
        note=row.note,
        added_by=_user(row.added_by),
        added_at=row.added_at,
    )


def _entry_name(kind: str, reference: str) -> str:
    try:
        entry: Any = catalogue.crime(reference) if kind == "crime" else catalogue.mode(reference)
    except catalogue.UnknownEntry:
        return reference
    return f"{entry.article} {entry.name}"


def charge_out(row: Charge) -> ChargeOut:
    return ChargeOut(
        id=row.pk,
        crime_id=row.crime_id,
        crime=_entry_name("crime", row.crime_id),
        mode_id=row.mode_id,
        mode=_entry_name("mode", row.mode_id),
        suspect=row.suspect_id,
        qualification=row.qualification_id,
        liability=row.liability_id,
        catalogue_version=row.catalogue_version,
        note=row.note,
        added_by=_user(row.added_by),
        added_at=row.added_at,
    )


def case_item_out(row: CaseItem) -> CaseItemOut:
    return CaseItemOut(
        item=row.item_id,
        filename=row.item.original_filename,
        sha256=row.item.blob.sha256,
        media_type=row.item.blob.media_type,
        derivation=row.item.derivation,
        note=row.note,
        added_by=_user(row.added_by),
        added_at=row.added_at,
    )


def member_out(row: CaseMember) -> MemberOut:
    return MemberOut(
        id=row.pk,
        user=row.user.get_username(),
        role=row.role,
        mechanism=row.mechanism.slug if row.mechanism else None,
        added_by=_user(row.added_by),
        added_at=row.added_at,
    )


def disclosure_out(record: dict[str, Any]) -> DisclosureOut:
    return DisclosureOut(**record)


def _in_workspace(request: HttpRequest, model: Any, pk: int | None, what: str) -> Any:
    if pk is None:
        return None
    scope = "qualification__workspace" if model is Liability else "workspace"
    found = model.objects.filter(**{scope: workspace_of(request), "pk": pk}).first()
    if found is None:
        raise HttpError(400, _("no %(what)s %(id)s in this workspace") % {"what": what, "id": pk})
    return found


# ---------------------------------------------------------------------------------------------
# Cases


@router.get(CASES, response=list[CaseOut], summary="Cases (a reviewer: theirs)", auth=VIEW)
def list_cases(request: HttpRequest, workspace: str) -> list[CaseOut]:
    rows = dossiers.visible_cases(actor_of(request), workspace_of(request))
    return [case_out(request, c) for c in rows]


@router.post(CASES, response={201: CaseOut}, summary="Open a case", auth=BUILD)
def create_case(request: HttpRequest, workspace: str, payload: CaseIn) -> Status[CaseOut]:
    with handled():
        case = dossiers.create_case(
            actor_of(request),
            workspace_of(request),
            payload.title,
            mechanism_slug=payload.mechanism,
            situation=payload.situation,
            summary=payload.summary,
            language=payload.language,
        )
    return Status(201, case_out(request, case))


@router.get(CASE, response=CaseOut, summary="One case", auth=VIEW)
def get_case(request: HttpRequest, workspace: str, case_id: int) -> CaseOut:
    return case_out(request, _visible_case(request, case_id))


@router.patch(
    CASE,
    response=CaseOut,
    summary="Change a case: title, situation, summary, language, mechanism, status",
    auth=BUILD,
)
def update_case(request: HttpRequest, workspace: str, case_id: int, payload: CasePatch) -> CaseOut:
    case = _case(request, case_id)
    changes = payload.dict(exclude_unset=True)
    with handled():
        dossiers.update_case(actor_of(request), case, **changes)
    return case_out(request, case)


@router.get(
    CASE + "/matrix",
    response=dict[str, Any],
    summary="The case matrix of the case's charges (elements, evidence, gaps)",
    auth=RECORDS,
)
def get_matrix(request: HttpRequest, workspace: str, case_id: int) -> dict[str, Any]:
    return matrix_json(case_matrix(_case(request, case_id)))


# ---------------------------------------------------------------------------------------------
# Suspects and charges


@router.get(CASE + "/suspects", response=list[SuspectOut], summary="Suspects", auth=RECORDS)
def list_suspects(request: HttpRequest, workspace: str, case_id: int) -> list[SuspectOut]:
    case = _case(request, case_id)
    rows = case.suspects.select_related("person", "organisation", "added_by").prefetch_related(
        "person__names"
    )
    return [suspect_out(s) for s in rows]


@router.post(CASE + "/suspects", response={201: SuspectOut}, summary="Name a suspect", auth=BUILD)
def add_suspect(
    request: HttpRequest, workspace: str, case_id: int, payload: SuspectIn
) -> Status[SuspectOut]:
    case = _case(request, case_id)
    person = _in_workspace(request, Person, payload.person, _("person"))
    unit = _in_workspace(request, Organisation, payload.organisation, _("unit"))
    with handled():
        row = dossiers.add_suspect(
            actor_of(request), case, person=person, organisation=unit, note=payload.note
        )
    return Status(201, suspect_out(row))


@router.delete(
    CASE + "/suspects/{suspect_id}",
    response={204: None},
    summary="Remove a suspect (not while a charge names them)",
    auth=BUILD,
)
def remove_suspect(
    request: HttpRequest, workspace: str, case_id: int, suspect_id: int
) -> Status[None]:
    case = _case(request, case_id)
    with handled():
        dossiers.remove_suspect(actor_of(request), dossiers.suspect_of(case, suspect_id))
    return Status(204, None)


@router.get(CASE + "/charges", response=list[ChargeOut], summary="Charges", auth=RECORDS)
def list_charges(request: HttpRequest, workspace: str, case_id: int) -> list[ChargeOut]:
    case = _case(request, case_id)
    return [charge_out(c) for c in case.charges.select_related("added_by").order_by("pk")]


@router.post(
    CASE + "/charges",
    response={201: ChargeOut},
    summary="Charge a crime under a mode of liability",
    auth=BUILD,
)
def add_charge(
    request: HttpRequest, workspace: str, case_id: int, payload: ChargeIn
) -> Status[ChargeOut]:
    case = _case(request, case_id)
    suspect = None
    if payload.suspect is not None:
        suspect = case.suspects.filter(pk=payload.suspect).first()
        if suspect is None:
            raise HttpError(400, _("no suspect %(id)s in this case") % {"id": payload.suspect})
    qualification = _in_workspace(request, Qualification, payload.qualification, "qualification")
    liability = _in_workspace(request, Liability, payload.liability, "liability")
    with handled():
        row = dossiers.add_charge(
            actor_of(request),
            case,
            payload.crime,
            payload.mode,
            suspect=suspect,
            qualification=qualification,
            liability=liability,
            note=payload.note,
        )
    return Status(201, charge_out(row))


@router.delete(
    CASE + "/charges/{charge_id}", response={204: None}, summary="Remove a charge", auth=BUILD
)
def remove_charge(
    request: HttpRequest, workspace: str, case_id: int, charge_id: int
) -> Status[None]:
    case = _case(request, case_id)
    with handled():
        dossiers.remove_charge(actor_of(request), dossiers.charge_of(case, charge_id))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Evidence items and incidents


@router.get(CASE + "/items", response=list[CaseItemOut], summary="Evidence items", auth=RECORDS)
def list_items(request: HttpRequest, workspace: str, case_id: int) -> list[CaseItemOut]:
    return [case_item_out(r) for r in dossiers.case_items(_case(request, case_id))]


@router.post(
    CASE + "/items",
    response={201: list[CaseItemOut]},
    summary="Add evidence items (with a note on what they show)",
    auth=BUILD,
)
def add_items(
    request: HttpRequest, workspace: str, case_id: int, payload: ItemsIn
) -> Status[list[CaseItemOut]]:
    case = _case(request, case_id)
    found = {i.pk: i for i in items_of(workspace_of(request)).filter(pk__in=payload.items)}
    missing = [str(pk) for pk in payload.items if pk not in found]
    if missing:
        raise HttpError(
            400, _("no item %(items)s in this workspace") % {"items": ", ".join(missing)}
        )
    with handled():
        rows = dossiers.add_items(
            actor_of(request), case, [found[pk] for pk in payload.items], note=payload.note
        )
    return Status(201, [case_item_out(r) for r in rows])


@router.delete(
    CASE + "/items/{item_id}", response={204: None}, summary="Remove an item", auth=BUILD
)
def remove_item(request: HttpRequest, workspace: str, case_id: int, item_id: int) -> Status[None]:
    case = _case(request, case_id)
    with handled():
        dossiers.remove_item(actor_of(request), case, item_id)
    return Status(204, None)


@router.get(CASE + "/incidents", response=list[IncidentRefOut], summary="Incidents", auth=RECORDS)
def list_incidents(request: HttpRequest, workspace: str, case_id: int) -> list[IncidentRefOut]:
    case = _case(request, case_id)
    return [
        IncidentRefOut(id=i.pk, title=i.title, start_date=i.start_date)
        for i in case.incidents.order_by("pk")
    ]


@router.post(
    CASE + "/incidents",
    response={201: list[IncidentRefOut]},
    summary="Link supporting incidents",
    auth=BUILD,
)
def add_incidents(
    request: HttpRequest, workspace: str, case_id: int, payload: IncidentsIn
) -> Status[list[IncidentRefOut]]:
    case = _case(request, case_id)
    incidents = [_in_workspace(request, Incident, pk, _("incident")) for pk in payload.incidents]
    with handled():
        dossiers.add_incidents(actor_of(request), case, incidents)
    return Status(
        201, [IncidentRefOut(id=i.pk, title=i.title, start_date=i.start_date) for i in incidents]
    )


@router.delete(
    CASE + "/incidents/{incident_id}",
    response={204: None},
    summary="Unlink an incident",
    auth=BUILD,
)
def remove_incident(
    request: HttpRequest, workspace: str, case_id: int, incident_id: int
) -> Status[None]:
    case = _case(request, case_id)
    with handled():
        dossiers.remove_incident(actor_of(request), case, incident_id)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Team


@router.get(CASE + "/team", response=list[MemberOut], summary="The case's team", auth=RECORDS)
def list_team(request: HttpRequest, workspace: str, case_id: int) -> list[MemberOut]:
    case = _case(request, case_id)
    rows = case.team.select_related("user", "mechanism", "added_by").order_by("pk")
    return [member_out(m) for m in rows]


@router.post(
    CASE + "/team", response={201: MemberOut}, summary="Put a member on the team", auth=BUILD
)
def add_member(
    request: HttpRequest, workspace: str, case_id: int, payload: MemberIn
) -> Status[MemberOut]:
    case = _case(request, case_id)
    member = Membership.objects.filter(
        workspace=case.workspace, user__username=payload.user
    ).first()
    if member is None:
        raise HttpError(400, _("no member %(user)r in this workspace") % {"user": payload.user})
    user: User = member.user
    with handled():
        row = dossiers.add_member(
            actor_of(request), case, user, payload.role, mechanism_slug=payload.mechanism
        )
    return Status(201, member_out(row))


@router.delete(
    CASE + "/team/{member_id}", response={204: None}, summary="Take off the team", auth=BUILD
)
def remove_member(
    request: HttpRequest, workspace: str, case_id: int, member_id: int
) -> Status[None]:
    case = _case(request, case_id)
    with handled():
        dossiers.remove_member(actor_of(request), dossiers.member_of(case, member_id))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Disclosures


@router.get(
    CASE + "/disclosure-check",
    response=PlanOut,
    summary="What would go to a mechanism, what its witnesses' consent refuses, and why",
    auth=RECORDS,
)
def check_disclosure(request: HttpRequest, workspace: str, case_id: int, mechanism: str) -> PlanOut:
    case = _case(request, case_id)
    with handled():
        plan = log.plan_disclosure(case, mechanism)
    return PlanOut(
        mechanism=plan.mechanism.slug,
        items=[
            PlannedOut(
                case_item=p.case_item.pk,
                item=p.send.pk,
                redacted=p.redacted,
                witness=p.witness.pseudonym if p.witness else None,
                consent=p.sharing.pk if p.sharing else None,
                reason=p.reason,
            )
            for p in plan.items
        ],
        refused=[RefusalOut(item=r.item, reason=r.reason) for r in plan.refusals],
    )


@router.post(
    CASE + "/disclosures",
    response={201: DisclosureOut, 202: JobOut, 409: RefusedOut},
    summary="Make the disclosure package for a mechanism (consent checked first)",
    auth=BUILD,
)
def disclose(
    request: HttpRequest, workspace: str, case_id: int, payload: DisclosureIn
) -> Status[Any]:
    case = _case(request, case_id)
    actor = actor_of(request)
    if case.status == Case.Status.CLOSED:
        raise HttpError(
            409, _("case %(id)s is closed: reopen it before disclosing from it") % {"id": case.pk}
        )
    with handled():
        plan = log.plan_disclosure(case, payload.mechanism)
    if plan.refusals:
        return Status(409, _refused(DisclosureRefused(plan.mechanism.slug, plan.refusals)))
    size = log.package_size(plan)
    if size > BACKGROUND_BYTES:
        job = enqueue_export_case(
            actor,
            case,
            plan.mechanism.slug,
            recipient=payload.recipient,
            language=payload.language,
            total=size,
        )
        return Status(202, job_out(job))
    try:
        with handled():
            made = log.export_to_store(
                actor,
                case,
                plan.mechanism.slug,
                recipient=payload.recipient,
                language=payload.language,
            )
    except DisclosureRefused as exc:  # consent changed since the check above
        return Status(409, _refused(exc))
    return Status(201, disclosure_out(log.disclosure_record(made)))


def _refused(exc: DisclosureRefused) -> RefusedOut:
    return RefusedOut(
        error=ErrorDetail(
            code="consent_refused",
            message=str(exc),
            refused=[RefusalOut(item=r.item, reason=r.reason) for r in exc.refusals],
        )
    )


@router.get(
    DISCLOSURES,
    response=list[DisclosureOut],
    summary="The disclosure log (a reviewer: the disclosures to their mechanism)",
    auth=VIEW,
)
def list_disclosures(
    request: HttpRequest, workspace: str, case: int | None = None
) -> list[DisclosureOut]:
    rows = log.visible_disclosures(actor_of(request), workspace_of(request))
    if case is not None:
        rows = rows.filter(case_id=case)
    return [disclosure_out(log.disclosure_record(d, with_items=False)) for d in rows]


def _disclosure(request: HttpRequest, disclosure_id: int) -> Any:
    rows = log.visible_disclosures(actor_of(request), workspace_of(request))
    with handled():
        return log.disclosure_of(rows, disclosure_id)


@router.get(DISCLOSURE, response=DisclosureOut, summary="One disclosure", auth=VIEW)
def get_disclosure(request: HttpRequest, workspace: str, disclosure_id: int) -> DisclosureOut:
    return disclosure_out(log.disclosure_record(_disclosure(request, disclosure_id)))


@router.post(
    DISCLOSURE + "/receipt",
    response=DisclosureOut,
    summary="Record the recipient's receipt",
    auth=BUILD,
)
def record_receipt(
    request: HttpRequest, workspace: str, disclosure_id: int, payload: ReceiptIn
) -> DisclosureOut:
    with handled():
        found = log.disclosure_of(log.disclosures_of(workspace_of(request)), disclosure_id)
        log.record_receipt(
            actor_of(request),
            found,
            received_on=payload.received_on,
            reference=payload.reference,
            note=payload.note,
        )
    return disclosure_out(log.disclosure_record(found))


@router.get(
    DISCLOSURE + "/bag",
    summary="Download the package (a zip of the bag) the server kept",
    auth=VIEW,
)
def download_bag(request: HttpRequest, workspace: str, disclosure_id: int) -> FileResponse:
    found = _disclosure(request, disclosure_id)
    bag = log.stored_bag(found)
    if bag is None:
        raise HttpError(
            404,
            _(
                "the server does not keep this package: it was written to a folder of the "
                "operator's choosing"
            ),
        )
    handle = _zipped(bag, found.bag_name or bag.name)
    logger.info("disclosure %s downloaded by %s", found.pk, actor_of(request).get_username())
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{found.bag_name or bag.name}.zip",
        content_type="application/zip",
    )


def _zipped(bag: Path, name: str) -> Any:
    """The bag as a zip in a temporary file (gone once closed), every entry under `name`/."""
    tmp = Path(settings.TESTIMONIA_HOME) / "tmp"
    handle = tempfile.TemporaryFile(dir=tmp if tmp.is_dir() else None)  # noqa: SIM115
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file() and not p.is_symlink()):
            archive.write(path, f"{name}/{path.relative_to(bag).as_posix()}")
    handle.seek(0)
    return handle
