"""API of the documentation database: incidents and what is nested in them (acts, victims,
alleged perpetrators, links), their history, and incident exports.

Persons and organisations are in api_actors.py; sources, citations, places and vocabularies
in api_sources.py; their routers are mounted on this one. Reads need VIEW_RECORDS, writes
EDIT_RECORDS; every write goes through the services (incidents/services.py, removal.py) so
that the history names its author; an id of another workspace answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.incidents import removal
from testimonia.incidents.api_actors import router as actors_router
from testimonia.incidents.api_base import (
    ActIn,
    ActOut,
    ActPatch,
    ChangeOut,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    InvolvementIn,
    InvolvementOut,
    LinkIn,
    LinkOut,
    VersionOut,
    VictimIn,
    VictimOut,
    actor_of,
    check_page,
    coordinate_in,
    documented,
    found,
    organisation_or_404,
    person_or_404,
    place_or_404,
    plain,
    workspace_of,
)
from testimonia.incidents.api_sources import router as sources_router
from testimonia.incidents.exporting import INCIDENT_FORMATS, MEDIA_TYPES
from testimonia.incidents.facets import filtered_incidents, incident_filter
from testimonia.incidents.models import (
    Act,
    Incident,
    IncidentLink,
    Involvement,
    Person,
    Tag,
    Victimisation,
)
from testimonia.incidents.records import (
    Record,
    act_record,
    citations_for_incidents,
    citations_of,
    incident_record,
    involvement_record,
    link_record,
    place_record,
    term_index,
    victim_record,
    with_everything,
)
from testimonia.incidents.services import (
    IncidentFilter,
    act_type,
    add_act,
    add_involvement,
    add_victim,
    create_incident,
    incidents_of,
    link_incidents,
    save,
    set_tags,
    unsupported_facts,
)

router = Router(tags=["documentation"])
router.add_router("", actors_router)
router.add_router("", sources_router)

READ = workspace_auth(Capability.VIEW_RECORDS)
WRITE = workspace_auth(Capability.EDIT_RECORDS)
BASE = "/workspaces/{workspace}/incidents"
ONE = BASE + "/{incident_id}"
ACT = ONE + "/acts/{act_id}"

# The facts whose support `unsupported` reports: when and where, and what was done.
INCIDENT_KEY_FACTS = ("start_date", "end_date", "place", "latitude", "longitude", "area")
ACT_KEY_FACTS = ("act_type", "start_date", "end_date", "place", "method")


class IncidentQuery(Schema):
    """The facets of the incident list, the map and the exports (repeat a list parameter for
    several values: ?status=draft&status=verified)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    place: str = ""  # a P-code (the area and every place in it) or a place id
    act_type: list[str] = []  # a term includes the terms below it
    perpetrator: int | None = None  # an organisation id: it and every unit below it
    victim_sex: str = ""
    victim_age: str = ""  # child, adult, unknown
    status: list[str] = []
    tag: list[str] = []


def facets_of(query: IncidentQuery) -> IncidentFilter:
    with documented():
        return incident_filter(
            date_from=query.date_from,
            date_to=query.date_to,
            place=query.place,
            act_types=query.act_type,
            perpetrator=query.perpetrator,
            victim_sex=query.victim_sex,
            victim_age=query.victim_age,
            status=query.status,
            tags=query.tag,
        )


# ---------------------------------------------------------------------------------------------
# Incidents


def _summary(incident: Incident, terms: dict[int, Record]) -> Record:
    codes: list[str] = []
    for act in incident.acts.all():
        code = terms[act.act_type_id]["code"]
        if code not in codes:
            codes.append(code)
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "sensitivity": incident.sensitivity,
        "start_date": incident.start_date,
        "start_precision": incident.start_precision,
        "end_date": incident.end_date,
        "place": place_record(incident.place),
        "place_name": incident.place_name,
        "latitude": None if incident.latitude is None else float(incident.latitude),
        "longitude": None if incident.longitude is None else float(incident.longitude),
        "location_precision": incident.location_precision,
        "tags": sorted(t.name for t in incident.tags.all()),
        "act_types": codes,
        "updated_at": incident.updated_at,
    }


