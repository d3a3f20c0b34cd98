"""Pattern indicators for the contextual elements: over a chosen set of incidents, how many,
over what time, how spread out, how many victims and how many of them civilians, and which
kinds of act the same perpetrator repeats.

They are shown beside the "widespread or systematic attack" element of the crimes against
humanity (and genocide's "manifest pattern"); they describe the documented facts and decide
nothing. Every result carries the query that produced it (a description in words, the
parameters, and the ids of the incidents it selected), so anyone can compute it again.

`compute(selection, facts)` is pure and works on the plain values below; `select()` and
`facts_of()` read them from the documentation database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testimonia.accounts.models import Workspace
    from testimonia.incidents.services import IncidentFilter

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
MAX_LISTED = 20  # recurrences and act types listed at most


# ---------------------------------------------------------------------------------------------
# Facts, as plain values


@dataclass(frozen=True)
class VictimFact:
    person: int
    status: str  # civilian, combatant, hors_de_combat, unknown (Person.Status)
    count: int = 1  # a group counts its recorded size
    child: bool | None = None


@dataclass(frozen=True)
class PerpetratorFact:
    key: str  # "unit:3" or "person:5"
    label: str


@dataclass(frozen=True)
class ActFact:
    act_type: str
    perpetrators: tuple[PerpetratorFact, ...] = ()
    victims: tuple[VictimFact, ...] = ()
    broader: tuple[str, ...] = ()  # the act types above it: a massacre is also a killing

    @property
    def types(self) -> tuple[str, ...]:
        return (self.act_type, *self.broader)


@dataclass(frozen=True)
class IncidentFacts:
    id: int
    start: dt.date | None = None
    end: dt.date | None = None
    place: str | None = None  # "place:12", or "name:<as reported>" without a known place
    area: str | None = None  # the second-level administrative area's P-code
    latitude: float | None = None
    longitude: float | None = None
    acts: tuple[ActFact, ...] = ()


@dataclass(frozen=True)
class Selection:
    """The query that chose the incidents: in words, as parameters, and what it selected."""

    description: str
    parameters: Mapping[str, Any]  # {"incident_ids": [...]} or {"filter": {...}}
    incident_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "parameters": dict(self.parameters),
            "incident_ids": list(self.incident_ids),
        }


# ---------------------------------------------------------------------------------------------
# Indicators


@dataclass(frozen=True)
class Recurrence:
    act_type: str
    perpetrator: str  # the perpetrator's key
    label: str
    incident_ids: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "act_type": self.act_type,
            "perpetrator": self.perpetrator,
            "label": self.label,
            "incidents": len(self.incident_ids),
            "incident_ids": list(self.incident_ids),
        }


@dataclass(frozen=True)
class Indicators:
    query: Selection
    incidents: int
    first_date: dt.date | None
    last_date: dt.date | None
    span_days: int | None  # from the first start to the last end, both days included
    undated: int
    by_month: tuple[tuple[str, int], ...]  # ("2024-03", incidents starting that month)
    places: int  # distinct places (a known place, else the place as reported)
    areas: int  # distinct second-level administrative areas
    located: int  # incidents with coordinates
    bounding_box: Mapping[str, float] | None  # south, west, north, east
    extent_km: float | None  # great-circle distance between the box's corners
    victim_records: int  # distinct persons and groups recorded as victims
    victims: int  # the same, a group counted by its recorded size
    civilians: int
    status_unknown: int
    civilian_share: float | None  # civilians / victims (a lower bound when some are unknown)
    civilian_share_of_known: float | None  # civilians / victims whose status is known
    children: int
    # (code, incidents with such an act, counting an act under its type and every broader
    # one), most first
    act_types: tuple[tuple[str, int], ...]
    recurrences: tuple[Recurrence, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.as_dict(),
            "incidents": self.incidents,
            "first_date": _iso(self.first_date),
            "last_date": _iso(self.last_date),
            "span_days": self.span_days,
            "undated": self.undated,
            "by_month": [{"month": m, "incidents": n} for m, n in self.by_month],
            "places": self.places,
            "areas": self.areas,
            "located": self.located,
            "bounding_box": dict(self.bounding_box) if self.bounding_box else None,
            "extent_km": self.extent_km,
            "victim_records": self.victim_records,
            "victims": self.victims,
            "civilians": self.civilians,
            "status_unknown": self.status_unknown,
            "civilian_share": self.civilian_share,
            "civilian_share_of_known": self.civilian_share_of_known,
            "children": self.children,
            "act_types": [{"act_type": c, "incidents": n} for c, n in self.act_types],
            "recurrences": [r.as_dict() for r in self.recurrences],
        }


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def compute(selection: Selection, facts: Sequence[IncidentFacts]) -> Indicators:
    """The indicators of these incidents (pure)."""
    starts = [f.start for f in facts if f.start is not None]
    ends = [f.end or f.start for f in facts if (f.end or f.start) is not None]
    first = min(starts) if starts else None
    last = max(ends) if ends else None  # type: ignore[type-var]  # dates, None filtered out
    span = (last - first).days + 1 if first is not None and last is not None else None
    months = Counter(f.start.strftime("%Y-%m") for f in facts if f.start is not None)

    points = [
        (f.latitude, f.longitude)
        for f in facts
        if f.latitude is not None and f.longitude is not None
    ]
    box: dict[str, float] | None = None
    extent: float | None = None
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        box = {"south": min(lats), "west": min(lons), "north": max(lats), "east": max(lons)}
        extent = round(distance_km(box["south"], box["west"], box["north"], box["east"]), 3)

    victims: dict[int, VictimFact] = {}
    children: set[int] = set()
    type_incidents: dict[str, set[int]] = defaultdict(set)
    pairs: dict[tuple[str, str], set[int]] = defaultdict(set)
    labels: dict[str, str] = {}
    for incident in facts:
        for act in incident.acts:
            for code in act.types:
                type_incidents[code].add(incident.id)
                for perpetrator in act.perpetrators:
                    pairs[(code, perpetrator.key)].add(incident.id)
                    labels.setdefault(perpetrator.key, perpetrator.label)
            for victim in act.victims:
                victims.setdefault(victim.person, victim)
                if victim.child:
                    children.add(victim.person)
    counted = sum(v.count for v in victims.values())
    civilians = sum(v.count for v in victims.values() if v.status == "civilian")
    unknown = sum(v.count for v in victims.values() if v.status == "unknown")
    recurrences = sorted(
        (
            Recurrence(code, key, labels[key], tuple(sorted(ids)))
            for (code, key), ids in pairs.items()
            if len(ids) >= 2
        ),
        key=lambda r: (-len(r.incident_ids), r.act_type, r.perpetrator),
    )
    act_types = sorted(
        ((code, len(ids)) for code, ids in type_incidents.items()), key=lambda p: (-p[1], p[0])
    )
    return Indicators(
        query=selection,
        incidents=len(facts),
        first_date=first,
        last_date=last,
        span_days=span,
        undated=sum(f.start is None for f in facts),
        by_month=tuple(sorted(months.items())),
        places=len({f.place for f in facts if f.place}),
        areas=len({f.area for f in facts if f.area}),
        located=len(points),
        bounding_box=box,
        extent_km=extent,
        victim_records=len(victims),
        victims=counted,
        civilians=civilians,
        status_unknown=unknown,
        civilian_share=_share(civilians, counted),
        civilian_share_of_known=_share(civilians, counted - unknown),
        children=sum(victims[p].count for p in children),
        act_types=tuple(act_types[:MAX_LISTED]),
        recurrences=tuple(recurrences[:MAX_LISTED]),
    )


# ---------------------------------------------------------------------------------------------
# Reading the documentation database


class SelectionError(ValueError):
    """The query names incidents or facets that do not exist; the message says which."""


def filter_parameters(facets: IncidentFilter) -> dict[str, Any]:
    """The facets that are set, as JSON values (what a stored query keeps)."""
    values: dict[str, Any] = {}
    for name in (
        "date_from",
        "date_to",
        "place",
        "act_types",
        "perpetrator",
        "victim_sex",
        "victim_age",
        "status",
        "tags",
    ):
        value = getattr(facets, name)
        if value in (None, "", []):
            continue
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def facets_from(parameters: Mapping[str, Any]) -> IncidentFilter:
    """An IncidentFilter from stored parameters, each value checked (facets.incident_filter)."""
    from testimonia.incidents.facets import incident_filter
    from testimonia.incidents.services import DocumentationError

    try:
        return incident_filter(
            date_from=_date(parameters.get("date_from")),
            date_to=_date(parameters.get("date_to")),
            place=str(parameters.get("place") or ""),
            act_types=list(parameters.get("act_types") or []),
            perpetrator=parameters.get("perpetrator"),
            victim_sex=str(parameters.get("victim_sex") or ""),
            victim_age=str(parameters.get("victim_age") or ""),
            status=list(parameters.get("status") or []),
            tags=list(parameters.get("tags") or []),
        )
    except (DocumentationError, ValueError, TypeError) as exc:
        raise SelectionError(str(exc)) from None


def _date(value: Any) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


def describe(parameters: Mapping[str, Any]) -> str:
    """The query in words (English: it is stored with the result and read in any language)."""
    ids = parameters.get("incident_ids")
    if ids is not None:
        listed = ", ".join(str(i) for i in ids)
        return f"the incidents with ids {listed}" if ids else "no incidents"
    facets = dict(parameters.get("filter") or {})
    if not facets:
        return "every incident of the workspace"
    parts = []
    if facets.get("act_types"):
        parts.append("with an act of type " + " or ".join(facets["act_types"]))
    if facets.get("date_from"):
        parts.append(f"ending on or after {facets['date_from']}")
    if facets.get("date_to"):
        parts.append(f"starting on or before {facets['date_to']}")
    if facets.get("place"):
        parts.append(f"at or inside place {facets['place']}")
    if facets.get("perpetrator") is not None:
        parts.append(f"alleged against unit {facets['perpetrator']} or a unit under it")
    if facets.get("victim_sex"):
        parts.append(f"with a {facets['victim_sex']} victim")
    if facets.get("victim_age"):
        parts.append(f"with a victim of age group {facets['victim_age']}")
    if facets.get("status"):
        parts.append("with status " + " or ".join(facets["status"]))
    if facets.get("tags"):
        parts.append("tagged " + " or ".join(facets["tags"]))
    return "the incidents " + ", ".join(parts)


def select(workspace: Workspace, parameters: Mapping[str, Any]) -> Selection:
    """Run a query: `{"incident_ids": [...]}` (every id must be an incident of the workspace)
    or `{"filter": {...}}` (the facets of the incident list; empty: every incident)."""
    from testimonia.incidents.models import Incident

    if "incident_ids" in parameters:
        wanted = [int(i) for i in parameters["incident_ids"]]
        ids = set(
            Incident.objects.filter(workspace=workspace, pk__in=wanted).values_list("pk", flat=True)
        )
        missing = [str(i) for i in wanted if i not in ids]
        if missing:
            raise SelectionError(f"no incident {', '.join(missing)} in this workspace")
        clean: dict[str, Any] = {"incident_ids": sorted(set(wanted))}
        selected = tuple(clean["incident_ids"])
    else:
        facets = facets_from(parameters.get("filter") or {})
        clean = {"filter": filter_parameters(facets)}
        selected = tuple(sorted(facets.apply(workspace).values_list("pk", flat=True)))
    return Selection(describe(clean), clean, selected)


def facts_of(workspace: Workspace, ids: Iterable[int]) -> list[IncidentFacts]:
    """The facts of these incidents of the workspace, in a fixed number of queries."""
    from testimonia.incidents import facet_index
    from testimonia.incidents.models import (
        Act,
        FacetValue,
        Incident,
        Involvement,
        Term,
        Victimisation,
    )

    incidents = list(
        Incident.objects.filter(workspace=workspace, pk__in=list(ids))
        .select_related("place")
        .order_by("pk")
    )
    wanted = [i.pk for i in incidents]
    areas = dict(
        FacetValue.objects.filter(incident_id__in=wanted, facet=facet_index.ADM2).values_list(
            "incident_id", "value"
        )
    )
    parents = dict(Term.objects.filter(vocabulary="act_type").values_list("code", "parent__code"))
    acts: dict[int, list[Act]] = defaultdict(list)
    for act in Act.objects.filter(incident_id__in=wanted).select_related("act_type"):
        acts[act.incident_id].append(act)
    act_ids = [a.pk for group in acts.values() for a in group]
    victims: dict[int, list[VictimFact]] = defaultdict(list)
    for v in Victimisation.objects.filter(act_id__in=act_ids).select_related("person"):
        person = v.person
        child = person.is_child
        if v.age_at_time is not None:
            child = v.age_at_time < 18
        size = person.group_size if person.kind != "individual" and person.group_size else 1
        victims[v.act_id].append(VictimFact(person.pk, person.status, size, child))
    perpetrators: dict[int, list[PerpetratorFact]] = defaultdict(list)
    involvements = Involvement.objects.filter(act_id__in=act_ids).select_related(
        "organisation", "person"
    )
    for inv in involvements.prefetch_related("person__names"):
        if inv.organisation is not None:
            fact = PerpetratorFact(f"unit:{inv.organisation_id}", inv.organisation.name)
        elif inv.person is not None:
            fact = PerpetratorFact(f"person:{inv.person_id}", person_label(inv.person))
        else:  # the database refuses an involvement that names no one
            continue
        perpetrators[inv.act_id].append(fact)
    facts = []
    for incident in incidents:
        lat = None if incident.latitude is None else float(incident.latitude)
        lon = None if incident.longitude is None else float(incident.longitude)
        if (lat is None or lon is None) and incident.place is not None:
            lat, lon = incident.place.latitude, incident.place.longitude
        place = None
        if incident.place_id is not None:
            place = f"place:{incident.place_id}"
        elif incident.place_name.strip():
            place = "name:" + incident.place_name.strip().casefold()
        facts.append(
            IncidentFacts(
                id=incident.pk,
                start=incident.start_date,
                end=incident.end_date,
                place=place,
                area=areas.get(incident.pk),
                latitude=lat,
                longitude=lon,
                acts=tuple(
                    ActFact(
                        act.act_type.code,
                        tuple(perpetrators.get(act.pk, ())),
                        tuple(victims.get(act.pk, ())),
                        _broader(act.act_type.code, parents),
                    )
                    for act in acts.get(incident.pk, ())
                ),
            )
        )
    return facts


def _broader(code: str, parents: Mapping[str, str | None]) -> tuple[str, ...]:
    chain: list[str] = []
    parent = parents.get(code)
    while parent and parent not in chain:
        chain.append(parent)
        parent = parents.get(parent)
    return tuple(chain)


def person_label(person: Any) -> str:
    """A person as the matrix and the indicators name them; a confidential person's name is
    withheld (these results are exported and leave the workspace)."""
    if person.sensitivity == "confidential":
        return f"person #{person.pk} (confidential)"
    name = person.display_name
    return f"person #{person.pk}" if name == f"#{person.pk}" else f"{name} (person #{person.pk})"


def indicators_for(workspace: Workspace, parameters: Mapping[str, Any]) -> Indicators:
    selection = select(workspace, parameters)
    return compute(selection, facts_of(workspace, selection.incident_ids))
