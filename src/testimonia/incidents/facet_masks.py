"""Facet counts as bit sums: each incident's counted facet values (types of act, victims' sex,
second-level areas) as bits of one narrow row (models.FacetMask), each value's bit given by
models.FacetBit.

Why: counting the facet values of a list that matches most of a workspace means reading every
facet row of every matching incident. On PostgreSQL that join cost 365-530 ms for 60,000
matching incidents of 100,000 (bench/incidents_list.py, victims' sex = female): a nested loop
of index probes or a hash join over 340,000 rows. Summing bits over one row per incident is one
pass: 80 ms for the same list. On SQLite it is the other way round (the join reads 25 ms, the
70 sums 100 ms: SQLite evaluates expressions slower than it walks an index), so the counts
(facet_index.counts) use the masks on PostgreSQL and the join on SQLite; both are always kept,
and the tests check that the two agree on both databases.

No library does this inside the database we already run (bitmap facets live in search engines
such as Elasticsearch or in PostgreSQL extensions such as pg_roaringbitmap, neither of which
the embedded default can have), hence these hundred lines.

A workspace holds up to CAPACITY counted values (act types with the terms above them, four
sexes, the gazetteer's areas: about 70 for the bundled region). Past that, a marker bit
records the overflow and the counts fall back to the join for that workspace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet, Sum

from testimonia.incidents.models import FacetBit, FacetMask, Incident

WORDS = 4
CAPACITY = 64 * WORDS
_OVERFLOW = ("", "overflow")  # the (facet, value) of the marker, at bit CAPACITY


def _signed(word: int) -> int:
    """A 64-bit pattern as the signed integer a BIGINT column stores."""
    return word - (1 << 64) if word >= 1 << 63 else word


def bits_of(workspace_id: int) -> dict[tuple[str, str], int]:
    return {
        (facet, value): bit
        for facet, value, bit in FacetBit.objects.filter(workspace_id=workspace_id).values_list(
            "facet", "value", "bit"
        )
    }


def _assign(workspace_id: int, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The bits of these values, handing out new ones in order. Two transactions that add a
    value at once race for the same bit: the unique constraints make the loser fail its
    savepoint, and it reads the winner's bit and tries the next free one."""
    known = bits_of(workspace_id)
    for key in sorted(wanted - set(known)):
        while key not in known:
            free = max((b for b in known.values() if b < CAPACITY), default=-1) + 1
            facet, value = key if free < CAPACITY else _OVERFLOW
            bit = min(free, CAPACITY)
            try:
                with transaction.atomic():
                    FacetBit.objects.create(
                        workspace_id=workspace_id, facet=facet, value=value, bit=bit
                    )
            except IntegrityError:
                pass
            known = bits_of(workspace_id)
            if free >= CAPACITY:
                break  # the marker is there: this value is counted by the join only
    return known


def write(
    workspaces: dict[int, int], rows: Iterable[tuple[int, str, str]], facets: Iterable[str]
) -> None:
    """Replace the masks of these incidents ({id: workspace id}) by those of their rows.
    Every incident gets a mask, all zeros if need be: the masks also count the incidents."""
    counted = set(facets)
    by_incident: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for incident, facet, value in rows:
        if facet in counted and incident in workspaces:
            by_incident[incident].add((facet, value))
    FacetMask.objects.filter(incident__in=list(workspaces)).delete()
    masks = []
    per_workspace: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for incident, keys in by_incident.items():
        per_workspace[workspaces[incident]] |= keys
    bits = {ws: _assign(ws, keys) for ws, keys in per_workspace.items()}
    for incident in workspaces:
        keys = by_incident.get(incident, set())
        words = [0] * WORDS
        for key in keys:
            bit = bits[workspaces[incident]].get(key)
            if bit is not None and bit < CAPACITY:
                words[bit // 64] |= 1 << (bit % 64)
        masks.append(
            FacetMask(
                incident_id=incident,
                workspace_id=workspaces[incident],
                **{f"w{i}": _signed(word) for i, word in enumerate(words)},
            )
        )
    FacetMask.objects.bulk_create(masks, batch_size=1000)


def counts(
    workspace_id: int, facets: Iterable[str], incident_ids: QuerySet[Incident, Any] | None
) -> tuple[dict[str, list[tuple[str, int]]], int] | None:
    """({facet: [(value, incidents)]} unsorted, number of incidents) from the masks, in one
    query; None when the workspace has more counted values than the masks hold."""
    wanted = set(facets)
    bits = bits_of(workspace_id)
    if _OVERFLOW in bits:
        return None
    chosen = sorted((bit, key) for key, bit in bits.items() if key[0] in wanted)
    found: dict[str, list[tuple[str, int]]] = {facet: [] for facet in wanted}
    masks = FacetMask.objects.filter(workspace_id=workspace_id)
    if incident_ids is not None:
        masks = masks.filter(incident__in=incident_ids)
    sums = masks.aggregate(
        total=Count("pk"),
        **{
            f"b{bit}": Sum(F(f"w{bit // 64}").bitrightshift(bit % 64).bitand(1))
            for bit, _ in chosen
        },
    )
    for bit, (facet, value) in chosen:
        n = int(sums[f"b{bit}"] or 0)
        if n:
            found[facet].append((value, n))
    return found, int(sums["total"])
