"""API of the roadmap for justice under /api/v1/workspaces/{workspace}/roadmap/: actors, sources,
themes, recommendations (with filters by actor, theme, status and overdue), their status
changes and commitments, the timeline, the scorecard, the import and the exports.

Reads need VIEW_RECORDS, writes EDIT_ROADMAP (analysts, legal officers, administrators); every
write goes through roadmap/services.py. An id of another workspace answers 404, like one that
does not exist; a refusal of the services 400, a conflict with what is recorded 409.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.evidence.models import Item
from testimonia.incidents.api_base import actor_of, check_page, found, workspace_of
from testimonia.incidents.import_files import MAX_FILE_BYTES
from testimonia.roadmap import exports, services
from testimonia.roadmap.exceptions import RoadmapConflict, RoadmapError
from testimonia.roadmap.importer import ImportOptions, ImportProblem, preview, run
from testimonia.roadmap.models import Actor, Recommendation, Source, StatusChange, Theme
from testimonia.roadmap.records import (
    RecommendationFilter,
    Record,
    actor_record,
    commitment_record,
    internal_record,
    recommendations_of,
    select_recommendations,
    source_record,
    standings,
    status_change_record,
    theme_record,
)
from testimonia.roadmap.scorecard import Scope, compute_scorecard
from testimonia.roadmap.themes import themes_for

router = Router(tags=["roadmap"])

READ = workspace_auth(Capability.VIEW_RECORDS)
WRITE = workspace_auth(Capability.EDIT_ROADMAP)
ROADMAP = "/workspaces/{workspace}/roadmap"
ACTORS = ROADMAP + "/actors"
ACTOR = ACTORS + "/{actor_id}"
SOURCES = ROADMAP + "/sources"
# Not {source_id}: that names a source of the documentation database (incidents/api_sources.py).
SOURCE = SOURCES + "/{roadmap_source_id}"
RECOMMENDATIONS = ROADMAP + "/recommendations"
RECOMMENDATION = RECOMMENDATIONS + "/{recommendation_id}"

StatusCode = Literal["not_started", "partial", "implemented", "regressed"]
ActorKind = Literal["state", "international_body", "armed_group", "company", "other"]
SourceKind = Literal[
    "court_decision",
    "arrest_warrant",
    "un_resolution",
    "commission",
    "treaty_body",
    "special_procedure",
    "ngo_report",
    "official_statement",
    "press",
    "other",
]
RecommendationKind = Literal["obligation", "recommendation"]


# ---------------------------------------------------------------------------------------------
# Schemas


class ActorOut(Schema):
    id: int
    name: str
    kind: str
    country_code: str  # ISO 3166-1 alpha-2, states only; "" otherwise
    description: str


class ActorRef(Schema):
    id: int
    name: str
    kind: str
    country_code: str


class ActorIn(Schema):
    name: str
    kind: ActorKind = "other"
    country_code: str = Field("", description="ISO 3166-1 alpha-2 (states only): PS, IL, ZA")
    description: str = ""


class ActorPatch(Schema):
    name: str | None = None
    kind: ActorKind | None = None
    country_code: str | None = None
    description: str | None = None


class ActorPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ActorOut]


class SourceOut(Schema):
    id: int
    kind: str
    title: str
    reference: str  # the document's symbol: A/RES/ES-10/24
    issuer: str
    issued_on: dt.date | None
    url: str


class SourceIn(Schema):
    title: str
    kind: SourceKind = "other"
    reference: str = ""
    issuer: str = ""
    issued_on: dt.date | None = None
    url: str = ""


class SourcePatch(Schema):
    title: str | None = None
    kind: SourceKind | None = None
    reference: str | None = None
    issuer: str | None = None
    issued_on: dt.date | None = None
    url: str | None = None


class SourcePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SourceOut]


class ThemeOut(Schema):
    code: str
    label: str  # in the request's language
    labels: dict[str, str]  # {"en": ..., "ar": ..., "he": ...}
    shipped: bool  # false: the workspace's own
    active: bool


class ThemeIn(Schema):
    label: str
    code: str = Field("", description="default: made from the label")


class ThemeRef(Schema):
    code: str
    label: str


class ActorStatusOut(Schema):
    actor: int
    status: str
    since: dt.date | None  # the date of the change that set it; null: none recorded
    overdue: bool


class CommitmentOut(Schema):
    id: int
    actor: int
    text: str
    made_on: dt.date
    source: SourceOut | None


class RecommendationOut(Schema):
    id: int
    kind: str
    text: str
    paragraph: str
    addressees: list[ActorRef]
    themes: list[ThemeRef]
    source: SourceOut | None
    issued_on: dt.date | None
    deadline: dt.date | None
    published: bool
    status: str  # of the recommendation as a whole (docs/roadmap.md)
    status_date: dt.date | None
    overdue: bool
    statuses: list[ActorStatusOut]  # one per addressee
    commitments: list[CommitmentOut]
    notes: str
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RecommendationPage(Schema):
    count: int
    limit: int
    offset: int
    as_of: dt.date
    items: list[RecommendationOut]


class RecommendationIn(Schema):
    text: str
    addressees: list[int] = Field(..., description="actor ids, at least one")
    themes: list[str] = Field([], description="theme codes")
    source: int | None = None
    kind: RecommendationKind = "recommendation"
    paragraph: str = ""
    issued_on: dt.date | None = None
    deadline: dt.date | None = None
    published: bool = False
    notes: str = ""


class RecommendationPatch(Schema):
    text: str | None = None
    addressees: list[int] | None = None
    themes: list[str] | None = None
    source: int | None = None
    kind: RecommendationKind | None = None
    paragraph: str | None = None
    issued_on: dt.date | None = None
    deadline: dt.date | None = None
    published: bool | None = None
    notes: str | None = None


class EvidenceRef(Schema):
    id: int
    sha256: str


class StatusChangeOut(Schema):
    id: int
    recommendation: int
    actor: ActorRef | None  # null: every addressee
    status: str
    date: dt.date
    note: str
    source: SourceOut | None
    items: list[EvidenceRef]
    recorded_by: str | None
    recorded_at: dt.datetime


class StatusChangePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[StatusChangeOut]


class StatusChangeIn(Schema):
    status: StatusCode
    date: dt.date = Field(..., description="when it happened (not in the future)")
    actor: int | None = Field(None, description="the addressee it is about; null: every one")
    note: str = ""
    source: int | None = None
    items: list[int] = Field([], description="evidence item ids of the vault")


class CommitmentIn(Schema):
    actor: int
    text: str
    made_on: dt.date
    source: int | None = None


class FiguresOut(Schema):
    count: int
    by_status: dict[str, int]
    implemented: int
    share_implemented: float | None  # null: nothing counted
    overdue: int
    last_change: dt.date | None


class ThemeFiguresOut(FiguresOut):
    theme: str | None  # null: recommendations without a theme


class ActorFiguresOut(FiguresOut):
    id: int
    name: str
    kind: str
    country_code: str
    themes: list[ThemeFiguresOut]


class ScorecardOut(Schema):
    workspace: str
    as_of: dt.date
    scope: str
    unit: str
    statuses: list[str]
    themes: list[ThemeRef]
    actors: list[ActorFiguresOut]
    theme_totals: list[ThemeFiguresOut]
    totals: FiguresOut


class ProblemOut(Schema):
    row: int
    message: str


class ImportReportOut(Schema):
    file: str
    format: str
    encoding: str
    sheet: str
    rows: int
    would_import: int
    imported: int
    skipped: int
    invalid: int
    dry_run: bool
    written: bool
    columns: dict[str, str]
    ignored_columns: list[str]
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    new_actors: list[str]
    new_themes: list[str]
    new_sources: list[str]
    recommendations: list[int]


# ---------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def refusals() -> Iterator[None]:
    """The services' refusals as API errors."""
    try:
        yield
    except RoadmapConflict as exc:
        raise HttpError(409, str(exc)) from None
    except RoadmapError as exc:
        raise HttpError(400, str(exc)) from None


