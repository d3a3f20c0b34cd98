"""The facet index: what the incident list filters and counts by, one row per incident and
facet value (models.FacetValue), kept in line with the records.

Why a table of its own: the facets reach through acts to victims and persons, through
involvements to units and their hierarchy, and through places to the areas above them. As
joins, a filter on victims' sex or on a unit with forty sub-units took seconds over 100,000
incidents and 300,000 persons, on SQLite and PostgreSQL alike (bench/incidents_list.py); as
rows of one table behind one index, each facet is an index range and each count a scan of one
index range. The hierarchies are resolved when a row is written, so a filter on a parent
term, a unit or an area is one value, not a list of every term, unit or area below it.

The receivers in facet_signals.py refresh an incident's rows in the transaction of any change
that alters them; bulk writes that send no signals (``QuerySet.update``, ``bulk_create``,
``loaddata``) are followed by `testimonia reindex`, which rebuilds this index with the search
index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, QuerySet

from testimonia.accounts.models import Workspace
from testimonia.incidents import facet_masks
from testimonia.incidents.models import (
    CHILD_AGE,
    Act,
    FacetIndexState,
    FacetMask,
    FacetValue,
    Incident,
    Involvement,
    Organisation,
    Place,
    Term,
    Victimisation,
)

ACT_TYPE = "act_type"
PERPETRATOR = "perpetrator"
VICTIM_SEX = "victim_sex"
VICTIM_AGE = "victim_age"
AREA = "area"
ADM2 = "adm2"
STATUS = "status"
FACETS = (ACT_TYPE, PERPETRATOR, VICTIM_SEX, VICTIM_AGE, AREA, ADM2, STATUS)
COUNTED = (STATUS, ACT_TYPE, VICTIM_SEX, ADM2)  # the facets whose counts the list shows

CHILD = "child"
ADULT = "adult"
UNKNOWN_AGE = "unknown"

# Bumped whenever what the rows hold changes (a new facet, a new rule): the next migrate
# rebuilds the index of every workspace.
INDEX_VERSION = 2

_CHUNK = 2000  # incidents per round of queries: keeps every IN list short

Row = tuple[int, str, str]  # (incident, facet, value)


def age_group(age_at_time: int | None, age_min: int | None, age_max: int | None) -> str:
    """A victim's age group when the act happened: the age recorded for the act where there
    is one, else the person's age (range)."""
    if age_at_time is not None:
        return CHILD if age_at_time < CHILD_AGE else ADULT
    if age_max is not None and age_max < CHILD_AGE:
        return CHILD
    if age_min is not None and age_min >= CHILD_AGE:
        return ADULT
    return UNKNOWN_AGE


def _chain(start: object, parent_of: dict[object, object]) -> Iterator[object]:
    """start and everything above it; stops at a cycle rather than looping."""
    seen: set[object] = set()
    node: object | None = start
    while node is not None and node not in seen and node != "":
        seen.add(node)
        yield node
        node = parent_of.get(node)


@dataclass
class _Hierarchies:
    """The trees a facet value expands into: terms, units, areas. Loaded once per refresh
    or rebuild (they are small: tens of terms, hundreds of units, the gazetteer's areas)."""

    term_parent: dict[object, object] = field(default_factory=dict)  # term id -> parent id
    term_code: dict[object, str] = field(default_factory=dict)
    unit_parent: dict[object, object] = field(default_factory=dict)
    area_parent: dict[object, object] = field(default_factory=dict)  # P-code -> parent P-code
    area_kind: dict[object, str] = field(default_factory=dict)

    @classmethod
    def load(cls, workspace_ids: Iterable[int]) -> _Hierarchies:
        found = cls()
        for pk, code, parent in Term.objects.filter(vocabulary="act_type").values_list(
            "pk", "code", "parent_id"
        ):
            found.term_code[pk] = code
            found.term_parent[pk] = parent
        for unit, above in Organisation.objects.filter(
            workspace__in=list(workspace_ids)
        ).values_list("pk", "parent_id"):
            found.unit_parent[unit] = above
        # Only places with a P-code are areas; localities point to theirs by parent_pcode.
        for area, parent_area, kind in (
            Place.objects.exclude(pcode="")
            .order_by("pk")
            .values_list("pcode", "parent_pcode", "kind")
        ):
            found.area_parent.setdefault(area, parent_area or None)
            found.area_kind.setdefault(area, kind)
        return found

    def terms(self, term_id: int) -> Iterator[str]:
        for pk in _chain(term_id, self.term_parent):
            yield self.term_code.get(pk, str(pk))

    def units(self, unit_id: int) -> Iterator[str]:
        for pk in _chain(unit_id, self.unit_parent):
            yield str(pk)

    def areas(self, pcode: str, parent_pcode: str) -> Iterator[str]:
        start = pcode or parent_pcode
        if not start:
            return
        if pcode and parent_pcode and pcode not in self.area_parent:
            yield pcode  # a workspace's own place with a P-code outside the gazetteer
            start = parent_pcode
        for code in _chain(start, self.area_parent):
            yield str(code)


