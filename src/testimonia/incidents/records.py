"""Documentation records as plain values: the one shape shared by the API and the exports.

Each function turns a model (with its related rows prefetched by the caller) into a dict of
JSON-ready values (dates stay `date`/`time`/`datetime` objects; DjangoJSONEncoder and
django-ninja both write them in ISO 8601). Keeping one shape means an exported record and the
API's record of the same incident never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, QuerySet

from testimonia.incidents.models import (
    Act,
    Citation,
    Incident,
    IncidentLink,
    Involvement,
    Organisation,
    Person,
    Place,
    Source,
    Term,
    Victimisation,
)

Record = dict[str, Any]
CitationIndex = dict[tuple[str, int], list[Record]]

# Citations name their record by content type; these are the record types they may cite.
CITABLE: dict[str, type[Model]] = {
    "incident": Incident,
    "act": Act,
    "person": Person,
    "victimisation": Victimisation,
    "involvement": Involvement,
    "organisation": Organisation,
}


def coordinate(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def term_index(vocabulary: str = "act_type") -> dict[int, Record]:
    """Every term of a vocabulary by id (a few dozen rows: read once, not per act)."""
    terms = list(Term.objects.filter(vocabulary=vocabulary))
    codes = {t.pk: t.code for t in terms}
    return {
        t.pk: {
            "code": t.code,
            "labels": dict(t.labels),
            "huridocs": t.huridocs,
            "parent": codes.get(t.parent_id) if t.parent_id else None,
            "active": t.active,
        }
        for t in terms
    }


def place_record(place: Place | None) -> Record | None:
    return None if place is None else place_fields(place)


def place_fields(place: Place) -> Record:
    return {
        "id": place.pk,
        "kind": place.kind,
        "name": place.name,
        "names": dict(place.names),
        "pcode": place.pcode,
        "parent_pcode": place.parent_pcode,
        "country_code": place.country_code,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "workspace_site": place.workspace_id is not None,
    }


def citation_record(citation: Citation) -> Record:
    return {
        "id": citation.pk,
        "record_type": citation.content_type.model,
        "record_id": citation.object_id,
        "field": citation.field,
        "item": citation.item_id,
        "item_sha256": citation.item.blob.sha256 if citation.item is not None else None,
        "source": citation.source_id,
        "note": citation.note,
        "created_by": citation.created_by.get_username() if citation.created_by else None,
        "created_at": citation.created_at,
    }


def citation_rows() -> QuerySet[Citation]:
    return Citation.objects.select_related("content_type", "item__blob", "created_by").order_by(
        "pk"
    )


def citations_of(records: dict[type[Model], Iterable[int]]) -> CitationIndex:
    """The citations of many records at once, by (record type, record id)."""
    index: CitationIndex = defaultdict(list)
    for model, ids in records.items():
        wanted = list(ids)
        if not wanted:
            continue
        content_type = ContentType.objects.get_for_model(model)
        rows = citation_rows().filter(content_type=content_type, object_id__in=wanted)
        for citation in rows:
            index[(content_type.model, citation.object_id)].append(citation_record(citation))
    return index


def victim_record(victim: Victimisation, citations: CitationIndex) -> Record:
    return {
        "id": victim.pk,
        "person": victim.person_id,
        "outcome": victim.outcome,
        "age_at_time": victim.age_at_time,
        "citations": citations.get(("victimisation", victim.pk), []),
    }


def involvement_record(involvement: Involvement, citations: CitationIndex) -> Record:
    return {
        "id": involvement.pk,
        "person": involvement.person_id,
        "organisation": involvement.organisation_id,
        "degree": involvement.degree,
        "role": involvement.role,
        "certainty": involvement.certainty,
        "citations": citations.get(("involvement", involvement.pk), []),
    }


def act_fields(act: Act, terms: dict[int, Record]) -> Record:
    """The act's own fields, without its victims, perpetrators and citations."""
    return {
        "id": act.pk,
        "incident": act.incident_id,
        "act_type": terms[act.act_type_id],
        "description": act.description,
        "start_date": act.start_date,
        "start_precision": act.start_precision,
        "end_date": act.end_date,
        "place": place_record(act.place),
        "method": act.method,
    }


def act_record(act: Act, terms: dict[int, Record], citations: CitationIndex) -> Record:
    return {
        **act_fields(act, terms),
        "victims": [victim_record(v, citations) for v in act.victimisations.all()],
        "involvements": [involvement_record(i, citations) for i in act.involvements.all()],
        "citations": citations.get(("act", act.pk), []),
    }


def link_record(link: IncidentLink, incident_id: int) -> Record:
    outgoing = link.source_id == incident_id
    return {
        "id": link.pk,
        "direction": "out" if outgoing else "in",
        "kind": link.kind,
        "incident": link.target_id if outgoing else link.source_id,
        "note": link.note,
    }