def _actors(ws: Workspace) -> QuerySet[Actor]:
    return Actor.objects.filter(workspace=ws).order_by("name", "pk")


def _sources(ws: Workspace) -> QuerySet[Source]:
    return Source.objects.filter(workspace=ws).order_by("title", "pk")


def _recommendation(ws: Workspace, pk: int) -> Recommendation:
    rec: Recommendation = found(Recommendation.objects.filter(workspace=ws), pk)
    return rec


def _source(ws: Workspace, pk: int | None) -> Source | None:
    return None if pk is None else found(_sources(ws), pk)


def _actor_list(ws: Workspace, ids: list[int]) -> list[Actor]:
    return [found(_actors(ws), pk) for pk in dict.fromkeys(ids)]


def _theme_list(ws: Workspace, codes: list[str]) -> list[Theme]:
    available = themes_for(ws)
    themes = []
    for code in dict.fromkeys(codes):
        theme = available.filter(code=code).order_by("workspace_id").first()
        if theme is None:
            raise HttpError(
                400, _("no theme %(code)r: list them at .../roadmap/themes") % {"code": code}
            )
        themes.append(theme)
    return themes


def _items(ws: Workspace, ids: list[int]) -> list[Item]:
    return [found(Item.objects.filter(workspace=ws), pk) for pk in dict.fromkeys(ids)]


