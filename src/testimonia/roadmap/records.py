"""Plain records of the roadmap (dicts of JSON values) for the API, the exports and the public
portal, and the selection of recommendations by actor, theme, status and deadline.

Statuses are computed, not stored (roadmap/status.py): `standings` loads the status changes of
many recommendations in one query and works out, as of a day, where each addressee stands and
where the recommendation stands as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from testimonia.accounts.models import Workspace
from testimonia.roadmap import status as rules
from testimonia.roadmap.models import (
    PUBLIC_RECOMMENDATION_FIELDS,
    Actor,
    Commitment,
    Recommendation,
    Source,
    Status,
    StatusChange,
    Theme,
)

Record = dict[str, Any]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def actor_record(actor: Actor) -> Record:
    return {
        "id": actor.pk,
        "name": actor.name,
        "kind": actor.kind,
        "country_code": actor.country_code,
        "description": actor.description,
    }


def actor_ref(actor: Actor) -> Record:
    return {
        "id": actor.pk,
        "name": actor.name,
        "kind": actor.kind,
        "country_code": actor.country_code,
    }


def source_record(source: Source) -> Record:
    return {
        "id": source.pk,
        "kind": source.kind,
        "title": source.title,
        "reference": source.reference,
        "issuer": source.issuer,
        "issued_on": _iso(source.issued_on),
        "url": source.url,
    }


def theme_record(theme: Theme) -> Record:
    return {
        "code": theme.code,
        "label": theme.label,
        "labels": dict(theme.labels),
        "shipped": theme.workspace_id is None,
        "active": theme.active,
    }


def commitment_record(commitment: Commitment) -> Record:
    return {
        "id": commitment.pk,
        "actor": commitment.actor_id,
        "text": commitment.text,
        "made_on": _iso(commitment.made_on),
        "source": source_record(commitment.source) if commitment.source else None,
    }


def status_change_record(change: StatusChange) -> Record:
    return {
        "id": change.pk,
        "recommendation": change.recommendation_id,
        "actor": actor_ref(change.actor) if change.actor else None,
        "status": change.status,
        "date": _iso(change.date),
        "note": change.note,
        "source": source_record(change.source) if change.source else None,
        "items": [{"id": i.pk, "sha256": i.blob.sha256} for i in change.items.all()],
        "recorded_by": change.recorded_by.get_username() if change.recorded_by else None,
        "recorded_at": _iso(change.recorded_at),
    }


# ---------------------------------------------------------------------------------------------
# Standings


@dataclass
class RecommendationStanding:
    overall: rules.Standing
    by_actor: dict[int, rules.Standing] = field(default_factory=dict)

    def of(self, actor: int | None) -> rules.Standing:
        if actor is None:
            return self.overall
        return self.by_actor.get(actor, self.overall)


def changes_by_recommendation(ids: Iterable[int]) -> dict[int, list[rules.Change]]:
    found: dict[int, list[rules.Change]] = defaultdict(list)
    rows = StatusChange.objects.filter(recommendation__in=list(ids)).values_list(
        "recommendation_id", "pk", "date", "status", "actor_id"
    )
    for rec, pk, date, status, actor in rows:
        found[rec].append(rules.Change(date=date, sequence=pk, status=status, actor=actor))
    return found


def addressees_by_recommendation(ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    through = Recommendation.addressees.through
    rows = (
        through.objects.filter(recommendation_id__in=list(ids))
        .order_by("actor_id")
        .values_list("recommendation_id", "actor_id")
    )
    for rec, actor in rows:
        found[rec].append(actor)
    return found


def standings(
    recommendations: Sequence[Recommendation], as_of: dt.date
) -> dict[int, RecommendationStanding]:
    ids = [r.pk for r in recommendations]
    changes = changes_by_recommendation(ids)
    addressees = addressees_by_recommendation(ids)
    result = {}
    for rec in recommendations:
        mine = changes.get(rec.pk, [])
        actors = addressees.get(rec.pk, [])
        result[rec.pk] = RecommendationStanding(
            overall=rules.overall(mine, actors, rec.deadline, as_of),
            by_actor={a: rules.standing(mine, a, rec.deadline, as_of) for a in actors},
        )
    return result


# ---------------------------------------------------------------------------------------------
# Recommendations


def recommendations_of(workspace: Workspace) -> QuerySet[Recommendation]:
    return (
        Recommendation.objects.filter(workspace=workspace)
        .select_related("source")
        .prefetch_related(
            Prefetch("addressees", queryset=Actor.objects.order_by("name", "pk")),
            "themes",
            Prefetch("commitments", queryset=Commitment.objects.select_related("actor", "source")),
        )
        .order_by("-issued_on", "-pk")
    )


def recommendation_record(rec: Recommendation, standing: RecommendationStanding) -> Record:
    """Every field of a recommendation but its notes and author (see internal_record)."""
    addressees = list(rec.addressees.all())
    return {
        "id": rec.pk,
        "kind": rec.kind,
        "text": rec.text,
        "paragraph": rec.paragraph,
        "addressees": [actor_ref(a) for a in addressees],
        "themes": [{"code": t.code, "label": t.label} for t in rec.themes.all()],
        "source": source_record(rec.source) if rec.source else None,
        "issued_on": _iso(rec.issued_on),
        "deadline": _iso(rec.deadline),
        "published": rec.published,
        "status": standing.overall.status,
        "status_date": _iso(standing.overall.since),
        "overdue": standing.overall.overdue,
        "statuses": [
            {
                "actor": a.pk,
                "status": standing.of(a.pk).status,
                "since": _iso(standing.of(a.pk).since),
                "overdue": standing.of(a.pk).overdue,
            }
            for a in addressees
        ],
        "commitments": [commitment_record(c) for c in rec.commitments.all()],
    }


def internal_record(rec: Recommendation, standing: RecommendationStanding) -> Record:
    """The record for members of the workspace: with the internal notes and the author."""
    return {
        **recommendation_record(rec, standing),
        "notes": rec.notes,
        "created_by": rec.created_by.get_username() if rec.created_by else None,
        "created_at": _iso(rec.created_at),
        "updated_at": _iso(rec.updated_at),
    }


def public_record(rec: Recommendation, standing: RecommendationStanding) -> Record:
    """What the public portal may show of a published recommendation, and nothing more."""
    if not rec.published:
        raise ValueError("an unpublished recommendation has no public record")
    record = recommendation_record(rec, standing)
    return {name: record[name] for name in PUBLIC_RECOMMENDATION_FIELDS}


@dataclass(frozen=True)
class RecommendationFilter:
    """Which recommendations to list. With `actor`, status and overdue are that addressee's;
    without, the recommendation's as a whole."""

    actor: int | None = None
    theme: str = ""
    status: str = ""
    overdue: bool | None = None
    published: bool | None = None
    kind: str = ""
    source: int | None = None
    q: str = ""


def select_recommendations(
    workspace: Workspace, selection: RecommendationFilter, as_of: dt.date | None = None
) -> tuple[list[Recommendation], dict[int, RecommendationStanding]]:
    """The recommendations that match, newest first, with their standings as of the day."""
    day = as_of or timezone.localdate()
    rows = recommendations_of(workspace)
    if selection.actor is not None:
        rows = rows.filter(addressees=selection.actor)
    if selection.theme:
        rows = rows.filter(themes__code=selection.theme)
    if selection.published is not None:
        rows = rows.filter(published=selection.published)
    if selection.kind:
        rows = rows.filter(kind=selection.kind)
    if selection.source is not None:
        rows = rows.filter(source=selection.source)
    if selection.q.strip():
        words = selection.q.strip()
        rows = rows.filter(Q(text__icontains=words) | Q(paragraph__icontains=words))
    recs = list(rows.distinct())
    found = standings(recs, day)
    if selection.status:
        recs = [r for r in recs if found[r.pk].of(selection.actor).status == selection.status]
    if selection.overdue is not None:
        recs = [r for r in recs if found[r.pk].of(selection.actor).overdue == selection.overdue]
    return recs, found


def status_label(code: str) -> str:
    return str(Status(code).label)
