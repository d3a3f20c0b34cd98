"""API of the documentation database: sources, citations, places and vocabularies. Mounted on
the router of incidents/api.py."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.incidents import removal
from testimonia.incidents.api_base import (
    CitationIn,
    CitationOut,
    CitationPage,
    PlaceIn,
    PlaceOut,
    SourceIn,
    SourceOut,
    SourcePage,
    SourcePatch,
    TermOut,
    actor_of,
    check_page,
    documented,
    found,
    source_or_404,
    workspace_of,
)
from testimonia.incidents.gazetteer import find_places, search_text
from testimonia.incidents.models import (
    Act,
    Citation,
    Incident,
    Involvement,
    Organisation,
    Person,
    Place,
    Source,
    Term,
    Victimisation,
)
from testimonia.incidents.records import (
    CITABLE,
    Record,
    citation_record,
    citation_rows,
    place_fields,
    source_record,
    term_index,
)
from testimonia.incidents.services import cite, save

router = Router(tags=["documentation"])

READ = workspace_auth(Capability.VIEW_RECORDS)
WRITE = workspace_auth(Capability.EDIT_RECORDS)
SOURCES = "/workspaces/{workspace}/sources"
SOURCE = SOURCES + "/{source_id}"
CITATIONS = "/workspaces/{workspace}/citations"
PLACES = "/workspaces/{workspace}/places"
NAME_LANGUAGES = ("en", "ar", "he")


# ---------------------------------------------------------------------------------------------
# Sources


def _sources(workspace: Workspace) -> QuerySet[Source]:
    return Source.objects.filter(workspace=workspace).order_by("title", "pk")


@router.get(
    SOURCES, response=SourcePage, auth=READ, summary="Sources; ?q= matches part of the title"
)
def list_sources(
    request: HttpRequest, workspace: str, q: str = "", limit: int = 100, offset: int = 0
) -> Record:
    check_page(limit, offset)
    sources = _sources(workspace_of(request))
    if q.strip():
        sources = sources.filter(title__icontains=q.strip())
    return {
        "count": sources.count(),
        "limit": limit,
        "offset": offset,
        "items": [source_record(s) for s in sources[offset : offset + limit]],
    }


@router.post(SOURCES, response={201: SourceOut}, auth=WRITE, summary="Record a source")
def create_source(request: HttpRequest, workspace: str, payload: SourceIn) -> Status[Record]:
    ws = workspace_of(request)
    with documented():
        source = save(
            actor_of(request), Source(workspace=ws), **payload.model_dump(exclude_unset=True)
        )
    return Status(201, source_record(source))


@router.get(SOURCE, response=SourceOut, auth=READ, summary="One source")
def get_source(request: HttpRequest, workspace: str, source_id: int) -> Record:
    return source_record(found(_sources(workspace_of(request)), source_id))


@router.patch(SOURCE, response=SourceOut, auth=WRITE, summary="Change some fields of a source")
def update_source(
    request: HttpRequest, workspace: str, source_id: int, payload: SourcePatch
) -> Record:
    source: Source = found(_sources(workspace_of(request)), source_id)
    data = payload.model_dump(exclude_unset=True)
    with documented():
        if data:
            save(actor_of(request), source, **data)
    return source_record(source)


@router.delete(
    SOURCE,
    response={204: None},
    auth=WRITE,
    summary="Delete a source that nothing cites (a cited one: 409)",
)
def delete_source(request: HttpRequest, workspace: str, source_id: int) -> Status[None]:
    source: Source = found(_sources(workspace_of(request)), source_id)
    with documented():
        removal.delete_source(actor_of(request), source)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Citations


def _citable(workspace: Workspace, record_type: str) -> QuerySet[Any]:
    """The records of this type that belong to the workspace."""
    rows: dict[str, QuerySet[Any]] = {
        "incident": Incident.objects.filter(workspace=workspace),
        "act": Act.objects.filter(incident__workspace=workspace),
        "person": Person.objects.filter(workspace=workspace),
        "victimisation": Victimisation.objects.filter(act__incident__workspace=workspace),
        "involvement": Involvement.objects.filter(act__incident__workspace=workspace),
        "organisation": Organisation.objects.filter(workspace=workspace),
    }
    return rows[record_type]


@router.get(
    CITATIONS,
    response=CitationPage,
    auth=READ,
    summary="Citations, all or those of one record (?record_type=act&record_id=12)",
)
def list_citations(
    request: HttpRequest,
    workspace: str,
    record_type: str = "",
    record_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Record:
    check_page(limit, offset)
    rows = citation_rows().filter(workspace=workspace_of(request))
    if record_type:
        model: type[Model] | None = CITABLE.get(record_type)
        if model is None:
            raise HttpError(
                400,
                _("record_type must be one of: %(types)s") % {"types": ", ".join(CITABLE)},
            )
        rows = rows.filter(content_type=ContentType.objects.get_for_model(model))
    if record_id is not None:
        rows = rows.filter(object_id=record_id)
    return {
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "items": [citation_record(c) for c in rows[offset : offset + limit]],
    }


@router.post(
    CITATIONS,
    response={201: CitationOut},
    auth=WRITE,
    summary="Cite an evidence item or a source for a record or one of its fields",
)
def create_citation(request: HttpRequest, workspace: str, payload: CitationIn) -> Status[Record]:
    from testimonia.evidence.models import Item

    ws = workspace_of(request)
    record = found(_citable(ws, payload.record_type), payload.record_id)
    item = None
    if payload.item is not None:
        item = found(Item.objects.filter(workspace=ws, deleted_at__isnull=True), payload.item)
    source = source_or_404(ws, payload.source)
    with documented():
        citation = cite(
            actor_of(request),
            record,
            item=item,
            source=source,
            field=payload.field,
            note=payload.note,
        )
    return Status(201, citation_record(found(citation_rows(), citation.pk)))


@router.delete(
    CITATIONS + "/{citation_id}",
    response={204: None},
    auth=WRITE,
    summary="Withdraw a citation (not from a verified or published incident: 409)",
)
def delete_citation(request: HttpRequest, workspace: str, citation_id: int) -> Status[None]:
    citation: Citation = found(
        Citation.objects.filter(workspace=workspace_of(request)), citation_id
    )
    with documented():
        removal.delete_citation(actor_of(request), citation)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Places


@router.get(
    PLACES,
    response=list[PlaceOut],
    auth=READ,
    summary="Places of the gazetteer and the workspace's sites whose names start with ?q=",
)
def search_places(
    request: HttpRequest, workspace: str, q: str = "", limit: int = 20
) -> list[Record]:
    if not 1 <= limit <= 100:
        raise HttpError(400, _("limit must be 1..100"))
    return [place_fields(p) for p in find_places(q, workspace_of(request), limit=limit)]


def _names(raw: dict[str, Any]) -> dict[str, Any]:
    names: dict[str, Any] = {
        lang: str(raw.get(lang) or "").strip()[:200] for lang in NAME_LANGUAGES
    }
    alt = raw.get("alt") or []
    if not isinstance(alt, list) or not all(isinstance(a, str) for a in alt):
        raise HttpError(400, _("names.alt must be a list of names"))
    names["alt"] = [a.strip()[:200] for a in alt if a.strip()]
    if not any(names[lang] for lang in NAME_LANGUAGES):
        raise HttpError(400, _("give the site a name in English, Arabic or Hebrew"))
    return names


@router.post(
    PLACES,
    response={201: PlaceOut},
    auth=WRITE,
    summary="Add a site of the workspace (a building, a camp, a checkpoint)",
)
def create_place(request: HttpRequest, workspace: str, payload: PlaceIn) -> Status[Record]:
    names = _names(payload.names)
    if payload.latitude is not None and not -90 <= payload.latitude <= 90:
        raise HttpError(400, _("latitude must be between -90 and 90"))
    if payload.longitude is not None and not -180 <= payload.longitude <= 180:
        raise HttpError(400, _("longitude must be between -180 and 180"))
    place = Place(
        workspace=workspace_of(request),
        kind=Place.Kind.SITE,
        names=names,
        search_text=search_text(names),
        latitude=payload.latitude,
        longitude=payload.longitude,
        country_code=payload.country_code.upper(),
        parent_pcode=payload.parent_pcode,
    )
    with documented():
        save(actor_of(request), place)
    return Status(201, place_fields(place))


# ---------------------------------------------------------------------------------------------
# Vocabularies (shared by every workspace)


@router.get(
    "/vocabularies/{vocabulary}",
    response=list[TermOut],
    summary="The terms of a controlled vocabulary (act_type), with labels in every language",
)
def vocabulary_terms(request: HttpRequest, vocabulary: str) -> list[Record]:
    # Any signed-in user: the vocabularies are reference data, the same in every workspace.
    if not Term.objects.filter(vocabulary=vocabulary).exists():
        raise Http404
    terms = term_index(vocabulary)
    order = Term.objects.filter(vocabulary=vocabulary).order_by("position", "pk")
    return [terms[pk] for pk in order.values_list("pk", flat=True)]