def _record(rec: Recommendation) -> Record:
    fresh = recommendations_of(rec.workspace).get(pk=rec.pk)  # the lists as they are now
    return internal_record(fresh, standings([fresh], timezone.localdate())[fresh.pk])


def _page(rows: QuerySet[Any], limit: int, offset: int, record: Any) -> Record:
    check_page(limit, offset)
    return {
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "items": [record(r) for r in rows[offset : offset + limit]],
    }


# ---------------------------------------------------------------------------------------------
# Actors


@router.get(ACTORS, response=ActorPage, auth=READ, summary="Actors; ?q= matches part of the name")
def list_actors(
    request: HttpRequest,
    workspace: str,
    q: str = "",
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
) -> Record:
    rows = _actors(workspace_of(request))
    if q.strip():
        rows = rows.filter(Q(name__icontains=q.strip()) | Q(country_code__iexact=q.strip()))
    if kind:
        rows = rows.filter(kind=kind)
    return _page(rows, limit, offset, actor_record)


@router.post(ACTORS, response={201: ActorOut}, auth=WRITE, summary="Record an actor")
def create_actor(request: HttpRequest, workspace: str, payload: ActorIn) -> Status[Record]:
    with refusals():
        actor = services.create_actor(
            actor_of(request), workspace_of(request), **payload.model_dump()
        )
    return Status(201, actor_record(actor))


@router.get(ACTOR, response=ActorOut, auth=READ, summary="One actor")
def get_actor(request: HttpRequest, workspace: str, actor_id: int) -> Record:
    return actor_record(found(_actors(workspace_of(request)), actor_id))


@router.patch(ACTOR, response=ActorOut, auth=WRITE, summary="Change some fields of an actor")
def update_actor(
    request: HttpRequest, workspace: str, actor_id: int, payload: ActorPatch
) -> Record:
    actor: Actor = found(_actors(workspace_of(request)), actor_id)
    with refusals():
        services.update_actor(actor_of(request), actor, **payload.model_dump(exclude_unset=True))
    return actor_record(actor)


@router.delete(
    ACTOR,
    response={204: None},
    auth=WRITE,
    summary="Delete an actor no recommendation is addressed to (otherwise 409)",
)
def delete_actor(request: HttpRequest, workspace: str, actor_id: int) -> Status[None]:
    actor: Actor = found(_actors(workspace_of(request)), actor_id)
    with refusals():
        services.delete_actor(actor_of(request), actor)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Sources


@router.get(
    SOURCES, response=SourcePage, auth=READ, summary="Sources; ?q= matches title or reference"
)
def list_sources(
    request: HttpRequest,
    workspace: str,
    q: str = "",
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
) -> Record:
    rows = _sources(workspace_of(request))
    if q.strip():
        rows = rows.filter(Q(title__icontains=q.strip()) | Q(reference__icontains=q.strip()))
    if kind:
        rows = rows.filter(kind=kind)
    return _page(rows, limit, offset, source_record)