def _rows(incidents: dict[int, int], trees: _Hierarchies) -> set[Row]:
    """The facet rows of these incidents ({id: workspace id}), from the records."""
    ids = list(incidents)
    rows: set[Row] = set()
    for incident, term in Act.objects.filter(incident__in=ids).values_list(
        "incident_id", "act_type_id"
    ):
        rows.update((incident, ACT_TYPE, code) for code in trees.terms(term))
    for incident, unit in Involvement.objects.filter(
        act__incident__in=ids, organisation__isnull=False
    ).values_list("act__incident_id", "organisation_id"):
        rows.update((incident, PERPETRATOR, pk) for pk in trees.units(unit))
    for incident, age_at_time, sex, age_min, age_max in Victimisation.objects.filter(
        act__incident__in=ids
    ).values_list(
        "act__incident_id", "age_at_time", "person__sex", "person__age_min", "person__age_max"
    ):
        rows.add((incident, VICTIM_SEX, sex))
        rows.add((incident, VICTIM_AGE, age_group(age_at_time, age_min, age_max)))
    for incident, status, pcode, parent_pcode in (
        Incident.objects.filter(pk__in=ids)
        .values_list("pk", "status", "place__pcode", "place__parent_pcode")
        .order_by()
    ):
        # The status is on the incident and filtered there; its row serves the counts.
        rows.add((incident, STATUS, status))
        for code in trees.areas(pcode or "", parent_pcode or ""):
            rows.add((incident, AREA, code))
            if trees.area_kind.get(code) == Place.Kind.ADM2:
                rows.add((incident, ADM2, code))
    return rows