def incident_fields(incident: Incident) -> Record:
    """The incident's own fields, without the records nested under it."""
    return {
        "id": incident.pk,
        "title": incident.title,
        "description": incident.description,
        "language": incident.language,
        "translations": dict(incident.translations or {}),
        "start_date": incident.start_date,
        "start_time": incident.start_time,
        "start_precision": incident.start_precision,
        "end_date": incident.end_date,
        "end_time": incident.end_time,
        "end_precision": incident.end_precision,
        "place": place_record(incident.place),
        "place_name": incident.place_name,
        "latitude": coordinate(incident.latitude),
        "longitude": coordinate(incident.longitude),
        "area": incident.area,
        "location_precision": incident.location_precision,
        "status": incident.status,
        "sensitivity": incident.sensitivity,
        "tags": sorted(t.name for t in incident.tags.all()),
        "evidence": [{"id": i.pk, "sha256": i.blob.sha256} for i in incident.evidence.all()],
        "created_at": incident.created_at,
        "created_by": incident.created_by.get_username() if incident.created_by else None,
        "updated_at": incident.updated_at,
    }


def incident_record(
    incident: Incident, terms: dict[int, Record], citations: CitationIndex
) -> Record:
    """The complete incident: its fields, acts with victims and perpetrators, links and the
    citations of each."""
    links = [*incident.links_out.all(), *incident.links_in.all()]
    return {
        **incident_fields(incident),
        "acts": [act_record(a, terms, citations) for a in incident.acts.all()],
        "links": [link_record(link, incident.pk) for link in sorted(links, key=lambda x: x.pk)],
        "citations": citations.get(("incident", incident.pk), []),
    }


def with_everything(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Prefetch what `incident_record` reads, so that it costs a fixed number of queries per
    batch of incidents, not per incident."""
    from testimonia.evidence.models import Item

    return incidents.select_related("place", "created_by").prefetch_related(
        "tags",
        Prefetch("evidence", queryset=Item.objects.select_related("blob").order_by("pk")),
        Prefetch(
            "acts",
            queryset=Act.objects.select_related("place").prefetch_related(
                Prefetch("victimisations", queryset=Victimisation.objects.order_by("pk")),
                Prefetch("involvements", queryset=Involvement.objects.order_by("pk")),
            ),
        ),
        "links_out",
        "links_in",
    )


def citations_for_incidents(incidents: list[Incident]) -> CitationIndex:
    """The citations of these (prefetched) incidents and of everything nested in them."""
    acts = [a for i in incidents for a in i.acts.all()]
    return citations_of(
        {
            Incident: [i.pk for i in incidents],
            Act: [a.pk for a in acts],
            Victimisation: [v.pk for a in acts for v in a.victimisations.all()],
            Involvement: [v.pk for a in acts for v in a.involvements.all()],
        }
    )


def name_record(name: Any) -> Record:
    return {
        "id": name.pk,
        "text": name.text,
        "language": name.language,
        "primary": name.primary,
        "kind": name.kind,
    }


def person_record(person: Person) -> Record:
    """A person with their names (prefetch `names`)."""
    return {
        "id": person.pk,
        "kind": person.kind,
        "names": [name_record(n) for n in person.names.all()],
        "sex": person.sex,
        "age_min": person.age_min,
        "age_max": person.age_max,
        "date_of_birth": person.date_of_birth,
        "date_of_birth_precision": person.date_of_birth_precision,
        "status": person.status,
        "group_size": person.group_size,
        "occupation": person.occupation,
        "deceased": person.deceased,
        "date_of_death": person.date_of_death,
        "affiliation": person.affiliation_id,
        "sensitivity": person.sensitivity,
        "notes": person.notes,
        "created_at": person.created_at,
    }


def organisation_record(unit: Organisation, parents: dict[int, int | None]) -> Record:
    """A unit with its parent and its chain of command (ids, nearest first), computed from
    `parents` (every unit of the workspace: id -> parent id) instead of one query per level."""
    chain: list[int] = []
    current: int | None = unit.pk
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return {
        "id": unit.pk,
        "name": unit.name,
        "other_names": list(unit.other_names or []),
        "kind": unit.kind,
        "parent": unit.parent_id,
        "chain_of_command": chain,
        "state": unit.state,
        "description": unit.description,
    }


def parents_of(workspace: Any) -> dict[int, int | None]:
    return dict(Organisation.objects.filter(workspace=workspace).values_list("pk", "parent_id"))


def source_record(source: Source) -> Record:
    return {
        "id": source.pk,
        "title": source.title,
        "kind": source.kind,
        "reliability": source.reliability,
        "url": source.url,
        "published_on": source.published_on,
        "notes": source.notes,
    }