@router.post(SOURCES, response={201: SourceOut}, auth=WRITE, summary="Record a source")
def create_source(request: HttpRequest, workspace: str, payload: SourceIn) -> Status[Record]:
    with refusals():
        source = services.create_source(
            actor_of(request), workspace_of(request), **payload.model_dump()
        )
    return Status(201, source_record(source))


@router.get(SOURCE, response=SourceOut, auth=READ, summary="One source")
def get_source(request: HttpRequest, workspace: str, roadmap_source_id: int) -> Record:
    return source_record(found(_sources(workspace_of(request)), roadmap_source_id))


@router.patch(SOURCE, response=SourceOut, auth=WRITE, summary="Change some fields of a source")
def update_source(
    request: HttpRequest, workspace: str, roadmap_source_id: int, payload: SourcePatch
) -> Record:
    source: Source = found(_sources(workspace_of(request)), roadmap_source_id)
    with refusals():
        services.update_source(actor_of(request), source, **payload.model_dump(exclude_unset=True))
    return source_record(source)


@router.delete(
    SOURCE,
    response={204: None},
    auth=WRITE,
    summary="Delete a source nothing cites (otherwise 409)",
)
def delete_source(request: HttpRequest, workspace: str, roadmap_source_id: int) -> Status[None]:
    source: Source = found(_sources(workspace_of(request)), roadmap_source_id)
    with refusals():
        services.delete_source(actor_of(request), source)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Themes


@router.get(
    ROADMAP + "/themes",
    response=list[ThemeOut],
    auth=READ,
    summary="The themes: those shipped with Testimonia and the workspace's own",
)
def list_themes(request: HttpRequest, workspace: str) -> list[Record]:
    rows = themes_for(workspace_of(request)).order_by("position", "code")
    return [theme_record(t) for t in rows]


@router.post(
    ROADMAP + "/themes",
    response={201: ThemeOut},
    auth=WRITE,
    summary="Add a theme of the workspace",
)
def create_theme(request: HttpRequest, workspace: str, payload: ThemeIn) -> Status[Record]:
    with refusals():
        theme = services.create_theme(
            actor_of(request), workspace_of(request), payload.label, code=payload.code
        )
    return Status(201, theme_record(theme))


# ---------------------------------------------------------------------------------------------
# Recommendations