def _chunks(ids: list[int], size: int = _CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def refresh(incident_ids: Iterable[int]) -> None:
    """Bring these incidents' facet rows in line with their records (deleted incidents are
    skipped: their rows go with them)."""
    wanted_ids = sorted({int(i) for i in incident_ids})
    if not wanted_ids:
        return
    with transaction.atomic():
        for chunk in _chunks(wanted_ids):
            live = dict(
                Incident.objects.filter(pk__in=chunk).values_list("pk", "workspace_id").order_by()
            )
            if not live:
                continue
            wanted = _rows(live, _Hierarchies.load(set(live.values())))
            existing = set(
                FacetValue.objects.filter(incident__in=list(live)).values_list(
                    "incident_id", "facet", "value"
                )
            )
            changed = {incident for incident, _, _ in wanted ^ existing}
            if not changed:
                continue
            FacetValue.objects.filter(incident__in=list(changed)).delete()
            FacetValue.objects.bulk_create(
                FacetValue(workspace_id=live[i], incident_id=i, facet=f, value=v)
                for i, f, v in sorted(wanted)
                if i in changed
            )
            facet_masks.write({i: live[i] for i in changed}, wanted, COUNTED)


def rebuild(workspace: Workspace | None = None) -> int:
    """Rebuild the index of one workspace or of all; returns the number of rows written."""
    incidents = Incident.objects.order_by("pk")
    values = FacetValue.objects.all()
    if workspace is not None:
        incidents = incidents.filter(workspace=workspace)
        values = values.filter(workspace=workspace)
    written = 0
    with transaction.atomic():
        values.delete()
        masks = FacetMask.objects.all()
        if workspace is not None:
            masks = masks.filter(workspace=workspace)
        masks.delete()
        live = dict(incidents.values_list("pk", "workspace_id"))
        trees = _Hierarchies.load(set(live.values()))
        for chunk in _chunks(list(live)):
            rows = _rows({i: live[i] for i in chunk}, trees)
            facet_masks.write({i: live[i] for i in chunk}, rows, COUNTED)
            FacetValue.objects.bulk_create(
                (
                    FacetValue(workspace_id=live[i], incident_id=i, facet=f, value=v)
                    for i, f, v in sorted(rows)
                ),
                batch_size=1000,
            )
            written += len(rows)
        if workspace is None:
            FacetIndexState.objects.update_or_create(pk=1, defaults={"version": INDEX_VERSION})
    return written


def ensure_index(*, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """post_migrate: build the index when it was built by other rules (INDEX_VERSION) or
    never; otherwise the signals keep it current and this is one short query."""
    if using != DEFAULT_DB_ALIAS:
        return
    if FacetIndexState._meta.db_table not in connection.introspection.table_names():
        return  # migrated back before the table existed
    state = FacetIndexState.objects.filter(pk=1).first()
    if state is not None and state.version == INDEX_VERSION:
        return
    rebuild()


def incidents_under(unit_id: int) -> list[int]:
    """The incidents whose rows name this unit (so also those of the units below it): what a
    change to the unit's place in the hierarchy must refresh."""
    return list(
        FacetValue.objects.filter(facet=PERPETRATOR, value=str(unit_id))
        .values_list("incident_id", flat=True)
        .distinct()
    )


def matching(workspace_id: int, facet: str, values: Iterable[str]) -> QuerySet[FacetValue, Any]:
    """The ids of the workspace's incidents with one of these values of the facet, as a
    sub-query."""
    rows = FacetValue.objects.filter(workspace_id=workspace_id, facet=facet)
    wanted = list(values)
    rows = rows.filter(value=wanted[0]) if len(wanted) == 1 else rows.filter(value__in=wanted)
    return rows.values("incident_id")


def counts(
    workspace_id: int,
    facets: Iterable[str],
    incident_ids: QuerySet[Incident, Any] | None = None,
    *,
    by_masks: bool | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """{facet: [(value, number of incidents)]}, most first, for these facets; over every
    incident of the workspace, or those of incident_ids (a queryset of ids, used as a
    sub-query). by_masks: see counts_and_total."""
    return counts_and_total(workspace_id, facets, incident_ids, by_masks=by_masks)[0]


def counts_and_total(
    workspace_id: int,
    facets: Iterable[str],
    incident_ids: QuerySet[Incident, Any] | None = None,
    *,
    by_masks: bool | None = None,
) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
    """The counts of :func:`counts` and, when they came from the masks, the number of
    incidents too (from the same query; None otherwise). by_masks: sum the bits of the masks
    (facet_masks.py) or group the rows; by default the masks on PostgreSQL, the rows
    elsewhere (the faster of the two on each)."""
    wanted = list(facets)
    if by_masks is None:
        by_masks = connection.vendor == "postgresql" and set(wanted) <= set(COUNTED)
    total: int | None = None
    found = None
    if by_masks:
        summed = facet_masks.counts(workspace_id, wanted, incident_ids)
        if summed is not None:
            found, total = summed
    if found is None:
        found = {facet: [] for facet in wanted}
        # The workspace condition stays even with a list (whose incidents are all of the
        # workspace): SQLite then walks facet_lookup and probes the list, 2-3 times faster
        # than probing (incident, facet) for each incident of the list.
        rows = FacetValue.objects.filter(workspace_id=workspace_id, facet__in=wanted)
        if incident_ids is not None:
            rows = rows.filter(incident__in=incident_ids)
        grouped = rows.values_list("facet", "value").annotate(n=Count("incident")).order_by()
        for facet, value, n in grouped:
            found[str(facet)].append((str(value), int(n)))
    for values in found.values():
        values.sort(key=lambda pair: (-pair[1], pair[0]))
    return found, total
