"""API of the documentation database: persons (with their names) and organisations (with
their hierarchy). Mounted on the router of incidents/api.py."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability
from testimonia.core.text import tokens
from testimonia.incidents.api_base import (
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    actor_of,
    check_page,
    documented,
    found,
    organisation_or_404,
    workspace_of,
)
from testimonia.incidents.models import Organisation, Person, PersonName
from testimonia.incidents.records import Record, organisation_record, parents_of, person_record
from testimonia.incidents.services import (
    DocumentationError,
    create_organisation,
    create_person,
    save,
    set_parent,
)

router = Router(tags=["documentation"])

READ = workspace_auth(Capability.VIEW_RECORDS)
WRITE = workspace_auth(Capability.EDIT_RECORDS)
PERSONS = "/workspaces/{workspace}/persons"
PERSON = PERSONS + "/{person_id}"
UNITS = "/workspaces/{workspace}/organisations"
UNIT = UNITS + "/{organisation_id}"


# ---------------------------------------------------------------------------------------------
# Persons


def _persons(workspace: Workspace) -> QuerySet[Person]:
    return Person.objects.filter(workspace=workspace).prefetch_related("names").order_by("pk")


def persons_named(workspace: Workspace, query: str) -> set[int]:
    """The persons with a name in which every word of `query` starts a word, compared after
    the project's normalisation (core/text.py: Arabic, Hebrew and Latin spellings fold
    together, so "احمد" finds "أحمد" and "said" finds "Saʿīd")."""
    wanted = tokens(query)
    found_ids: set[int] = set()
    names = PersonName.objects.filter(person__workspace=workspace).values_list("person_id", "text")
    for person_id, text in names.iterator(chunk_size=2000):
        words = tokens(text)
        if all(any(word.startswith(token) for word in words) for token in wanted):
            found_ids.add(person_id)
    return found_ids


def _person_fields(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    if "affiliation" in data:
        data["affiliation"] = organisation_or_404(workspace, data["affiliation"])
    return data


def _set_names(actor: User, person: Person, names: list[dict[str, Any]]) -> None:
    """Make the person's names exactly `names`: listed ids are kept (and updated), names
    without an id are added, the others removed; one name is primary (the first, unless
    one is marked)."""
    if sum(1 for n in names if n.get("primary")) > 1:
        raise DocumentationError(_("only one name can be the primary name"))
    if names and not any(n.get("primary") for n in names):
        names[0]["primary"] = True
    existing = {n.pk: n for n in person.names.all()}
    kept: set[int] = set()
    for entry in names:
        text = (entry.get("text") or "").strip()
        if not text:
            raise DocumentationError(_("a name cannot be empty"))
        values = {
            "text": text,
            "language": entry.get("language") or "",
            "primary": bool(entry.get("primary")),
            "kind": entry.get("kind") or "",
        }
        pk = entry.get("id")
        if pk is None:
            save(actor, PersonName(person=person), **values)
            continue
        if pk not in existing:
            raise Http404  # a name of another person: answered like one that does not exist
        kept.add(pk)
        name = existing[pk]
        if any(getattr(name, k) != v for k, v in values.items()):
            save(actor, name, **values)
    for pk, name in existing.items():
        if pk not in kept:
            name._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
            name.delete()


@router.get(
    PERSONS,
    response=PersonPage,
    auth=READ,
    summary="Persons and groups; ?q= finds them by the start of each word of a name",
)
def list_persons(
    request: HttpRequest, workspace: str, q: str = "", limit: int = 100, offset: int = 0
) -> Record:
    check_page(limit, offset)
    ws = workspace_of(request)
    persons = _persons(ws)
    if q.strip():
        persons = persons.filter(pk__in=persons_named(ws, q))
    return {
        "count": persons.count(),
        "limit": limit,
        "offset": offset,
        "items": [person_record(p) for p in persons[offset : offset + limit]],
    }


@router.post(PERSONS, response={201: PersonOut}, auth=WRITE, summary="Record a person or group")
def new_person(request: HttpRequest, workspace: str, payload: PersonIn) -> Status[Record]:
    ws = workspace_of(request)
    data = _person_fields(ws, payload.model_dump(exclude_unset=True))
    names = data.pop("names", None) or []
    actor = actor_of(request)
    with documented(), transaction.atomic():
        person = create_person(actor, ws, **data)
        _set_names(actor, person, names)
    return Status(201, person_record(found(_persons(ws), person.pk)))


@router.get(PERSON, response=PersonOut, auth=READ, summary="One person or group with their names")
def get_person(request: HttpRequest, workspace: str, person_id: int) -> Record:
    return person_record(found(_persons(workspace_of(request)), person_id))


@router.patch(PERSON, response=PersonOut, auth=WRITE, summary="Change some fields of a person")
def update_person(
    request: HttpRequest, workspace: str, person_id: int, payload: PersonPatch
) -> Record:
    ws = workspace_of(request)
    person: Person = found(_persons(ws), person_id)
    data = _person_fields(ws, payload.model_dump(exclude_unset=True))
    names_given = "names" in data
    names = data.pop("names", None)
    actor = actor_of(request)
    with documented(), transaction.atomic():
        if data:
            save(actor, person, **data)
        if names_given:
            _set_names(actor, person, names or [])
    return person_record(found(_persons(ws), person_id))


# ---------------------------------------------------------------------------------------------
# Organisations


def _units(workspace: Workspace) -> QuerySet[Organisation]:
    return Organisation.objects.filter(workspace=workspace).order_by("name", "pk")


def _unit_out(workspace: Workspace, unit: Organisation) -> Record:
    return organisation_record(unit, parents_of(workspace))


@router.get(
    UNITS,
    response=OrganisationPage,
    auth=READ,
    summary="Organisations and units; ?q= matches the start of a word of the name",
)
def list_organisations(
    request: HttpRequest, workspace: str, q: str = "", limit: int = 100, offset: int = 0
) -> Record:
    check_page(limit, offset)
    ws = workspace_of(request)
    units = _units(ws)
    wanted = tokens(q)
    if wanted:
        matching = [
            pk
            for pk, name, other in units.values_list("pk", "name", "other_names")
            if all(
                any(w.startswith(t) for w in tokens(" ".join([name, *(other or [])])))
                for t in wanted
            )
        ]
        units = units.filter(pk__in=matching)
    parents = parents_of(ws)
    return {
        "count": units.count(),
        "limit": limit,
        "offset": offset,
        "items": [organisation_record(u, parents) for u in units[offset : offset + limit]],
    }


@router.post(
    UNITS, response={201: OrganisationOut}, auth=WRITE, summary="Record an organisation or unit"
)
def create_unit(request: HttpRequest, workspace: str, payload: OrganisationIn) -> Status[Record]:
    ws = workspace_of(request)
    data = payload.model_dump(exclude_unset=True)
    if "parent" in data:
        data["parent"] = organisation_or_404(ws, data["parent"])
    name, kind = data.pop("name"), data.pop("kind")
    with documented():
        unit = create_organisation(actor_of(request), ws, name, kind, **data)
    return Status(201, _unit_out(ws, unit))


@router.get(UNIT, response=OrganisationOut, auth=READ, summary="One organisation or unit")
def get_unit(request: HttpRequest, workspace: str, organisation_id: int) -> Record:
    ws = workspace_of(request)
    return _unit_out(ws, found(_units(ws), organisation_id))


@router.patch(
    UNIT,
    response=OrganisationOut,
    auth=WRITE,
    summary="Change an organisation; a parent that would make a cycle is refused (409)",
)
def update_unit(
    request: HttpRequest, workspace: str, organisation_id: int, payload: OrganisationPatch
) -> Record:
    ws = workspace_of(request)
    unit: Organisation = found(_units(ws), organisation_id)
    data = payload.model_dump(exclude_unset=True)
    actor = actor_of(request)
    with documented(), transaction.atomic():
        if "parent" in data:
            parent = organisation_or_404(ws, data.pop("parent"))
            try:
                set_parent(actor, unit, parent)
            except DocumentationError as exc:
                # The parent is of this workspace (checked above): the refusal is a cycle.
                raise HttpError(409, str(exc)) from None
        if data:
            save(actor, unit, **data)
    return _unit_out(ws, found(_units(ws), organisation_id))