@router.get(
    RECOMMENDATIONS,
    response=RecommendationPage,
    auth=READ,
    summary="Recommendations, newest first; filters: actor, theme, status, overdue, published, "
    "kind, source, q; with actor, status and overdue are that addressee's",
)
def list_recommendations(
    request: HttpRequest,
    workspace: str,
    actor: int | None = None,
    theme: str = "",
    status: StatusCode | None = None,
    overdue: bool | None = None,
    published: bool | None = None,
    kind: RecommendationKind | None = None,
    source: int | None = None,
    q: str = "",
    as_of: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Record:
    check_page(limit, offset)
    day = as_of or timezone.localdate()
    selection = RecommendationFilter(
        actor=actor,
        theme=theme,
        status=status or "",
        overdue=overdue,
        published=published,
        kind=kind or "",
        source=source,
        q=q,
    )
    recs, found_standings = select_recommendations(workspace_of(request), selection, day)
    return {
        "count": len(recs),
        "limit": limit,
        "offset": offset,
        "as_of": day,
        "items": [internal_record(r, found_standings[r.pk]) for r in recs[offset : offset + limit]],
    }


@router.post(
    RECOMMENDATIONS,
    response={201: RecommendationOut},
    auth=WRITE,
    summary="Record a recommendation or an obligation",
)
def create_recommendation(
    request: HttpRequest, workspace: str, payload: RecommendationIn
) -> Status[Record]:
    ws = workspace_of(request)
    data = payload.model_dump()
    data["addressees"] = _actor_list(ws, data["addressees"])
    data["themes"] = _theme_list(ws, data["themes"])
    data["source"] = _source(ws, data["source"])
    with refusals():
        rec = services.create_recommendation(actor_of(request), ws, **data)
    return Status(201, _record(rec))


@router.get(RECOMMENDATION, response=RecommendationOut, auth=READ, summary="One recommendation")
def get_recommendation(request: HttpRequest, workspace: str, recommendation_id: int) -> Record:
    return _record(_recommendation(workspace_of(request), recommendation_id))


@router.patch(
    RECOMMENDATION,
    response=RecommendationOut,
    auth=WRITE,
    summary="Change some fields; addressees and themes, when sent, replace the lists",
)
def update_recommendation(
    request: HttpRequest, workspace: str, recommendation_id: int, payload: RecommendationPatch
) -> Record:
    ws = workspace_of(request)
    rec = _recommendation(ws, recommendation_id)
    data = payload.model_dump(exclude_unset=True)
    if data.get("addressees") is not None:
        data["addressees"] = _actor_list(ws, data["addressees"])
    if data.get("themes") is not None:
        data["themes"] = _theme_list(ws, data["themes"])
    if "source" in data:
        data["source"] = _source(ws, data["source"])
    with refusals():
        services.update_recommendation(actor_of(request), rec, **data)
    return _record(rec)


@router.delete(
    RECOMMENDATION,
    response={204: None},
    auth=WRITE,
    summary="Delete a recommendation without status history or commitments (otherwise 409)",
)
def delete_recommendation(
    request: HttpRequest, workspace: str, recommendation_id: int
) -> Status[None]:
    rec = _recommendation(workspace_of(request), recommendation_id)
    with refusals():
        services.delete_recommendation(actor_of(request), rec)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Status changes and commitments


def _status_changes(ws: Workspace) -> QuerySet[StatusChange]:
    return (
        StatusChange.objects.filter(recommendation__workspace=ws)
        .select_related("actor", "source", "recorded_by")
        .prefetch_related("items__blob")
    )


@router.get(
    RECOMMENDATION + "/status-changes",
    response=list[StatusChangeOut],
    auth=READ,
    summary="The status history of a recommendation, oldest first",
)
def list_status_changes(
    request: HttpRequest, workspace: str, recommendation_id: int
) -> list[Record]:
    ws = workspace_of(request)
    rec = _recommendation(ws, recommendation_id)
    rows = _status_changes(ws).filter(recommendation=rec).order_by("date", "pk")
    return [status_change_record(c) for c in rows]


@router.post(
    RECOMMENDATION + "/status-changes",
    response={201: StatusChangeOut},
    auth=WRITE,
    summary="Record a status change with its evidence (changes are never edited or deleted)",
)
def create_status_change(
    request: HttpRequest, workspace: str, recommendation_id: int, payload: StatusChangeIn
) -> Status[Record]:
    ws = workspace_of(request)
    rec = _recommendation(ws, recommendation_id)
    actor = found(_actors(ws), payload.actor) if payload.actor is not None else None
    with refusals():
        change = services.record_status_change(
            actor_of(request),
            rec,
            status=payload.status,
            date=payload.date,
            actor=actor,
            note=payload.note,
            source=_source(ws, payload.source),
            items=_items(ws, payload.items),
        )
    return Status(201, status_change_record(_status_changes(ws).get(pk=change.pk)))


@router.get(
    RECOMMENDATION + "/commitments",
    response=list[CommitmentOut],
    auth=READ,
    summary="The commitments made in response to a recommendation",
)
def list_commitments(request: HttpRequest, workspace: str, recommendation_id: int) -> list[Record]:
    rec = _recommendation(workspace_of(request), recommendation_id)
    return [commitment_record(c) for c in rec.commitments.select_related("source")]


@router.post(
    RECOMMENDATION + "/commitments",
    response={201: CommitmentOut},
    auth=WRITE,
    summary="Record an addressee's commitment in response",
)
def create_commitment(
    request: HttpRequest, workspace: str, recommendation_id: int, payload: CommitmentIn
) -> Status[Record]:
    ws = workspace_of(request)
    rec = _recommendation(ws, recommendation_id)
    with refusals():
        commitment = services.record_commitment(
            actor_of(request),
            rec,
            actor=found(_actors(ws), payload.actor),
            text=payload.text,
            made_on=payload.made_on,
            source=_source(ws, payload.source),
        )
    return Status(201, commitment_record(commitment))


@router.get(
    ROADMAP + "/status-changes",
    response=StatusChangePage,
    auth=READ,
    summary="The timeline: every status change, newest first; filters: actor, theme, status, "
    "since, until",
)
def timeline(
    request: HttpRequest,
    workspace: str,
    actor: int | None = None,
    theme: str = "",
    status: StatusCode | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Record:
    rows = _status_changes(workspace_of(request)).order_by("-date", "-pk")
    if actor is not None:
        # A change about every addressee concerns this actor too when it is one of them.
        rows = rows.filter(Q(actor=actor) | Q(actor=None, recommendation__addressees=actor))
    if theme:
        rows = rows.filter(recommendation__themes__code=theme)
    if status:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(date__gte=since)
    if until:
        rows = rows.filter(date__lte=until)
    return _page(rows.distinct(), limit, offset, status_change_record)


# ---------------------------------------------------------------------------------------------
# Scorecard, import, exports


@router.get(
    ROADMAP + "/scorecard",
    response=ScorecardOut,
    auth=READ,
    summary="Figures per actor and theme: counts by status, share implemented, overdue, last "
    "change (as of a day; scope=published: the portal's figures)",
)
def scorecard(
    request: HttpRequest,
    workspace: str,
    as_of: dt.date | None = None,
    scope: Literal["all", "published"] = "all",
) -> dict[str, Any]:
    return compute_scorecard(workspace_of(request), as_of=as_of, scope=Scope(scope)).as_dict()


def _mapping(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        columns = json.loads(text)
    except ValueError:
        raise HttpError(400, _('mapping: a JSON object {"column header": "field"}')) from None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise HttpError(400, _('mapping: a JSON object {"column header": "field"}'))
    return columns


@router.post(
    ROADMAP + "/imports",
    response=ImportReportOut,
    auth=WRITE,
    summary="Import recommendations from a CSV or XLSX file (dry_run: check, write nothing); "
    "200 with the rows' errors when rows are invalid, 400 when the file is",
)
def import_recommendations(
    request: HttpRequest,
    workspace: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    mapping: Form[str] = "",
    sheet: Form[str] = "",
    encoding: Form[str] = "",
    month_first: Form[bool] = False,
) -> dict[str, Any]:
    ws = workspace_of(request)
    if (file.size or 0) > MAX_FILE_BYTES:
        raise HttpError(
            413,
            _("the file is larger than %(limit)d MB: split it into smaller files")
            % {"limit": MAX_FILE_BYTES // (1024 * 1024)},
        )
    options = ImportOptions(
        mapping=_mapping(mapping),
        sheet=sheet or None,
        encoding=encoding or None,
        month_first=month_first,
    )
    data, name = file.read(), file.name or "upload"
    try:
        if dry_run:
            report = preview(ws, data, name, options)
        else:
            report = run(actor_of(request), ws, data, name, options)
    except ImportProblem as exc:
        raise HttpError(400, str(exc)) from None
    return report.as_dict()


@router.get(
    ROADMAP + "/exports/{export_format}",
    auth=READ,
    summary="The recommendations with their current status as CSV or JSON (same filters as "
    "the list)",
)
def export_recommendations(
    request: HttpRequest,
    workspace: str,
    export_format: Literal["csv", "json"],
    actor: int | None = None,
    theme: str = "",
    status: StatusCode | None = None,
    overdue: bool | None = None,
    published: bool | None = None,
    as_of: dt.date | None = None,
) -> StreamingHttpResponse:
    ws = workspace_of(request)
    selection = RecommendationFilter(
        actor=actor, theme=theme, status=status or "", overdue=overdue, published=published
    )
    response = StreamingHttpResponse(
        exports.iter_export(ws, export_format, selection, as_of),
        content_type=exports.MEDIA_TYPES[export_format],
    )
    day = (as_of or timezone.localdate()).isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="roadmap-{ws.slug}-{day}.{export_format}"'
    )
    return response