def _detail(workspace: Workspace, incident_id: int) -> Record:
    incident: Incident = found(with_everything(incidents_of(workspace)), incident_id)
    terms = term_index()
    record = incident_record(incident, terms, citations_for_incidents([incident]))
    record["unsupported"] = unsupported_facts(incident, INCIDENT_KEY_FACTS)
    acts = {a.pk: a for a in incident.acts.all()}
    for act in record["acts"]:
        act["unsupported"] = unsupported_facts(acts[act["id"]], ACT_KEY_FACTS)
    return record


def _incident_fields(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """Payload values as model values: ids of this workspace's records become the records."""
    if "place" in data:
        data["place"] = place_or_404(workspace, data["place"])
    for name in ("latitude", "longitude"):
        if name in data:
            data[name] = coordinate_in(data[name])
    return data


@router.get(BASE, response=IncidentPage, auth=READ, summary="Incidents, filtered by facets")
def list_incidents(
    request: HttpRequest,
    workspace: str,
    filters: Query[IncidentQuery],
    limit: int = 100,
    offset: int = 0,
) -> Record:
    check_page(limit, offset)
    incidents = filtered_incidents(workspace_of(request), facets_of(filters))
    page = incidents.prefetch_related(
        "tags", Prefetch("acts", queryset=Act.objects.order_by("pk"))
    )[offset : offset + limit]
    terms = term_index()
    return {
        "count": incidents.count(),
        "limit": limit,
        "offset": offset,
        "items": [_summary(incident, terms) for incident in page],
    }


@router.post(BASE, response={201: IncidentOut}, auth=WRITE, summary="Record an incident")
def new_incident(request: HttpRequest, workspace: str, payload: IncidentIn) -> Status[Record]:
    ws = workspace_of(request)
    fields = _incident_fields(ws, payload.model_dump(exclude_unset=True))
    if fields.get("tags") is None:
        fields.pop("tags", None)
    with documented():
        incident = create_incident(actor_of(request), ws, **fields)
    return Status(201, _detail(ws, incident.pk))


@router.get(ONE, response=IncidentOut, auth=READ, summary="One incident with all its records")
def get_incident(request: HttpRequest, workspace: str, incident_id: int) -> Record:
    return _detail(workspace_of(request), incident_id)


@router.patch(ONE, response=IncidentOut, auth=WRITE, summary="Change some fields of an incident")
def change_incident(
    request: HttpRequest, workspace: str, incident_id: int, payload: IncidentPatch
) -> Record:
    ws = workspace_of(request)
    incident: Incident = found(incidents_of(ws), incident_id)
    fields = _incident_fields(ws, payload.model_dump(exclude_unset=True))
    tags_given = "tags" in fields
    tags = fields.pop("tags", None)
    actor = actor_of(request)
    with documented(), transaction.atomic():
        if fields:
            save(actor, incident, **fields)
        if tags_given:
            set_tags(actor, incident, tags or [])
    return _detail(ws, incident.pk)


@router.delete(
    ONE,
    response={204: None},
    auth=WRITE,
    summary="Delete a draft incident (its history is kept)",
)
def remove_incident(request: HttpRequest, workspace: str, incident_id: int) -> Status[None]:
    incident: Incident = found(incidents_of(workspace_of(request)), incident_id)
    with documented():
        removal.delete_incident(actor_of(request), incident)
    return Status(204, None)


def _change(field: str, old: Any, new: Any, tag_names: dict[int, str]) -> ChangeOut:
    if field == "tags":  # many-to-many: the rows of the through table, as tag names
        old = sorted(tag_names.get(row["tag"], str(row["tag"])) for row in old or [])
        new = sorted(tag_names.get(row["tag"], str(row["tag"])) for row in new or [])
    return ChangeOut(field=field, old=plain(old), new=plain(new))


@router.get(
    ONE + "/history",
    response=list[VersionOut],
    auth=READ,
    summary="Every version of an incident: who changed what, with the values before and after",
)
def history(request: HttpRequest, workspace: str, incident_id: int) -> list[VersionOut]:
    incident: Incident = found(incidents_of(workspace_of(request)), incident_id)
    rows = list(
        incident.history.select_related("history_user").order_by("history_date", "history_id")
    )
    tag_names = dict(Tag.objects.filter(workspace=incident.workspace).values_list("pk", "name"))
    kinds: dict[str, Literal["created", "changed", "deleted"]] = {
        "+": "created",
        "~": "changed",
        "-": "deleted",
    }
    versions: list[VersionOut] = []
    previous = None
    for row in rows:
        if previous is None:
            tracked = [f for f in row.tracked_fields if f.editable]
            changes = [
                ChangeOut(field=f.name, old=None, new=plain(getattr(row, f.attname)))
                for f in tracked
                if getattr(row, f.attname) not in (None, "", {}, [])
            ]
        else:
            delta = row.diff_against(previous)
            changes = [_change(c.field, c.old, c.new, tag_names) for c in delta.changes]
        versions.append(
            VersionOut(
                id=row.history_id,
                date=row.history_date,
                user=row.history_user.get_username() if row.history_user else None,
                type=kinds.get(row.history_type, "changed"),
                changes=changes,
            )
        )
        previous = row
    versions.reverse()  # newest first
    return versions


# ---------------------------------------------------------------------------------------------
# Acts, victims, alleged perpetrators


def _acts(incident: Incident) -> QuerySet[Act]:
    return (
        Act.objects.filter(incident=incident)
        .select_related("place")
        .prefetch_related(
            Prefetch("victimisations", queryset=Victimisation.objects.order_by("pk")),
            Prefetch("involvements", queryset=Involvement.objects.order_by("pk")),
        )
        .order_by("pk")
    )


def _act_out(acts: list[Act]) -> list[Record]:
    citations = citations_of(
        {
            Act: [a.pk for a in acts],
            Victimisation: [v.pk for a in acts for v in a.victimisations.all()],
            Involvement: [v.pk for a in acts for v in a.involvements.all()],
        }
    )
    terms = term_index()
    records = []
    for act in acts:
        record = act_record(act, terms, citations)
        record["unsupported"] = unsupported_facts(act, ACT_KEY_FACTS)
        records.append(record)
    return records


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    incident: Incident = found(incidents_of(workspace_of(request)), incident_id)
    return incident


def _act(request: HttpRequest, incident_id: int, act_id: int) -> Act:
    act: Act = found(_acts(_incident(request, incident_id)), act_id)
    return act


def _act_fields(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    if "place" in data:
        data["place"] = place_or_404(workspace, data["place"])
    return data


@router.get(ONE + "/acts", response=list[ActOut], auth=READ, summary="The acts of an incident")
def list_acts(request: HttpRequest, workspace: str, incident_id: int) -> list[Record]:
    return _act_out(list(_acts(_incident(request, incident_id))))


@router.post(ONE + "/acts", response={201: ActOut}, auth=WRITE, summary="Add an act")
def create_act(
    request: HttpRequest, workspace: str, incident_id: int, payload: ActIn
) -> Status[Record]:
    incident = _incident(request, incident_id)
    data = _act_fields(workspace_of(request), payload.model_dump(exclude_unset=True))
    code = data.pop("act_type")
    with documented():
        act = add_act(actor_of(request), incident, code, **data)
    return Status(201, _act_out([_act(request, incident_id, act.pk)])[0])


@router.get(ACT, response=ActOut, auth=READ, summary="One act with its victims and perpetrators")
def get_act(request: HttpRequest, workspace: str, incident_id: int, act_id: int) -> Record:
    return _act_out([_act(request, incident_id, act_id)])[0]


@router.patch(ACT, response=ActOut, auth=WRITE, summary="Change some fields of an act")
def update_act(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, payload: ActPatch
) -> Record:
    act = _act(request, incident_id, act_id)
    data = _act_fields(workspace_of(request), payload.model_dump(exclude_unset=True))
    with documented():
        if "act_type" in data:
            data["act_type"] = act_type(data["act_type"] or "")
        if data:
            save(actor_of(request), act, **data)
    return _act_out([_act(request, incident_id, act_id)])[0]


@router.delete(ACT, response={204: None}, auth=WRITE, summary="Remove an act from a draft incident")
def delete_act(request: HttpRequest, workspace: str, incident_id: int, act_id: int) -> Status[None]:
    act = _act(request, incident_id, act_id)
    with documented():
        removal.delete_act(actor_of(request), act)
    return Status(204, None)


@router.post(
    ACT + "/victims", response={201: VictimOut}, auth=WRITE, summary="Add a victim to an act"
)
def create_victim(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, payload: VictimIn
) -> Status[Record]:
    act = _act(request, incident_id, act_id)
    person: Person = found(Person.objects.filter(workspace=workspace_of(request)), payload.person)
    with documented():
        victim = add_victim(
            actor_of(request), act, person, payload.outcome, age_at_time=payload.age_at_time
        )
    return Status(201, victim_record(victim, {}))


@router.delete(
    ACT + "/victims/{victimisation_id}",
    response={204: None},
    auth=WRITE,
    summary="Remove a victim from an act of a draft incident",
)
def delete_victim(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, victimisation_id: int
) -> Status[None]:
    act = _act(request, incident_id, act_id)
    victim: Victimisation = found(
        act.victimisations.select_related("act__incident"), victimisation_id
    )
    with documented():
        removal.delete_victimisation(actor_of(request), victim)
    return Status(204, None)


@router.post(
    ACT + "/involvements",
    response={201: InvolvementOut},
    auth=WRITE,
    summary="Name an alleged perpetrator (a person or a unit) of an act",
)
def create_involvement(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, payload: InvolvementIn
) -> Status[Record]:
    act = _act(request, incident_id, act_id)
    ws = workspace_of(request)
    with documented():
        involvement = add_involvement(
            actor_of(request),
            act,
            person=person_or_404(ws, payload.person),
            organisation=organisation_or_404(ws, payload.organisation),
            degree=payload.degree,
            certainty=payload.certainty,
            role=payload.role,
        )
    return Status(201, involvement_record(involvement, {}))


@router.delete(
    ACT + "/involvements/{involvement_id}",
    response={204: None},
    auth=WRITE,
    summary="Remove an alleged perpetrator from an act of a draft incident",
)
def delete_involvement(
    request: HttpRequest, workspace: str, incident_id: int, act_id: int, involvement_id: int
) -> Status[None]:
    act = _act(request, incident_id, act_id)
    involvement: Involvement = found(
        act.involvements.select_related("act__incident"), involvement_id
    )
    with documented():
        removal.delete_involvement(actor_of(request), involvement)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Links between incidents


@router.post(
    ONE + "/links",
    response={201: LinkOut},
    auth=WRITE,
    summary="Link this incident to another one (this one is the source)",
)
def create_link(
    request: HttpRequest, workspace: str, incident_id: int, payload: LinkIn
) -> Status[Record]:
    incident = _incident(request, incident_id)
    target = _incident(request, payload.target)
    with documented():
        link = link_incidents(actor_of(request), incident, target, payload.kind, payload.note)
    return Status(201, link_record(link, incident.pk))


@router.delete(
    ONE + "/links/{link_id}",
    response={204: None},
    auth=WRITE,
    summary="Remove a link between two draft incidents",
)
def delete_link(
    request: HttpRequest, workspace: str, incident_id: int, link_id: int
) -> Status[None]:
    incident = _incident(request, incident_id)
    links = IncidentLink.objects.filter(source__workspace=incident.workspace).select_related(
        "source", "target"
    )
    link: IncidentLink = found(
        links.filter(source=incident) | links.filter(target=incident), link_id
    )
    with documented():
        removal.delete_link(actor_of(request), link)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------
# Exports


@router.get(
    "/workspaces/{workspace}/exports/incidents",
    auth=READ,
    summary="Export the incidents under these facets as CSV, JSON or GeoJSON (streamed)",
    description="CSV: one row per incident, UTF-8 with a byte order mark, formula-like cells "
    "neutralised. JSON: complete nested records. GeoJSON: a FeatureCollection of the "
    "incidents that have a point, an area or a located place. See docs/export.md.",
)
def export_incidents(
    request: HttpRequest,
    workspace: str,
    format: Literal["csv", "json", "geojson"],  # the public parameter's name
    filters: Query[IncidentQuery],
) -> StreamingHttpResponse:
    # Documentation records are not evidence: exporting them is not a custody event (the
    # originals leave only through `export bag`, which records it).
    ws = workspace_of(request)
    incidents = filtered_incidents(ws, facets_of(filters))
    response = StreamingHttpResponse(
        INCIDENT_FORMATS[format](ws, incidents), content_type=MEDIA_TYPES[format]
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="incidents-{ws.slug}-{stamp}.{format}"'
    return response
